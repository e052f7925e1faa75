"""Check that every runnable workspace member is built from the one Dockerfile, the agreed way.

No Docker engine is needed: the rules are read from the files. The repository's Dockerfile
must be multi-stage, install the member named by its build arguments from uv.lock
(`uv sync --frozen --no-dev --package ${PACKAGE}`), run on python:3.11-slim as a numeric
non-root user, have a HEALTHCHECK on /health/live and start the member's app factory. Each
of services/*, sandbox/* and portal must be built by docker-compose.yml from that Dockerfile
with build arguments that match its pyproject.toml; members that render PDFs get fonts, the
portal gets its npm assets (the `web` target). Test support (libs/testing) stays out of
every image: the Dockerfile copies no more of it than its manifest, and no runtime member
depends on it.

Usage: check_dockerfiles.py <repository root>
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

NEEDS_FONTS = {"hoso-signing", "hoso-eforms"}
# Members that serve pages with front-end assets from npm: built to the `web` target.
NEEDS_ASSETS = {"hoso-portal"}
IGNORED_BY_CONTEXT = (".git", "**/.venv")
TEST_SUPPORT = ("libs/testing", "hoso-testing")


def dockerfile_errors(root: Path, members: list[Path]) -> list[str]:
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file():
        return ["Dockerfile: missing"]
    text = dockerfile.read_text()
    errors: list[str] = []
    if len(re.findall(r"^FROM ", text, re.M)) < 2:
        errors.append("Dockerfile: must be multi-stage (builder + runtime)")
    if not re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M):
        errors.append("Dockerfile: base image must be python:3.11-slim")
    if "uv sync --frozen --no-dev --package ${PACKAGE}" not in text:
        errors.append("Dockerfile: must install with `uv sync --frozen --no-dev --package`")
    if "COPY pyproject.toml uv.lock" not in text:
        errors.append("Dockerfile: must build from the lock file")
    for member in members:
        manifest = (member / "pyproject.toml").relative_to(root).as_posix()
        if f"COPY {manifest} {manifest}" not in text:
            errors.append(f"Dockerfile: uv needs {manifest} to resolve the workspace")
    user = re.findall(r"^USER (\S+)", text, re.M)
    if not user or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user[-1]):
        errors.append("Dockerfile: last USER must be a numeric non-root uid")
    if not re.search(r"^HEALTHCHECK .*(\n\s+.*)*?/health/live", text, re.M):
        errors.append("Dockerfile: HEALTHCHECK on /health/live missing")
    if "${MODULE}.main:create_app" not in text:
        errors.append("Dockerfile: must start ${MODULE}.main:create_app")
    if not re.search(r"^FROM runtime AS web$", text, re.M):
        errors.append("Dockerfile: the `web` target (runtime plus npm assets) missing")
    return errors


def build_errors(root: Path, member: Path, dist: str, builds: list[dict[str, Any]]) -> list[str]:
    """The compose builds of `member` use the one Dockerfile with arguments naming it."""
    where = member.relative_to(root).as_posix()
    mine = [build for build in builds if (build.get("args") or {}).get("MEMBER") == where]
    if not mine:
        return [f"docker-compose.yml: no build of {where}"]
    errors: list[str] = []
    for build in mine:
        args = build.get("args") or {}
        if build.get("dockerfile", "Dockerfile") != "Dockerfile":
            errors.append(f"{where}: must be built from the repository's Dockerfile")
        if args.get("PACKAGE") != dist:
            errors.append(f"{where}: build argument PACKAGE must be {dist}")
        if args.get("MODULE") != dist.replace("-", "_"):
            errors.append(f"{where}: build argument MODULE must be {dist.replace('-', '_')}")
        if dist in NEEDS_FONTS and "fonts-dejavu-core" not in str(args.get("APT_PACKAGES", "")):
            errors.append(f"{where}: {dist} renders PDFs and needs fonts-dejavu-core")
        if dist in NEEDS_ASSETS and build.get("target") != "web":
            errors.append(f"{where}: {dist} serves npm assets and must be built to target web")
    return errors


def copies_test_support(source: str) -> bool:
    """Whether a COPY source brings libs/testing's code: it, a folder above it, or the root."""
    folder = TEST_SUPPORT[0]
    path = source.removeprefix("./").rstrip("/")
    if path in ("", "."):
        return True
    if path.startswith(f"{folder}/"):
        return path != f"{folder}/pyproject.toml"
    return folder == path or folder.startswith(f"{path}/")


def test_support_copies(root: Path) -> list[str]:
    """The Dockerfile copies the dev-only test support's manifest at most, never its code."""
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file():
        return []
    errors: list[str] = []
    for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), re.M):
        words = line.split()
        if any(word.startswith("--from=") for word in words):
            continue  # from another stage, not from the build context
        sources = [word for word in words[:-1] if not word.startswith("--")]
        errors += [
            f"Dockerfile: COPY {source} brings test support ({TEST_SUPPORT[0]}) into the image"
            for source in sources
            if copies_test_support(source)
        ]
    return errors


def test_support_dependency(root: Path, member: Path) -> list[str]:
    """A runtime member never depends on the dev-only test support."""
    manifest = member / "pyproject.toml"
    needs = tomllib.loads(manifest.read_text())["project"].get("dependencies", [])
    if any(re.match(rf"{TEST_SUPPORT[1]}\b", need) for need in needs):
        return [
            f"{manifest.relative_to(root).as_posix()}: a runtime member must not depend on "
            f"{TEST_SUPPORT[1]}"
        ]
    return []


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else ".")
    errors: list[str] = []
    members = sorted(
        p.parent
        for pattern in (
            "services/*/pyproject.toml",
            "sandbox/*/pyproject.toml",
            "portal/pyproject.toml",
        )
        for p in root.glob(pattern)
    )
    # Every workspace member's manifest (one or two folders deep), the root's own excluded.
    workspace = sorted(
        p.parent
        for pattern in ("*/pyproject.toml", "*/*/pyproject.toml")
        for p in root.glob(pattern)
    )
    errors += dockerfile_errors(root, workspace)
    compose = yaml.safe_load((root / "docker-compose.yml").read_text())
    builds = [
        service["build"]
        for service in compose.get("services", {}).values()
        if isinstance(service.get("build"), dict)
    ]
    for member in members:
        dist = tomllib.loads((member / "pyproject.toml").read_text())["project"]["name"]
        errors += build_errors(root, member, dist, builds)
    errors += test_support_copies(root)
    runtime = [*members, *(p.parent for p in root.glob("libs/*/pyproject.toml"))]
    for member in sorted(runtime):
        if member != root / TEST_SUPPORT[0]:
            errors += test_support_dependency(root, member)
    ignore = root / ".dockerignore"
    if not ignore.is_file():
        errors.append(".dockerignore missing (the build context is the repository root)")
    else:
        lines = ignore.read_text().splitlines()
        errors += [f".dockerignore must exclude {p}" for p in IGNORED_BY_CONTEXT if p not in lines]
    for error in errors:
        print(f"  {error}")
    verdict = f"FAILED, {len(errors)} problems" if errors else "rules hold"
    print(f"Dockerfiles: {len(members)} images from one Dockerfile, {verdict}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
