"""A portal app wired to in-memory fakes, and a logged-in browser for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from hoso_portal.config import Settings
from hoso_portal.deps import Portal
from hoso_portal.main import create_app

from .fakes import (
    FakeDocuments,
    FakeEforms,
    FakeIdp,
    FakeNotices,
    FakeSigning,
    FakeStore,
    FakeSubmission,
)


class PortalHarness:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(
            public_url="http://127.0.0.1:8080", assets_dir=tmp_path, page_size=3
        )
        self.idp = FakeIdp()
        self.store = FakeStore()
        self.documents = FakeDocuments()
        self.signing = FakeSigning()
        self.notices = FakeNotices()
        self.eforms = FakeEforms()
        self.submission = FakeSubmission()
        portal = Portal(
            settings=self.settings,
            store=self.store,
            idp=self.idp,
            documents=self.documents,  # type: ignore[arg-type]
            signing=self.signing,  # type: ignore[arg-type]
            notices=self.notices,
            eforms=self.eforms,  # type: ignore[arg-type]
            submission=self.submission,  # type: ignore[arg-type]
        )
        self.app = create_app(portal=portal)
        self.client = TestClient(self.app, base_url="http://127.0.0.1:8080", follow_redirects=False)

    def login(self, next_url: str = "/ho-so-dien-tu", code: str = "code1") -> str:
        """Log in as a person does; returns where the portal sent the browser afterwards."""
        started = self.client.get("/login", params={"next": next_url})
        assert started.status_code == 303
        state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
        done = self.client.get("/login/callback", params={"code": code, "state": state})
        assert done.status_code == 303, done.text
        return done.headers["location"]

    @property
    def session_cookie(self) -> str | None:
        return self.client.cookies.get(self.settings.cookie_name)

    def csrf(self) -> str:
        session = next(iter(self.store.sessions.values()))
        return session.csrf


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PortalHarness]:
    harness = PortalHarness(tmp_path)
    with harness.client:
        yield harness
