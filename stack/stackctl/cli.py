"""The commands of `python3 stack/hoso_stack.py`: up, down, reset, stop, kill, start, status."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import renders
from .inventory import all_parts, select
from .parts import Part, PartFailed
from .probes import port_in_use
from .settings import (
    CA_PORT,
    CONF,
    DATA,
    GATEWAY_PORT,
    HOST,
    KAFKA_PORT,
    KAFKA_SASL_PORT,
    KAFKA_SASL_USER,
    KEYCLOAK_ADMIN,
    KEYCLOAK_ADMIN_PASSWORD,
    LOGS,
    METRICS_PORT,
    MONGO_PORT,
    OIDC_ISSUER,
    PORTAL_PORT,
    PUBLIC_AUTH_URL,
    REPO,
    RUN,
    S3_ACCESS_KEY,
    S3_PORT,
    S3_SECRET_KEY,
    SMTP_PORT,
    TAIL_LINES,
    ZIPKIN_PORT,
    LogFile,
    StackError,
    out,
    tail,
)
from .supervisor import DEAD_STATES, Supervisor


def group_members(pgid: int) -> list[int]:
    """Live processes of the process group supervisord made for a part (pgid = its pid)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is field 3 of proc(5): state; the process group is field 5
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


@dataclass
class Launch:
    """A part being brought up; `ours` when this command started it, `pid` its process.

    `running`: it was running when this command came (not being started again after dying).
    """

    part: Part
    ours: bool
    pid: int
    began: float
    running: bool = False
    ready_in: float | None = None

    def check(self, supervisor: Supervisor, timeout: float) -> None:
        """Record readiness, or raise when the part died or ran out of time."""
        info = supervisor.info(self.part.name)
        if self.ours and (info.state in DEAD_STATES or info.pid not in (0, self.pid)):
            # a restart by supervisord in between also means the first process exited
            raise PartFailed(self.part, f"exited with code {info.exitstatus} before it was ready")
        if info.state in ("STOPPED", "STOPPING", "FATAL"):
            raise PartFailed(self.part, "is no longer running")
        elapsed = time.monotonic() - self.began
        limit = max(timeout, self.part.min_timeout_s)
        if info.state in ("STARTING", "RUNNING") and self.part.ready():
            self.ready_in = elapsed
        elif elapsed > limit:
            raise PartFailed(self.part, f"not ready after {limit:.0f}s")


def launch(supervisor: Supervisor, part: Part) -> Launch:
    began = time.monotonic()
    part.prepare()
    info = supervisor.info(part.name)
    if info.state in ("STARTING", "RUNNING", "BACKOFF"):
        # running, or being started again by supervisord after it died
        if info.pid:
            part.reload(info.pid)
        running = info.state == "RUNNING"
        return Launch(part, ours=False, pid=info.pid, began=began, running=running)
    busy = [port for port in part.ports() if port_in_use(port)]
    with LogFile(part.log_path, "start: " + " ".join(part.command())) as log:
        if busy:
            os.write(log, f"hoso_stack: port(s) {busy} already in use before start\n".encode())
    if busy:
        # Something that is not ours holds the port: a TCP probe would answer for it.
        raise PartFailed(
            part, f"port(s) {', '.join(map(str, busy))} already in use by another process"
        )
    ours = supervisor.start(part.name)
    return Launch(part, ours=ours, pid=supervisor.info(part.name).pid, began=began)


def wait_group(
    supervisor: Supervisor, launches: list[Launch], step: int, total: int, timeout: float
) -> int:
    """Wait for the parts started together, reporting them in order; returns the last step."""
    pending = list(launches)
    shown = False  # the head's "[n/N] name ... " is on screen, waiting for its result
    while pending:
        for item in pending:
            if item.ready_in is None:
                item.check(supervisor, timeout)
        while pending and pending[0].ready_in is not None:
            item = pending.pop(0)
            if not shown:
                step += 1
                sys.stdout.write(f"[{step}/{total}] {item.part.name} ... ")
            shown = False
            if item.running:
                out(f"already running (pid {item.pid or '?'})")
            else:
                out(f"ready in {item.ready_in:.1f}s")
        if pending and not shown:
            step += 1
            sys.stdout.write(f"[{step}/{total}] {pending[0].part.name} ... ")
            sys.stdout.flush()
            shown = True
        if pending:
            time.sleep(0.25)
    return step


def bring_up(parts: list[Part], timeout: float, restart_changed: bool) -> int:
    """Start the parts (group by group, each once the previous group is ready)."""
    for directory in (DATA, LOGS, CONF, RUN):
        directory.mkdir(parents=True, exist_ok=True)
    started_at = time.monotonic()
    supervisor = Supervisor()
    changed = set(supervisor.ensure(all_parts()))
    for part in parts:
        if part.name not in changed:
            continue
        # supervisord keeps running a part under its old config; a stopped part takes the
        # new one now, and `start` also restarts a running one to apply the caller's settings
        if supervisor.info(part.name).running and not restart_changed:
            continue
        supervisor.stop([part.name])
        supervisor.replace(part.name)
    # Parts of one group start together, the next group only once they are all ready:
    # the apps need the infrastructure, the services need Keycloak's keys.
    groups: list[list[Part]] = []
    for part in parts:
        if groups and groups[-1][0].group == part.group:
            groups[-1].append(part)
        else:
            groups.append([part])
    step = 0
    try:
        for group in groups:
            launches = [launch(supervisor, part) for part in group]
            step = wait_group(supervisor, launches, step, len(parts), timeout)
    except PartFailed as failure:
        out(f"\nFAILED: {failure.part.name} {failure.reason}")
        out(f"--- last {TAIL_LINES} lines of {failure.part.log_path.relative_to(REPO)} ---")
        for line in tail(failure.part.log_path, TAIL_LINES):
            out("  " + line)
        out("---\nThe other parts keep running; `python3 stack/hoso_stack.py down` stops them.")
        return 1
    out(f"\nstack up in {time.monotonic() - started_at:.1f}s")
    print_urls(parts)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    parts = select(all_parts(), args.only, args.without)
    if not parts:
        raise StackError("nothing selected")
    return bring_up(parts, args.timeout, restart_changed=False)


def print_urls(parts: list[Part]) -> None:
    names = {p.name for p in parts}
    gateway = f"http://{HOST}:{GATEWAY_PORT}"
    rows: list[tuple[str, str]] = []
    if "gateway" in names:
        rows.append(("portal" if "portal" in names else "gateway", f"{gateway}/"))
    for service in ("documents", "eforms", "submission", "notifications", "signing"):
        if any(n == service or n.startswith(service + "-") for n in names):
            rows.append((f"{service} docs", f"{gateway}/api/{service}/docs"))
    if "keycloak" in names:
        rows.append(("Keycloak issuer", OIDC_ISSUER))
        rows.append(("login (demo users)", f"{OIDC_ISSUER}/account/  (docs/configuration.md)"))
        rows.append(
            (
                "Keycloak admin",
                f"{PUBLIC_AUTH_URL}/admin/  {KEYCLOAK_ADMIN} / {KEYCLOAK_ADMIN_PASSWORD}",
            )
        )
    if "ca" in names:
        rows.append(("CA", f"http://{HOST}:{CA_PORT}/  (via gateway {gateway}/ca/)"))
        rows.append(("CA phone page", f"{gateway}/ca/phone"))
    if "metrics" in names:
        rows.append(
            ("metrics UI", f"{gateway}/metrics-ui/  (VictoriaMetrics, {HOST}:{METRICS_PORT})")
        )
    if "zipkin" in names:
        rows.append(("traces UI", f"{gateway}/traces/  (Zipkin, {HOST}:{ZIPKIN_PORT})"))
    if "mailpit" in names:
        rows.append(
            ("mail (Mailpit API)", f"{gateway}/mail/api/v1/messages  (SMTP {HOST}:{SMTP_PORT})")
        )
    if "kafka" in names:
        rows.append(("Kafka", f"{HOST}:{KAFKA_PORT}"))
        rows.append(("Kafka SASL/SCRAM", f"{HOST}:{KAFKA_SASL_PORT} ({KAFKA_SASL_USER})"))
    if "mongo-lock" in names:
        rows.append(("MongoDB (FerretDB)", f"mongodb://{HOST}:{MONGO_PORT}/"))
    if "s3" in names:
        rows.append(
            ("S3 (S3Proxy)", f"http://{HOST}:{S3_PORT}/  key {S3_ACCESS_KEY} / {S3_SECRET_KEY}")
        )
    if "portal" in names and "gateway" not in names:
        rows.append(("portal", f"http://{HOST}:{PORTAL_PORT}/"))
    if not rows:
        return
    width = max(len(label) for label, _ in rows)
    for label, url in rows:
        out(f"  {label.ljust(width)}  {url}")
    out(f"  {'logs'.ljust(width)}  {LOGS.relative_to(REPO)}/<name>.log")


def stop_parts(supervisor: Supervisor, names: list[str]) -> None:
    """Stop the parts (supervisord: SIGTERM, SIGKILL after the grace), then their strays."""
    groups = {name: supervisor.info(name).pid for name in names}
    supervisor.stop(names)
    for name, pgid in groups.items():
        # a process that left its part's group alive when the part ended (none should)
        left = group_members(pgid) if pgid else []
        if left:
            out(f"  {name}: {len(left)} process(es) left after the stop, sending SIGKILL")
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def running_names(supervisor: Supervisor) -> list[str]:
    return [name for name, info in supervisor.all_info().items() if info.state != "STOPPED"]


def cmd_down(_args: argparse.Namespace) -> int:
    supervisor = Supervisor()
    if not supervisor.answers():
        out("supervisord is not running (.stack/run/supervisor.sock); nothing to stop")
        return 0
    order = {part.name: index for index, part in enumerate(all_parts())}
    names = sorted(running_names(supervisor), key=lambda name: order.get(name, len(order)))
    # apps first so they can leave their consumer groups, then the infrastructure
    infra_names = {part.name for part in all_parts() if part.group == "infra"}
    apps = [name for name in names if name not in infra_names]
    infra = [name for name in names if name in infra_names]
    for wave in (apps, infra):
        if wave:
            began = time.monotonic()
            stop_parts(supervisor, wave)
            out(f"stopped {', '.join(wave)} in {time.monotonic() - began:.1f}s")
    supervisor.shutdown()
    out("supervisord stopped")
    return 0


def chosen(names: str) -> list[Part]:
    parts = select(all_parts(), names, None)
    if not parts:
        raise StackError("nothing selected")
    return parts


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop some parts (SIGTERM, then SIGKILL after the grace), as an outage would.

    supervisord leaves a stopped part down until `start`.
    """
    supervisor = Supervisor()
    names = [part.name for part in chosen(args.names)] if supervisor.answers() else []
    names = [name for name in names if supervisor.info(name).running]
    began = time.monotonic()
    stop_parts(supervisor, names)
    out(f"stopped {', '.join(names) or 'nothing'} in {time.monotonic() - began:.1f}s")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    """kill -9 some parts' process groups, with no warning; supervisord starts them again."""
    supervisor = Supervisor()
    parts = chosen(args.names)
    if not supervisor.answers():
        return 0
    for part in parts:
        pid = supervisor.info(part.name).pid
        if not pid:
            continue
        for member in group_members(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGKILL)
        out(f"killed {part.name} (pid {pid})")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """Start the named parts that are not running (or wait for supervisord's restart).

    A part whose settings differ from the caller's (a test's own environment) is restarted.
    """
    return bring_up(chosen(args.names), args.timeout, restart_changed=True)


def cmd_reset(args: argparse.Namespace) -> int:
    cmd_down(args)
    for directory in (DATA, RUN, CONF):
        if directory.exists():
            shutil.rmtree(directory)
    out(f"deleted {DATA.relative_to(REPO)} (logs kept in {LOGS.relative_to(REPO)})")
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    parts = {part.name: part for part in all_parts()}
    processes = Supervisor().all_info()
    names = list(parts) + [name for name in processes if name not in parts]
    out(f"{'NAME':<12} {'PID':>8}  {'STATE':<9} {'HEALTH':<8} URL")
    running = 0
    for name in names:
        info = processes.get(name)
        part = parts.get(name)
        alive = info is not None and info.running
        running += alive
        if alive:
            state = "running"
        elif info is not None and info.state in DEAD_STATES:
            state = "dead"
        else:
            state = "stopped"
        health = ("ready" if part.ready() else "no") if part and alive else "-"
        pid = str(info.pid) if info and info.pid else "-"
        url = part.url() if part else ""
        out(f"{name:<12} {pid:>8}  {state:<9} {health:<8} {url}")
    if not running:
        out("(nothing running)")
    return 0


def log_files(names: list[str]) -> Iterator[Path]:
    if not names:
        yield from sorted(LOGS.glob("*.log"))
        return
    for name in names:
        path = LOGS / f"{name}.log"
        if not path.exists():
            raise StackError(f"no log {path.relative_to(REPO)}")
        yield path


def cmd_logs(args: argparse.Namespace) -> int:
    paths = list(log_files(args.names))
    for path in paths:
        out(f"==> {path.relative_to(REPO)} <==")
        for line in tail(path, args.lines):
            out(line)
    if not args.follow:
        return 0
    offsets = {path: path.stat().st_size for path in paths}
    try:
        while True:
            for path in paths:
                size = path.stat().st_size
                if size < offsets[path]:
                    offsets[path] = 0
                if size > offsets[path]:
                    with path.open("rb") as handle:
                        handle.seek(offsets[path])
                        chunk = handle.read().decode(errors="replace")
                    offsets[path] = size
                    prefix = f"{path.stem}| " if len(paths) > 1 else ""
                    for line in chunk.splitlines():
                        out(prefix + line)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start, stop and inspect the local hoso stack (Kafka, FerretDB, S3Proxy, "
        "Keycloak, apps)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start what is not running and wait until it answers")
    up.add_argument("--only", help="comma list of parts or groups (infra, sandbox, services)")
    up.add_argument("--without", help="comma list of parts or groups to leave out")
    up.add_argument(
        "--timeout", type=float, default=float(os.environ.get("HOSO_STACK_TIMEOUT", 90))
    )
    up.set_defaults(func=cmd_up)
    commands.add_parser("down", help="stop every part, then supervisord").set_defaults(
        func=cmd_down
    )
    commands.add_parser("reset", help="down, then delete .stack/data").set_defaults(func=cmd_reset)
    # Used by the fault scenarios (tests/faults) and by hand to rehearse an outage.
    for name, func, text in [
        ("stop", cmd_stop, "stop the named parts (comma list), gracefully"),
        ("kill", cmd_kill, "kill -9 the named parts (comma list)"),
        ("start", cmd_start, "start the named parts that are not running and wait for them"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "names", help="comma list of parts or groups, e.g. ferretdb,mongo-lock"
        )
        if name == "start":
            command.add_argument(
                "--timeout", type=float, default=float(os.environ.get("HOSO_STACK_TIMEOUT", 90))
            )
        command.set_defaults(func=func)
    commands.add_parser("status", help="show each part's process and health").set_defaults(
        func=cmd_status
    )
    logs = commands.add_parser("logs", help="show the tail of the logs (all or the named parts)")
    logs.add_argument("names", nargs="*")
    logs.add_argument("-n", "--lines", type=int, default=30)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(func=cmd_logs)
    routes = commands.add_parser(
        "renders", help="check compose's gateway and the Ingresses against the routes"
    )
    routes.add_argument("--write", action="store_true", help="rewrite them instead")
    routes.set_defaults(func=lambda args: renders.check(args.write))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `status | head` should not trace back
    try:
        return int(args.func(args))
    except StackError as error:
        out(f"error: {error}")
        return 2
