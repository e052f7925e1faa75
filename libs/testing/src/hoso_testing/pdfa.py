"""veraPDF, the independent PDF/A validator of the tests (stack/install.sh installs it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def verapdf_launcher() -> Path:
    """Where the installer puts the veraPDF CLI: the hoso cache."""
    cache = Path(os.environ.get("HOSO_CACHE", Path.home() / ".cache" / "hoso"))
    return cache / "verapdf" / "verapdf"


def pdfa_2b_report(launcher: Path, pdf: Path) -> subprocess.CompletedProcess[str]:
    """veraPDF's PDF/A-2b verdict on `pdf`; its stdout starts with `PASS <path>` or `FAIL`."""
    return subprocess.run(  # noqa: S603  (the installed launcher, on a test file)
        [str(launcher), "--flavour", "2b", "--format", "text", str(pdf)],
        capture_output=True,
        text=True,
        timeout=300,
    )
