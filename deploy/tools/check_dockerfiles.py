"""Check that every runnable workspace member has a Dockerfile built the agreed way.

No Docker engine is needed: the rules are read from the files. Each of services/*, sandbox/*
and portal must have a multi-stage Dockerfile that installs the package from uv.lock
(`uv sync --frozen --no-dev --package <dist>`), runs on python:3.11-slim as a numeric
non-root user, has a HEALTHCHECK on /health/live and starts the package's app factory.
Services that render PDFs carry fonts. Test support (libs/testing) stays out of every image:
no Dockerfile copies its code and no runtime member depends on it.

Usage: check_dockerfiles.py <repository root>
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

NEEDS_FONTS = {"hoso-signing", "hoso-eforms"}
IGNORED_BY_CONTEXT = (".git", "**/.venv")
TEST_SUPPORT = ("libs/testing", "hoso-testing")


def dockerfile_errors(root: Path, member: Path, dist: str) -> list[str]:
    dockerfile = member / "Dockerfile"
    where = dockerfile.relative_to(root).as_posix()
    if not dockerfile.is_file():
        return [f"{where}: missing"]
    text = dockerfile.read_text()
    module = dist.replace("-", "_")
    errors: list[str] = []
    if len(re.findall(r"^FROM ", text, re.M)) < 2:
        errors.append(f"{where}: must be multi-stage (builder + runtime)")
    if not re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M):
        errors.append(f"{where}: base image must be python:3.11-slim")
    if f"uv sync --frozen --no-dev --package {dist}" not in text:
        errors.append(f"{where}: must install with `uv sync --frozen --no-dev --package {dist}`")
    if "COPY pyproject.toml uv.lock" not in text:
        errors.append(f"{where}: must build from the lock file")
    user = re.findall(r"^USER (\S+)", text, re.M)
    if not user or not re.fullmatch(r"[1-9][0-9]*(:[1-9][0-9]*)?", user[-1]):
        errors.append(f"{where}: last USER must be a numeric non-root uid")
    if not re.search(r"^HEALTHCHECK .*(\n\s+.*)*?/health/live", text, re.M):
        errors.append(f"{where}: HEALTHCHECK on /health/live missing")
    if f"{module}.main:create_app" not in text:
        errors.append(f"{where}: must start {module}.main:create_app")
    if dist in NEEDS_FONTS and "fonts-dejavu-core" not in text:
        errors.append(f"{where}: {dist} renders PDFs and needs fonts-dejavu-core")
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


def test_support_leaks(root: Path, member: Path) -> list[str]:
    """A runtime member never carries the dev-only test support, as code or as dependency."""
    errors: list[str] = []
    manifest = member / "pyproject.toml"
    needs = tomllib.loads(manifest.read_text())["project"].get("dependencies", [])
    if any(re.match(rf"{TEST_SUPPORT[1]}\b", need) for need in needs):
        errors.append(
            f"{manifest.relative_to(root).as_posix()}: a runtime member must not depend on "
            f"{TEST_SUPPORT[1]}"
        )
    dockerfile = member / "Dockerfile"
    if dockerfile.is_file():
        where = dockerfile.relative_to(root).as_posix()
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile.read_text(), re.M):
            words = line.split()
            if any(word.startswith("--from=") for word in words):
                continue  # from another stage, not from the build context
            sources = [word for word in words[:-1] if not word.startswith("--")]
            errors += [
                f"{where}: COPY {source} brings test support ({TEST_SUPPORT[0]}) into the image"
                for source in sources
                if copies_test_support(source)
            ]
    return errors


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
    for member in members:
        dist = tomllib.loads((member / "pyproject.toml").read_text())["project"]["name"]
        errors += dockerfile_errors(root, member, dist)
    runtime = [*members, *(p.parent for p in root.glob("libs/*/pyproject.toml"))]
    for member in sorted(runtime):
        if member != root / TEST_SUPPORT[0]:
            errors += test_support_leaks(root, member)
    ignore = root / ".dockerignore"
    if not ignore.is_file():
        errors.append(".dockerignore missing (the build context is the repository root)")
    else:
        lines = ignore.read_text().splitlines()
        errors += [f".dockerignore must exclude {p}" for p in IGNORED_BY_CONTEXT if p not in lines]
    for error in errors:
        print(f"  {error}")
    verdict = f"FAILED, {len(errors)} problems" if errors else "rules hold"
    print(f"Dockerfiles: {len(members)} images, {verdict}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
