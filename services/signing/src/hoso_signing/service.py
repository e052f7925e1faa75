"""The signing service's one use-case object, which the app builds once and the routes reach.

Each use case lives in its module under `hoso_signing.usecases`; this object holds one of
each, built on one `SigningContext`, and answers for the few reads the API needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from hoso_common.errors import NotFound
from hoso_signing.crypto.validation import SignatureValidator
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.providers import OtpAuthorizer, ProviderClient
from hoso_signing.usecases.answers import Answers
from hoso_signing.usecases.background import Background
from hoso_signing.usecases.context import SigningContext
from hoso_signing.usecases.finishing import Finishing
from hoso_signing.usecases.intake import Intake
from hoso_signing.usecases.validation import Validation


@dataclass(frozen=True)
class SignRequestView:
    """A sign request with what its signer is shown about its provider."""

    request: SignRequest
    provider_name: str | None
    expects_otp: bool


class SigningService:
    def __init__(self, context: SigningContext, validator: SignatureValidator) -> None:
        self.context = context
        self.intake = Intake(context)
        self.answers = Answers(context)
        self.finishing = Finishing(context)
        self.background = Background(context, self.answers, self.finishing)
        self.validation = Validation(context.settings, context.storage, validator)

    def providers(self) -> list[ProviderClient]:
        """The remote-signing providers a citizen can choose."""
        return list(self.context.providers.values())

    def view(self, request: SignRequest) -> SignRequestView:
        provider = self.context.provider_of(request)
        return SignRequestView(
            request=request,
            provider_name=provider.display_name if provider else None,
            expects_otp=isinstance(provider, OtpAuthorizer) and provider.uses_otp,
        )

    async def signers_request(self, request_id: str, signer_sub: str) -> SignRequestView:
        """One of the signer's own requests; anyone else's is not found."""
        request = await self.context.requests.get_for_signer(request_id, signer_sub)
        if request is None:
            raise NotFound("Không tìm thấy yêu cầu ký số.")
        return self.view(request)

    async def authorize_otp(self, request_id: str, signer_sub: str, otp: str) -> SignRequestView:
        """Authorize one of the signer's own requests with the OTP the CA sent them."""
        return self.view(await self.answers.authorize_otp(request_id, signer_sub, otp))
