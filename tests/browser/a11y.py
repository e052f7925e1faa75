"""axe-core in the page: every portal page the tests visit must have no serious or critical
violation. axe-core comes from npm, pinned in portal/assets/package.json (stack/install.sh)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

ASSETS = Path(
    os.environ.get(
        "HOSO_PORTAL_ASSETS_DIR", Path.home() / ".cache" / "hoso" / "portal-assets" / "node_modules"
    )
)
AXE = ASSETS / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# Pages of other parts (the IdP's login, the sandbox CA's phone) are not the portal's to fix.
NOT_PORTAL = ("/auth/", "/ca/")

RUN_AXE = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary),
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"no axe-core at {AXE}: run `make up` (stack/install.sh installs it)")
    return AXE.read_text(encoding="utf-8")


def is_portal(url: str) -> bool:
    return url.startswith("http") and not any(part in url for part in NOT_PORTAL)


async def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations on the page as it is now."""
    # evaluate() runs outside the page's CSP, which (rightly) refuses any injected script tag
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    found: list[dict[str, Any]] = await page.evaluate(RUN_AXE)
    return [v for v in found if v.get("impact") in BLOCKING]


async def assert_accessible(page: Page, step: str) -> None:
    if not is_portal(page.url):
        return
    bad = await violations(page)
    assert not bad, f"axe-core on {step} ({page.url}):\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad
    )
