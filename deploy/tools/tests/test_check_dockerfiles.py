"""deploy/tools/check_dockerfiles.py keeps the dev-only test support out of every image.

Each test copies the repository's manifests and Dockerfiles into a scratch tree, introduces
one fault and asserts the check names it; the untouched copy must pass.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_dockerfiles", HERE.parent / "check_dockerfiles.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The files the check reads, as committed."""
    for name in (".dockerignore", "Dockerfile", "docker-compose.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for member in ("libs/*", "services/*", "sandbox/*", "portal"):
        for source in ROOT.glob(f"{member}/pyproject.toml"):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return tmp_path


def test_the_committed_dockerfiles_pass(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert checker.main(["check", str(tree)]) == 0
    assert "rules hold" in capsys.readouterr().out


@pytest.mark.parametrize(
    "copy_line",
    ["COPY libs/testing/ libs/testing/", "COPY libs/ libs/", "COPY . .", "COPY ./libs ./libs"],
)
def test_an_image_that_copies_the_test_support_fails(
    tree: Path, capsys: pytest.CaptureFixture[str], copy_line: str
) -> None:
    dockerfile = tree / "Dockerfile"
    text = dockerfile.read_text()
    anchor = "COPY libs/common/ libs/common/\n"
    assert anchor in text
    dockerfile.write_text(text.replace(anchor, f"{anchor}{copy_line}\n"))

    assert checker.main(["check", str(tree)]) == 1
    out = capsys.readouterr().out
    assert "Dockerfile: COPY" in out
    assert "brings test support" in out


def test_copying_only_the_manifest_of_the_test_support_passes(tree: Path) -> None:
    """uv resolves the workspace from every member's manifest, the test support's included."""
    manifest = "COPY libs/testing/pyproject.toml libs/testing/pyproject.toml\n"
    assert manifest in (tree / "Dockerfile").read_text()

    assert checker.main(["check", str(tree)]) == 0


@pytest.mark.parametrize("member", ["libs/common", "services/eforms", "portal"])
def test_a_runtime_member_that_depends_on_the_test_support_fails(
    tree: Path, capsys: pytest.CaptureFixture[str], member: str
) -> None:
    manifest = tree / member / "pyproject.toml"
    text = manifest.read_text()
    assert "dependencies = [\n" in text
    needs = 'dependencies = [\n    "hoso-testing",\n'
    manifest.write_text(text.replace("dependencies = [\n", needs))

    assert checker.main(["check", str(tree)]) == 1
    assert f"{member}/pyproject.toml: a runtime member must not depend on hoso-testing" in (
        capsys.readouterr().out
    )
