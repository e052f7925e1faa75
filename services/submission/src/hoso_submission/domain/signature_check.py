"""What the signing service's validation says about a stored file, reduced to three facts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SignatureCheck(BaseModel):
    """What the signing service's validation said about an attached file."""

    signed: bool = Field(description="The file carries at least one signature.")
    intact: bool = Field(description="No signed byte changed after signing.")
    trusted: bool = Field(description="Every signer certificate chains to a trusted root.")
    signers: list[str] = Field(default_factory=list, description="Signers' names.")
    verdict: str | None = Field(default=None, description="The validator's summary.")
    checked_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted
