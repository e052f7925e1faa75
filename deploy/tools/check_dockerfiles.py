"""Check that every runnable workspace member has a Dockerfile built the agreed way.

No Docker engine is needed: the rules are read from the files. Each of services/*, sandbox/*
and portal must have a multi-stage Dockerfile that installs the package from uv.lock
(`uv sync --frozen --no-dev --package <dist>`), runs on python:3.11-slim as a numeric
non-root user, has a HEALTHCHECK on /health/live and starts the package's app factory.
Services that render PDFs carry fonts.

Usage: check_dockerfiles.py <repository root>
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

NEEDS_FONTS = {"hoso-signing", "hoso-eforms"}
IGNORED_BY_CONTEXT = (".git", "**/.venv")


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
