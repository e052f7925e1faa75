"""E2E fixtures: the running platform (`make up`) through its gateway, Keycloak and the CA."""

from __future__ import annotations

import random
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from hoso_testing.endpoints import Endpoints
from hoso_testing.identity import IdpClient, TestUser
from hoso_testing.pdfa import verapdf_launcher

from .api_client import enroll

SERVICES = ("documents", "eforms", "signing", "submission", "notifications")
GIVEN_NAMES = ("An", "Bình", "Cường", "Dũng", "Hùng", "Khoa", "Long", "Minh", "Quang", "Sơn")


@pytest_asyncio.fixture(scope="session")
async def gateway(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    """The portal's view of the platform; fails fast, naming what is down."""
    async with httpx.AsyncClient(base_url=endpoints.gateway_url, timeout=30) as client:
        down = []
        for service in SERVICES:
            try:
                response = await client.get(f"/api/{service}/health/ready")
                if response.status_code != 200:
                    down.append(f"{service}: {response.status_code}")
            except httpx.HTTPError as error:
                down.append(f"{service}: {error!r}")
        assert not down, f"the platform is not up (run `make up`): {down}"
        yield client


@pytest_asyncio.fixture(scope="session")
async def ca(endpoints: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox CA: enrolment, and the phone API standing in for the citizen's app."""
    async with httpx.AsyncClient(base_url=endpoints.ca_url, timeout=30) as client:
        yield client


SHORT_REQUEST_TTL_S = 15.0


@pytest_asyncio.fixture
async def short_approval_window(ca: httpx.AsyncClient) -> AsyncIterator[float]:
    """Sign requests opened during the test expire after 15 s instead of the CA's 5 minutes."""
    previous = (await ca.get("/sandbox/request-ttl")).json()["ttl_s"]
    (await ca.post("/sandbox/request-ttl", json={"ttl_s": SHORT_REQUEST_TTL_S})).raise_for_status()
    try:
        yield SHORT_REQUEST_TTL_S
    finally:
        await ca.post("/sandbox/request-ttl", json={"ttl_s": previous})


def citizen_born_1990() -> tuple[str, str]:
    """A personal id whose century/sex digit and year say: a man born in 1990."""
    return f"001090{random.randint(0, 999_999):06d}", "05/09/1990"


@pytest_asyncio.fixture
async def citizen(idp: IdpClient, ca: httpx.AsyncClient) -> TestUser:
    """A new citizen with a consistent personal id, enrolled at the CA for remote signing."""
    citizen_id, _ = citizen_born_1990()
    user = await idp.citizen(f"Nguyễn Văn {random.choice(GIVEN_NAMES)}", citizen_id=citizen_id)
    await enroll(ca, user)
    return user


@pytest_asyncio.fixture
async def officer_of(idp: IdpClient) -> Callable[[str], Awaitable[TestUser]]:
    async def make(agency: str) -> TestUser:
        return await idp.officer(agency, name="Lê Minh Cường")

    return make


def sample_pdf(text: str = "Giay to kiem thu") -> bytes:
    """A small well-formed one-page PDF (with a correct xref table) for signing."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text} {uuid.uuid4().hex}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def sample_png(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny, grey) PNG image, standing in for a photo of an ID card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([random.randint(0, 255)]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def verapdf() -> Path:
    """veraPDF, installed by stack/install.sh."""
    launcher = verapdf_launcher()
    assert launcher.exists(), "veraPDF is missing: run stack/install.sh"
    return launcher
