"""The stack package's pure parts: supervisord's config, the choice of parts, the app commands."""

from __future__ import annotations

import configparser
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stackctl.inventory import all_parts, select
from stackctl.parts import App, Part
from stackctl.settings import LOGS, StackError
from stackctl.supervisor import Home, render


class FakePart(Part):
    name = "fake"
    group = "infra"
    port = 1

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self._command = command
        self._env = env

    def command(self) -> list[str]:
        return self._command

    def env(self) -> dict[str, str]:
        return self._env


def _parse(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def test_a_part_becomes_a_program_supervisord_restarts_and_stops_as_a_group(
    tmp_path: Path,
) -> None:
    command = ["java", "-cp", "/opt/kafka libs/*", "--rate=50%"]
    part = FakePart(command, {"HOSO_X": "a,b 10%", "HOSO_Y": "y"})
    config = _parse(render([part], Home.under(tmp_path / "run", tmp_path)))

    program = config["program:fake"]
    # supervisord expands %(name)s in its values: a literal % is doubled, and undoubled
    # the command line splits back into the same arguments
    assert shlex.split(program["command"].replace("%%", "%")) == command
    assert program["environment"] == 'HOSO_X="a,b 10%%",HOSO_Y="y"'
    assert program["autostart"] == "false"  # `up` starts the parts in order itself
    assert program["autorestart"] == "true"
    assert program["stopasgroup"] == program["killasgroup"] == "true"
    assert program["stdout_logfile"] == str(LOGS / "fake.log")
    assert program["stdout_logfile_maxbytes"] == "0"
    assert program["redirect_stderr"] == "true"
    assert config["unix_http_server"]["file"] == str(tmp_path / "run" / "supervisor.sock")
    assert config["supervisord"]["pidfile"] == str(tmp_path / "run" / "supervisord.pid")


def test_a_value_supervisord_cannot_carry_is_refused(tmp_path: Path) -> None:
    part = FakePart(["true"], {"HOSO_X": 'say "hi"'})
    with pytest.raises(StackError, match="HOSO_X"):
        render([part], Home.under(tmp_path, tmp_path))


def test_every_part_is_a_program_in_start_order(tmp_path: Path) -> None:
    parts = all_parts()
    config = _parse(render(parts, Home.under(tmp_path, tmp_path)))
    programs = [section.removeprefix("program:") for section in config.sections()[3:]]
    assert programs == [part.name for part in parts]
    priorities = [int(config[f"program:{name}"]["priority"]) for name in programs]
    assert priorities == sorted(priorities)
    # no program inherits the whole environment of the command that wrote the file
    assert all("PATH=" not in config[f"program:{n}"].get("environment", "") for n in programs)


def test_an_app_runs_its_own_uvicorn_so_its_pid_is_the_server() -> None:
    app = App("documents", "hoso_documents", 8101, "services", extra_env={"HOSO_X": "1"})
    command = app.command()
    assert command[0].endswith("/.venv/bin/uvicorn")
    assert command[command.index("--factory") + 1] == "hoso_documents.main:create_app"
    assert command[command.index("--port") + 1] == "8101"
    env = app.env()
    assert env["HOSO_X"] == "1"
    assert env["HOSO_MONGO_URL"].startswith("mongodb://127.0.0.1:")


def test_parts_are_chosen_by_name_group_or_replica_family() -> None:
    parts = all_parts()
    names = [part.name for part in select(parts, "signing,kafka", None)]
    assert names[0] == "kafka"
    assert {n for n in names if n.startswith("signing-")} == set(names) - {"kafka"}
    assert len(names) >= 2
    infra = {part.name for part in select(parts, "infra", "keycloak")}
    assert "kafka" in infra and "keycloak" not in infra and "documents" not in infra
    with pytest.raises(StackError, match="unknown part 'kafak'"):
        select(parts, "kafak", None)
