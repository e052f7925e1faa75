"""FPT-CA by OTP through the portal: the sandbox CA texts a code, the citizen types it.

A signing app whose FPT-CA method is SMS and the sandbox CA run in this process, on the
stack's Kafka, database and object store; the portal calls that signing app with the
citizen's real Keycloak token. Only the vault's answer (a document being signed) and the
login redirect are stand-ins: the OTP path is the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from hoso_common import topics
from hoso_common.storage import ObjectStorage
from hoso_portal.clients.eforms import EformsClient
from hoso_portal.clients.signing import SigningClient
from hoso_portal.clients.submission import SubmissionClient
from hoso_portal.config import Settings as PortalSettings
from hoso_portal.deps import Portal
from hoso_portal.errors import PageNotFound
from hoso_portal.main import create_app as create_portal
from hoso_portal.oidc import TokenSet
from hoso_portal.sessions import MongoSessionStore, utcnow
from hoso_sandbox_ca.config import Settings as CaSettings
from hoso_sandbox_ca.main import create_app as create_ca
from hoso_signing.config import Settings as SigningSettings
from hoso_signing.main import create_app as create_signing
from hoso_testing.endpoints import Endpoints, environ_set, free_port
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.server import serve_app
from hoso_testing.signing.harness import SignRequestFeeder, start_group_at_end
from hoso_testing.signing.pdfs import build_pdf

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
BUCKET = "hoso-signing-test"
PORTAL = "http://127.0.0.1:8080"
SOURCE = f"/hoso/signing-portal-otp-{RUN}"


@dataclass
class OtpStack:
    ca_app: Any
    ca_url: str
    signing_url: str
    feeder: SignRequestFeeder


@pytest_asyncio.fixture(scope="module")
async def otp_stack(endpoints: Endpoints, storage: ObjectStorage) -> AsyncIterator[OtpStack]:
    ca_port, signing_port = free_port(), free_port()
    ca_url = f"http://127.0.0.1:{ca_port}"
    ca_app = create_ca(
        CaSettings(
            data_dir=tempfile.mkdtemp(prefix="hoso-ca-portal-otp-"),
            public_url=ca_url,
            webhook_url_fpt=f"http://127.0.0.1:{signing_port}/v1/callbacks/fpt-esign",
            request_ttl_s=300,
        )
    )
    groups = f"portal-otp-{RUN}"
    await start_group_at_end(endpoints.kafka_bootstrap, f"signing-{groups}", topics.SIGN_REQUESTED)
    await start_group_at_end(
        endpoints.kafka_bootstrap, f"signing-finisher-{groups}", topics.SIGN_APPROVED
    )
    environ = {
        "HOSO_SIGNING_FPT_AUTHORIZE_METHOD": "sms",
        "HOSO_SIGNING_REPLICA_ID": f"portal-otp-{RUN}",
        "HOSO_SIGNING_BUCKET": BUCKET,
        "HOSO_SIGNING_EVENT_SOURCE": SOURCE,
        "HOSO_SIGNING_MONGO_DATABASE": f"hoso_signing_portal_otp_{RUN}",
        "HOSO_SIGNING_VNPT_BASE_URL": f"{ca_url}/vnpt",
        "HOSO_SIGNING_VIETTEL_BASE_URL": f"{ca_url}/viettel",
        "HOSO_SIGNING_FPT_BASE_URL": f"{ca_url}/fpt/eSignCloud/restapi",
        "HOSO_SIGNING_TRUST_ROOTS": f"{ca_url}/pki/root.pem",
        "HOSO_SIGNING_TSA_URL": f"{ca_url}/pki/tsa",
        "HOSO_SIGNING_REQUESTS_GROUP": f"signing-{groups}",
        "HOSO_SIGNING_FINISHER_GROUP": f"signing-finisher-{groups}",
        "HOSO_SIGNING_POLL_INTERVAL_S": "0.5",
    }
    with environ_set(environ):
        signing_app = create_signing(SigningSettings())
        feeder = await SignRequestFeeder(endpoints.kafka_bootstrap, storage, BUCKET).start()
        async with (
            serve_app(ca_app, port=ca_port),
            serve_app(signing_app, port=signing_port) as signing_url,
        ):
            yield OtpStack(ca_app=ca_app, ca_url=ca_url, signing_url=signing_url, feeder=feeder)
        await feeder.stop()


class CitizenLogin:
    """The IdP's side of the login redirect, handing the portal the citizen's real token."""

    def __init__(self, citizen: TestUser) -> None:
        self.citizen = citizen

    async def origin(self) -> str:
        return "http://idp.test"

    async def authorization_url(self, *, state: str, nonce: str, code_challenge: str) -> str:
        return f"http://idp.test/auth?state={state}"

    async def exchange(self, *, code: str, code_verifier: str, nonce: str) -> TokenSet:
        return TokenSet(
            access_token=self.citizen.token,
            access_expires_at=utcnow() + timedelta(minutes=4),
            refresh_token=None,
            refresh_expires_at=None,
            id_token=None,
            claims={"sub": self.citizen.sub, "name": self.citizen.name},
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        raise AssertionError("the test's session does not outlive its token")

    async def end_session_url(self, id_token: str | None) -> str | None:
        return None


class OneDocumentBeingSigned:
    """The vault's answer for the one document this test signs."""

    def __init__(self, request_id: str) -> None:
        self.document = {
            "id": "doc-otp",
            "name": "Giấy khai sinh",
            "status": "signing",
            "signing": {"request_id": request_id},
            "failure": None,
            "versions": [],
        }

    async def get(self, token: str, document_id: str) -> dict[str, Any]:
        if document_id != self.document["id"]:
            raise PageNotFound()
        return self.document


@pytest.mark.timeout(420)
async def test_the_citizen_types_the_texted_otp_and_the_document_is_signed(
    otp_stack: OtpStack,
    idp: IdpClient,
    mongo_client: Any,
    tmp_path: Path,
    watch: Any,
) -> None:
    citizen = await idp.citizen("Trần Thị Otp")
    async with httpx.AsyncClient(timeout=30) as client:
        enrolled = await client.post(
            f"{otp_stack.ca_url}/sandbox/users",
            json={"user_id": citizen.citizen_id, "name": citizen.name.upper()},
        )
    assert enrolled.status_code in (200, 201), enrolled.text
    completed = await watch(topics.SIGN_COMPLETED)
    ref = await otp_stack.feeder.upload(build_pdf(1), filename="otp.pdf")
    request = otp_stack.feeder.request(
        ref, signer_id=str(citizen.citizen_id), signer_sub=citizen.sub, provider="fpt-esign"
    )
    await otp_stack.feeder.publish(request)
    await otp_stack.feeder.flush()

    http = httpx.AsyncClient(timeout=60)
    portal = create_portal(
        portal=Portal(
            settings=PortalSettings(public_url=PORTAL, assets_dir=tmp_path),
            store=MongoSessionStore(mongo_client[f"hoso_portal_otp_{RUN}"]),
            idp=CitizenLogin(citizen),  # type: ignore[arg-type]
            documents=OneDocumentBeingSigned(request.request_id),  # type: ignore[arg-type]
            signing=SigningClient(otp_stack.signing_url, http),
            # Flow 2's services are not on this path; the portal only needs them to exist.
            eforms=EformsClient(f"{PORTAL}/api/eforms", http),
            submission=SubmissionClient(f"{PORTAL}/api/submission", http),
        )
    )
    async with (
        http,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=portal), base_url=PORTAL, timeout=60
        ) as browser,
    ):
        started = await browser.get("/login", params={"next": "/ho-so-dien-tu/doc-otp/ky-so"})
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        logged_in = await browser.get("/login/callback", params={"code": "c", "state": state})
        assert logged_in.status_code == 303, logged_in.text

        # The notice asks for the OTP once signing has opened the FPT-CA bill.
        page = ""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(180):
                while 'id="otp-form"' not in page:
                    await asyncio.sleep(0.5)
                    page = (await browser.get("/ho-so-dien-tu/doc-otp/ky-so")).text
        assert 'id="otp-form"' in page and "Mã OTP" in page, page
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        [texted] = otp_stack.ca_app.state.ca.ledger.for_user(
            str(citizen.citizen_id), pending_only=True
        )
        assert texted.otp  # the SMS the sandbox "sends"
        wrong = "000000" if texted.otp != "000000" else "111111"

        refused = await browser.post(
            "/ho-so-dien-tu/doc-otp/ky-so/otp", data={"csrf_token": csrf.group(1), "otp": wrong}
        )
        assert refused.status_code == 422
        assert "Mã OTP không đúng. Bạn còn 2 lần thử." in refused.text

        accepted = await browser.post(
            "/ho-so-dien-tu/doc-otp/ky-so/otp",
            data={"csrf_token": csrf.group(1), "otp": texted.otp},
        )
        assert accepted.status_code == 303, accepted.text
        # The stack's own signing replicas read the same topic; only this app's answer counts.
        record = await completed.wait_for(
            lambda r: (
                r["value"]["source"] == SOURCE
                and r["value"]["data"]["request_id"] == request.request_id
            ),
            timeout_s=120,
        )
        assert record["value"]["data"]["status"] == "signed"
    await mongo_client.drop_database(f"hoso_portal_otp_{RUN}")
    await mongo_client.drop_database(f"hoso_signing_portal_otp_{RUN}")
