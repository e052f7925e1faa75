"""Start, stop and inspect the local hoso stack (Kafka, FerretDB, S3Proxy, Keycloak, apps)."""

# This tool's job is to run fixed local programs and to probe http://127.0.0.1 URLs it builds.
# ruff: noqa: S310

from __future__ import annotations

import argparse
import base64
import contextlib
import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import gateway_policy

REPO = Path(__file__).resolve().parent.parent
STACK = REPO / ".stack"
DATA = STACK / "data"
LOGS = STACK / "logs"
PIDS = STACK / "pids"
CONF = STACK / "conf"
RUN = STACK / "run"
CACHE = Path(os.environ.get("HOSO_CACHE") or Path.home() / ".cache" / "hoso")


def portal_assets_dir() -> Path:
    """The portal's npm assets, in the folder stack/install.sh made for this package.json."""
    pins = (REPO / "portal" / "assets" / "package.json").read_bytes()
    return CACHE / f"portal-assets-{hashlib.sha256(pins).hexdigest()[:16]}" / "node_modules"


KAFKA_LIBS = CACHE / "kafka-4.1.1" / "libs"
S3PROXY_LIBS = CACHE / "s3proxy-2.6.0" / "libs"
FERRETDB_BIN = CACHE / "ferretdb-1.24.2" / "ferretdb"
KEYCLOAK_HOME = CACHE / "keycloak-26.5.6"
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-hoso.json"
THEMES = REPO / "deploy" / "keycloak" / "themes"
VICTORIAMETRICS_BIN = CACHE / "victoriametrics-1.148.8" / "victoria-metrics"
ZIPKIN_JAR = CACHE / "zipkin-3.5.1" / "zipkin-server-3.5.1-exec.jar"
MAILPIT_BIN = CACHE / "mailpit-1.33.1" / "mailpit"

HOST = "127.0.0.1"
S3_ACCESS_KEY = "hoso-local"
S3_SECRET_KEY = "hoso-local-secret"  # noqa: S105 - the local stack's documented placeholder
TAIL_LINES = 30
STOP_GRACE_S = 15.0


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


GATEWAY_PORT = env_int("HOSO_GATEWAY_PORT", 8080)
KAFKA_PORT = env_int("HOSO_KAFKA_PORT", 9092)
# A second listener with SASL/SCRAM-SHA-512, as production Kafka has; the apps keep the
# plaintext one, tests prove the authenticated path (docs/operations.md, "Kafka security").
KAFKA_SASL_PORT = env_int("HOSO_KAFKA_SASL_PORT", KAFKA_PORT + 2)
KAFKA_SASL_USER = "hoso-local"
KAFKA_SASL_PASSWORD = "hoso-local-secret"  # noqa: S105 - the local stack's documented placeholder
MONGO_PORT = env_int("HOSO_MONGO_PORT", 27017)
# FerretDB itself listens here, behind stack/mongo_write_lock.py (see docs/decisions.md)
FERRETDB_PORT = env_int("HOSO_FERRETDB_PORT", MONGO_PORT + 1)
S3_PORT = env_int("HOSO_S3_PORT", 9000)
KEYCLOAK_PORT = env_int("HOSO_KEYCLOAK_PORT", 8180)
KEYCLOAK_MANAGEMENT_PORT = env_int("HOSO_KEYCLOAK_MANAGEMENT_PORT", KEYCLOAK_PORT + 1)
# The master realm's administrator, created on the first start; tests and benchmarks use it
# to create their users through the admin REST API (local stack only).
KEYCLOAK_ADMIN = "admin"
KEYCLOAK_ADMIN_PASSWORD = "hoso-local-admin"  # noqa: S105 - the local stack's documented placeholder
CA_PORT = env_int("HOSO_CA_PORT", 8091)
METRICS_PORT = env_int("HOSO_METRICS_PORT", 8428)
ZIPKIN_PORT = env_int("HOSO_ZIPKIN_PORT", 9411)
MAILPIT_PORT = env_int("HOSO_MAILPIT_PORT", 8025)
SMTP_PORT = env_int("HOSO_SMTP_PORT", 1025)
SIGNING_REPLICAS = env_int("SIGNING_REPLICAS", 2)
GATEWAY_MAX_BODY = os.environ.get("HOSO_GATEWAY_MAX_BODY", "110m")

SERVICE_PORTS = {"documents": 8101, "eforms": 8102, "submission": 8104, "notifications": 8105}
# Browsers and services see one issuer: Keycloak behind the gateway under /auth.
PUBLIC_AUTH_URL = f"http://{HOST}:{GATEWAY_PORT}/auth"
OIDC_ISSUER = f"{PUBLIC_AUTH_URL}/realms/hoso"
SIGNING_BASE_PORT = 8130
PORTAL_PORT = env_int("HOSO_PORTAL_PORT", 8100)


def out(message: str = "") -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def shared_env() -> dict[str, str]:
    """Environment of every app process: the shared settings of docs/configuration.md."""
    env = dict(os.environ)
    env.update(
        {
            "HOSO_KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{KAFKA_PORT}",
            # Only here do services create missing topics (the topics Job does elsewhere).
            "HOSO_KAFKA_CREATE_TOPICS": "true",
            "HOSO_MONGO_URL": f"mongodb://{HOST}:{MONGO_PORT}/",
            # FerretDB skips empty outboxes undecoded only when the scan asks `outbox != []`
            "HOSO_MONGO_OUTBOX_PREFILTER": "true",
            "HOSO_S3_ENDPOINT": f"{HOST}:{S3_PORT}",
            "HOSO_S3_ACCESS_KEY": S3_ACCESS_KEY,
            "HOSO_S3_SECRET_KEY": S3_SECRET_KEY,
            "HOSO_S3_SECURE": "false",
            "HOSO_S3_REGION": env.get("HOSO_S3_REGION", "us-east-1"),
            "HOSO_OIDC_ISSUER": OIDC_ISSUER,
            # keys straight from Keycloak: the services do not depend on the gateway
            "HOSO_OIDC_JWKS_URL": f"http://{HOST}:{KEYCLOAK_PORT}/auth/realms/hoso"
            "/protocol/openid-connect/certs",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Traces go to the stack's Zipkin unless the caller points them elsewhere ("" = none).
    env.setdefault("OTEL_EXPORTER_ZIPKIN_ENDPOINT", f"http://{HOST}:{ZIPKIN_PORT}/api/v2/spans")
    env.setdefault("HOSO_ENV", "development")
    env.setdefault("HOSO_OIDC_AUDIENCE", "hoso")
    env.setdefault("HOSO_LOG_LEVEL", "INFO")
    return env


# --------------------------------------------------------------------------- probes


def tcp_open(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (OSError, ValueError):
        return None


def kafka_answers(port: int) -> bool:
    """True once the broker answers an ApiVersions request without error."""
    client_id = b"hoso-stack"
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    try:
        with socket.create_connection((HOST, port), timeout=2.0) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = sock.recv(10)
    except OSError:
        return False
    if len(header) < 10:
        return False
    correlation_id, error_code = struct.unpack(">ih", header[4:])
    return bool(correlation_id == 1 and error_code == 0)


def mongo_answers(port: int) -> bool:
    """True once a MongoDB-wire server answers `hello` with ok: 1."""
    fields = b"\x10hello\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6)
    document = struct.pack("<i", 4 + len(fields) + 6 + 1) + fields + b"admin\x00\x00"
    body = struct.pack("<i", 0) + b"\x00" + document  # flags, section kind 0, the command
    message = struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body
    try:
        with socket.create_connection((HOST, port), timeout=2.0) as sock:
            sock.sendall(message)
            reply = sock.recv(65536)
    except OSError:
        return False
    return b"\x01ok\x00" + struct.pack("<d", 1.0) in reply


# --------------------------------------------------------------------------- pid records


@dataclass
class PidRecord:
    name: str
    pid: int
    start_ticks: int
    command: str

    @property
    def path(self) -> Path:
        return PIDS / f"{self.name}.json"

    def save(self) -> None:
        PIDS.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.__dict__, indent=1))

    @classmethod
    def load(cls, name: str) -> PidRecord | None:
        try:
            raw = json.loads((PIDS / f"{name}.json").read_text())
            return cls(**raw)
        except (OSError, ValueError, TypeError):
            return None

    @classmethod
    def all(cls) -> list[PidRecord]:
        records = [cls.load(path.stem) for path in sorted(PIDS.glob("*.json"))]
        return [record for record in records if record is not None]

    def alive(self) -> bool:
        """The recorded process still runs (same pid *and* same start time, not a zombie)."""
        stat = proc_stat(self.pid)
        return stat is not None and stat[1] == self.start_ticks and stat[0] != "Z"

    def members(self) -> list[int]:
        """Pids of the session this record started (its leader may already be gone)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            stat = proc_stat(int(entry.name))
            if stat and stat[2] == self.pid and stat[1] >= self.start_ticks and stat[0] != "Z":
                pids.append(int(entry.name))
        return pids

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, start time in clock ticks, session id) of a process from /proc/<pid>/stat."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is field 3 of proc(5): state; session is field 6; starttime is field 22.
    return fields[0], int(fields[19]), int(fields[3])


# --------------------------------------------------------------------------- parts


class Part:
    """One process of the stack: how to configure, start and probe it."""

    name = ""
    group = "infra"
    port = 0
    # Parts slower than `up --timeout` on their first start get at least this long.
    min_timeout_s = 0.0

    def ports(self) -> list[int]:
        return [self.port]

    def url(self) -> str:
        return f"tcp://{HOST}:{self.port}"

    def prepare(self) -> None:
        """Write config files and create data dirs; runs before every start."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        return tcp_open(self.port)

    @property
    def log_path(self) -> Path:
        return LOGS / f"{self.name}.log"

    def matches(self, token: str) -> bool:
        return token in (self.name, self.group) or self.name.startswith(token + "-")


class Kafka(Part):
    name = "kafka"
    port = KAFKA_PORT

    def ports(self) -> list[int]:
        return [KAFKA_PORT, KAFKA_PORT + 1, KAFKA_SASL_PORT]

    @property
    def data(self) -> Path:
        return DATA / "kafka"

    def prepare(self) -> None:
        require(KAFKA_LIBS / "kafka_2.13-4.1.1.jar", "Kafka jars")
        self.data.mkdir(parents=True, exist_ok=True)
        (CONF / "kafka.properties").write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{HOST}:{KAFKA_PORT + 1}",
                    f"listeners=PLAINTEXT://{HOST}:{KAFKA_PORT},"
                    f"CONTROLLER://{HOST}:{KAFKA_PORT + 1},SASL://{HOST}:{KAFKA_SASL_PORT}",
                    f"advertised.listeners=PLAINTEXT://{HOST}:{KAFKA_PORT},"
                    f"SASL://{HOST}:{KAFKA_SASL_PORT}",
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
                    "SASL:SASL_PLAINTEXT",
                    "listener.name.sasl.sasl.enabled.mechanisms=SCRAM-SHA-512",
                    "listener.name.sasl.scram-sha-512.sasl.jaas.config="
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                    f"log.dirs={self.data}",
                    "num.partitions=4",
                    "auto.create.topics.enable=true",
                    "group.initial.rebalance.delay.ms=0",
                    "offsets.topic.replication.factor=1",
                    # 50 partitions (the default) make the first consumer group slow on 2 cores.
                    "offsets.topic.num.partitions=8",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "min.insync.replicas=1",
                    "",
                ]
            )
        )
        (CONF / "kafka-log4j2.properties").write_text(
            "\n".join(
                [
                    "status = warn",
                    "appender.out.type = Console",
                    "appender.out.name = STDOUT",
                    "appender.out.layout.type = PatternLayout",
                    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                    "rootLogger.level = INFO",
                    "rootLogger.appenderRef.out.ref = STDOUT",
                    # the config dumps of every client and the state-change chatter hide errors
                    "logger.config.name = org.apache.kafka.common.config.AbstractConfig",
                    "logger.config.level = WARN",
                    "logger.state.name = state.change.logger",
                    "logger.state.level = WARN",
                    "",
                ]
            )
        )
        if not (self.data / "meta.properties").exists():
            self.format_storage()

    @property
    def scram_marker(self) -> Path:
        return self.data / ".hoso-scram-user"

    def scram_credential(self) -> str:
        return f"SCRAM-SHA-512=[name={KAFKA_SASL_USER},password={KAFKA_SASL_PASSWORD}]"

    def add_scram_user(self) -> None:
        """Store the SCRAM user in a running broker whose storage predates the listener."""
        command = self.java(
            "kafka.admin.ConfigCommand",
            "--bootstrap-server",
            f"{HOST}:{KAFKA_PORT}",
            "--alter",
            "--add-config",
            f"SCRAM-SHA-512=[password={KAFKA_SASL_PASSWORD}]",
            "--entity-type",
            "users",
            "--entity-name",
            KAFKA_SASL_USER,
            heap=["-Xmx128m"],
        )
        with LogFile(self.log_path, f"add SCRAM user {KAFKA_SASL_USER}") as log:
            result = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        if result.returncode != 0:
            raise PartFailed(self, f"adding the SCRAM user failed (exit {result.returncode})")
        self.scram_marker.touch()

    def java(self, *args: str, heap: Sequence[str] = ()) -> list[str]:
        return [
            java_bin(),
            *heap,
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={CONF / 'kafka-log4j2.properties'}",
            "-cp",
            f"{KAFKA_LIBS}/*",
            *args,
        ]

    def format_storage(self) -> None:
        cluster_id = kafka_cluster_id()
        command = self.java(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(CONF / "kafka.properties"),
            "--add-scram",
            self.scram_credential(),
            heap=["-Xmx256m"],
        )
        with LogFile(self.log_path, f"format storage (cluster id {cluster_id})") as log:
            result = subprocess.run(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        if result.returncode != 0:
            raise PartFailed(self, f"formatting the storage failed (exit {result.returncode})")
        self.scram_marker.touch()

    def command(self) -> list[str]:
        heap = ["-Xms256m", "-Xmx512m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"]
        return self.java("kafka.Kafka", str(CONF / "kafka.properties"), heap=heap)

    def ready(self) -> bool:
        if not kafka_answers(KAFKA_PORT):
            return False
        if not self.scram_marker.exists():
            self.add_scram_user()
        return True


class FerretDB(Part):
    name = "ferretdb"
    port = FERRETDB_PORT

    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/ (internal; use mongo-lock)"

    def prepare(self) -> None:
        require(FERRETDB_BIN, "the FerretDB binary")
        (DATA / "ferretdb").mkdir(parents=True, exist_ok=True)
        (DATA / "ferretdb-state").mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(FERRETDB_BIN),
            "--handler=sqlite",
            f"--sqlite-url=file:{DATA / 'ferretdb'}/?_pragma=synchronous(normal)",
            f"--listen-addr={HOST}:{self.port}",
            f"--state-dir={DATA / 'ferretdb-state'}",
            "--debug-addr=-",
            "--telemetry=disable",
            "--log-format=text",
        ]

    def ready(self) -> bool:
        return mongo_answers(self.port)


class MongoLock(Part):
    """The stack's MongoDB endpoint: stack/mongo_write_lock.py, one write at a time to FerretDB.

    FerretDB 1.24 runs a conditional update as a read and a separate write, so concurrent
    writers could both win; see docs/decisions.md.
    """

    name = "mongo-lock"
    port = MONGO_PORT

    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/"

    def command(self) -> list[str]:
        script = REPO / "stack" / "mongo_write_lock.py"
        return [sys.executable, str(script), f"{HOST}:{self.port}", f"{HOST}:{FERRETDB_PORT}"]

    def ready(self) -> bool:
        return mongo_answers(self.port)


class S3Proxy(Part):
    name = "s3"
    port = S3_PORT

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def prepare(self) -> None:
        require(S3PROXY_LIBS / "s3proxy-2.6.0.jar", "S3Proxy jars")
        (DATA / "s3").mkdir(parents=True, exist_ok=True)
        (CONF / "s3proxy.properties").write_text(
            "\n".join(
                [
                    f"s3proxy.endpoint=http://{HOST}:{self.port}",
                    "s3proxy.authorization=aws-v2-or-v4",
                    f"s3proxy.identity={S3_ACCESS_KEY}",
                    f"s3proxy.credential={S3_SECRET_KEY}",
                    # A single (non-multipart) signed PUT is held in memory to check its hash;
                    # clients switch to multipart above 5 MiB, so 32 MiB is plenty.
                    "s3proxy.v4-max-non-chunked-request-size=33554432",
                    "jclouds.provider=filesystem-nio2",
                    f"jclouds.filesystem.basedir={DATA / 's3'}",
                    # jclouds insists on credentials even for the local filesystem backend
                    "jclouds.identity=local",
                    "jclouds.credential=local",
                    "",
                ]
            )
        )
        (CONF / "s3proxy-logback.xml").write_text(
            "<configuration>\n"
            '  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">\n'
            "    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern>"
            "</encoder>\n"
            "  </appender>\n"
            '  <root level="INFO"><appender-ref ref="OUT"/></root>\n'
            "</configuration>\n"
        )

    def command(self) -> list[str]:
        return [
            java_bin(),
            "-Xmx256m",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlogback.configurationFile={CONF / 's3proxy-logback.xml'}",
            "-cp",
            f"{S3PROXY_LIBS}/*",
            "org.gaul.s3proxy.Main",
            "--properties",
            str(CONF / "s3proxy.properties"),
        ]

    def ready(self) -> bool:
        return http_status(self.url()) is not None


class Keycloak(Part):
    """Keycloak, the national-SSO stand-in, with the realm of deploy/keycloak imported.

    The distribution in the cache is built once by stack/install.sh (`kc.sh build`) and
    shared; each stack gets its own Keycloak home under .stack/data/keycloak (database, the
    realm to import, the themes), so nothing is written into the cache.
    """

    name = "keycloak"
    port = KEYCLOAK_PORT
    # The first start creates the database schema and imports the realm: on a busy
    # 2-core machine that takes minutes, later starts take seconds.
    min_timeout_s = 600.0

    def ports(self) -> list[int]:
        return [KEYCLOAK_PORT, KEYCLOAK_MANAGEMENT_PORT]

    def url(self) -> str:
        return f"{PUBLIC_AUTH_URL}/  (direct http://{HOST}:{self.port}/auth/)"

    @property
    def home(self) -> Path:
        return DATA / "keycloak"

    def prepare(self) -> None:
        require(KEYCLOAK_HOME / "bin" / "kc.sh", "Keycloak")
        require(REALM_FILE, "the realm file")
        (self.home / "data" / "import").mkdir(parents=True, exist_ok=True)
        (self.home / "providers").mkdir(exist_ok=True)
        # Keycloak imports the realm only when it does not exist yet: a changed realm file
        # (a new client, the users' e-mail addresses) starts the stack's IdP database afresh.
        realm_sum = hashlib.sha256(REALM_FILE.read_bytes()).hexdigest()
        marker = self.home / "realm.sha256"
        database = self.home / "data" / "h2"
        if database.exists() and (not marker.exists() or marker.read_text() != realm_sum):
            out(f"  {REALM_FILE.name} changed: the local Keycloak imports it again")
            shutil.rmtree(database)
        marker.write_text(realm_sum)
        shutil.copyfile(REALM_FILE, self.home / "data" / "import" / REALM_FILE.name)
        # lib: the shared build (read only), where `start --optimized` looks for it
        for link, target in (
            (self.home / "themes", THEMES),
            (self.home / "lib", KEYCLOAK_HOME / "lib"),
        ):
            if link.is_symlink() and link.resolve() == target.resolve():
                continue
            if link.is_symlink():
                link.unlink()
            elif link.exists():
                shutil.rmtree(link)
            link.symlink_to(target)

    def command(self) -> list[str]:
        return [
            str(KEYCLOAK_HOME / "bin" / "kc.sh"),
            f"-Dkc.home.dir={self.home}",
            # Opening the H2 file can take longer than the pool's 5 s on a busy machine,
            # and at start-up that timeout is fatal.
            "-Dquarkus.datasource.jdbc.acquisition-timeout=120s",
            "start",
            "--optimized",
            "--import-realm",
            "--http-enabled=true",
            f"--http-host={HOST}",
            f"--http-port={KEYCLOAK_PORT}",
            f"--http-management-port={KEYCLOAK_MANAGEMENT_PORT}",
            # The issuer and the browser's URLs are the gateway's; services and tests that
            # call Keycloak directly get direct URLs for the back-channel endpoints.
            f"--hostname={PUBLIC_AUTH_URL}",
            "--hostname-backchannel-dynamic=true",
            "--proxy-headers=xforwarded",
            # one node: no JGroups cluster discovery (the default of `start`)
            "--cache=local",
            "--log-level=INFO,org.keycloak.events:DEBUG",
        ]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx512m",
            "KC_BOOTSTRAP_ADMIN_USERNAME": KEYCLOAK_ADMIN,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": KEYCLOAK_ADMIN_PASSWORD,
        }

    def ready(self) -> bool:
        health = f"http://{HOST}:{KEYCLOAK_MANAGEMENT_PORT}/auth/health/ready"
        realm = f"http://{HOST}:{KEYCLOAK_PORT}/auth/realms/hoso/.well-known/openid-configuration"
        return http_status(health) == 200 and http_status(realm) == 200


class VictoriaMetrics(Part):
    """The metrics server: scrapes every app's /metrics, query UI at /vmui/."""

    name = "metrics"
    port = METRICS_PORT

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/vmui/  (VictoriaMetrics; gateway /metrics-ui/)"

    def prepare(self) -> None:
        require(VICTORIAMETRICS_BIN, "the VictoriaMetrics binary")
        (DATA / "victoriametrics").mkdir(parents=True, exist_ok=True)
        jobs = [(name, [port]) for name, port in SERVICE_PORTS.items()]
        jobs.append(("signing", [SIGNING_BASE_PORT + i for i in range(SIGNING_REPLICAS)]))
        lines = ["global:", "  scrape_interval: 5s", "scrape_configs:"]
        for job, ports in jobs:
            targets = ", ".join(f'"{HOST}:{port}"' for port in ports)
            lines += [f"  - job_name: {job}", f"    static_configs: [{{targets: [{targets}]}}]"]
        lines += [
            "  - job_name: victoriametrics",
            f'    static_configs: [{{targets: ["{HOST}:{self.port}"]}}]',
            "  - job_name: zipkin",
            "    metrics_path: /prometheus",
            f'    static_configs: [{{targets: ["{HOST}:{ZIPKIN_PORT}"]}}]',
            "",
        ]
        (CONF / "victoriametrics-scrape.yml").write_text("\n".join(lines))

    def command(self) -> list[str]:
        return [
            str(VICTORIAMETRICS_BIN),
            f"-httpListenAddr={HOST}:{self.port}",
            f"-storageDataPath={DATA / 'victoriametrics'}",
            "-retentionPeriod=7d",
            f"-promscrape.config={CONF / 'victoriametrics-scrape.yml'}",
            # a shared developer machine: keep its caches small
            "-memory.allowedBytes=256MiB",
            "-loggerLevel=WARN",
        ]

    def ready(self) -> bool:
        return http_status(f"http://{HOST}:{self.port}/health") == 200


class Zipkin(Part):
    """The trace store: the apps send spans to its JSON API, UI at /zipkin/."""

    name = "zipkin"
    port = ZIPKIN_PORT

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/zipkin/  (gateway /traces/)"

    def prepare(self) -> None:
        require(ZIPKIN_JAR, "the Zipkin server jar")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "QUERY_PORT": str(self.port),
            "STORAGE_TYPE": "mem",
            "MEM_MAX_SPANS": "200000",
        }

    def command(self) -> list[str]:
        return [
            java_bin(),
            "-Xmx256m",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",  # starts faster; its load here is small
            "-Djava.awt.headless=true",
            "-jar",
            str(ZIPKIN_JAR),
            # the whole port entry: a list element set from the command line replaces it
            f"--armeria.ports[0].ip={HOST}",
            f"--armeria.ports[0].port={self.port}",
            "--armeria.ports[0].protocols[0]=http",
            # the UI's <base> tag: the gateway serves it under /traces/
            "--zipkin.ui.base-path=/traces/zipkin",
        ]

    def ready(self) -> bool:
        return http_status(f"http://{HOST}:{self.port}/health") == 200


class Mailpit(Part):
    """The local SMTP server: it keeps every e-mail the platform sends; its API under /mail/."""

    name = "mailpit"
    port = MAILPIT_PORT

    def ports(self) -> list[int]:
        return [MAILPIT_PORT, SMTP_PORT]

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/mail/api/v1/  (gateway /mail/, SMTP {HOST}:{SMTP_PORT})"

    def prepare(self) -> None:
        require(MAILPIT_BIN, "Mailpit")
        (DATA / "mailpit").mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [
            str(MAILPIT_BIN),
            f"--listen={HOST}:{self.port}",
            f"--smtp={HOST}:{SMTP_PORT}",
            # the UI and its API under the gateway's prefix
            "--webroot=/mail/",
            # on disk: the mail a test counts outlives a restart of Mailpit
            f"--database={DATA / 'mailpit' / 'mailpit.db'}",
            "--max=20000",
            "--smtp-auth-accept-any",
            "--smtp-auth-allow-insecure",
            "--disable-version-check",
        ]

    def ready(self) -> bool:
        return tcp_open(SMTP_PORT) and tcp_open(self.port)


@dataclass(frozen=True)
class Route:
    prefix: str
    upstream: str
    ports: tuple[int, ...]
    streaming: bool = False
    openapi: bool = False
    # False: the upstream serves under the same prefix (Keycloak's /auth)
    strip_prefix: bool = True
    home: str = ""  # where the bare prefix sends a browser (a UI's start page)
    # Rate-limit zones of this route only (gateway_policy.limit_zones), e.g. ("login",).
    limits: tuple[str, ...] = ()
    # None leaves the upstream's own Content-Security-Policy (an IdP's login pages).
    csp: str | None = gateway_policy.API_CSP


def gateway_routes() -> list[Route]:
    signing_ports = tuple(SIGNING_BASE_PORT + i for i in range(SIGNING_REPLICAS))
    return [
        Route("/api/documents/", "documents", (8101,), streaming=True, openapi=True),
        Route("/api/eforms/", "eforms", (8102,), openapi=True),
        Route("/api/submission/", "submission", (8104,), streaming=True, openapi=True),
        Route("/api/notifications/", "notifications", (8105,), openapi=True),
        Route("/api/signing/", "signing", signing_ports, openapi=True),
        Route(
            "/auth/", "keycloak", (KEYCLOAK_PORT,), strip_prefix=False, limits=("login",), csp=None
        ),
        Route("/ca/", "ca", (CA_PORT,), csp=gateway_policy.PAGE_CSP),
        Route(
            "/metrics-ui/",
            "victoriametrics",
            (METRICS_PORT,),
            home="vmui/",
            csp=gateway_policy.PAGE_CSP,
        ),
        Route("/traces/", "zipkin", (ZIPKIN_PORT,), home="zipkin/", csp=gateway_policy.PAGE_CSP),
        # Mailpit serves under /mail/ itself (--webroot) and sets its own policy.
        Route("/mail/", "mailpit", (MAILPIT_PORT,), strip_prefix=False, csp=None),
        # Everything else is the citizen portal, which sets its own policy (no inline
        # scripts); it streams uploads on to documents.
        Route("/", "portal", (PORTAL_PORT,), streaming=True, csp=None),
    ]


class Gateway(Part):
    name = "gateway"
    port = GATEWAY_PORT

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def prepare(self) -> None:
        require(Path(nginx_bin()), "nginx")
        for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (RUN / "nginx" / temp).mkdir(parents=True, exist_ok=True)
        conf = CONF / "nginx.conf"
        text = self.render()
        changed = not conf.exists() or conf.read_text() != text
        conf.write_text(text)
        record = PidRecord.load(self.name)
        if changed and record and record.alive():
            os.kill(record.pid, signal.SIGHUP)  # nginx re-reads its config on SIGHUP

    def command(self) -> list[str]:
        return [
            nginx_bin(),
            "-e",
            str(self.log_path),
            "-p",
            str(RUN / "nginx"),
            "-c",
            str(CONF / "nginx.conf"),
        ]

    def ready(self) -> bool:
        # the gateway's own answer: the portal behind `/` starts later, with the apps
        return http_status(f"http://{HOST}:{self.port}/gateway/health") == 200

    def render(self) -> str:
        routes = gateway_routes()
        index = json.dumps(
            {
                "service": "hoso gateway (local stack)",
                "routes": {r.prefix: [f"http://{HOST}:{p}/" for p in r.ports] for r in routes},
            },
            separators=(",", ":"),
        )
        lines = [
            "# Generated by stack/hoso_stack.py on every `up`; edit the generator, not this file.",
            "daemon off;",
            "worker_processes 2;",
            f"pid {RUN / 'nginx' / 'nginx.pid'};",
            f"error_log {self.log_path} warn;",
        ]
        if os.geteuid() == 0:
            # as root, nginx would hand the workers to `nobody`, who cannot write under .stack
            user = pwd.getpwuid(os.getuid()).pw_name
            lines.append(f"user {user} {grp.getgrgid(os.getgid()).gr_name};")
        lines += [
            "events { worker_connections 1024; }",
            "http {",
            "  default_type application/octet-stream;",
            "  log_format hoso '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent '",
            "    '$request_time s upstream=$upstream_addr request_id=$hoso_request_id';",
            f"  access_log {LOGS / 'gateway-access.log'} hoso;",
            *(
                f"  {kind}_temp_path {RUN / 'nginx' / temp};"
                for kind, temp in [
                    ("client_body", "client_body"),
                    ("proxy", "proxy"),
                    ("fastcgi", "fastcgi"),
                    ("uwsgi", "uwsgi"),
                    ("scgi", "scgi"),
                ]
            ),
            "  client_max_body_size 25m;",
            "  proxy_connect_timeout 5s;",
            "  proxy_read_timeout 300s;",
            "  proxy_send_timeout 300s;",
            "  map $http_x_request_id $hoso_request_id {",
            '    default $http_x_request_id; "" $request_id;',
            "  }",
            *(f"  {line}" for line in gateway_policy.http_lines()),
        ]
        for route in routes:
            lines.append(f"  upstream {route.upstream} {{")
            lines += [f"    server {HOST}:{port} max_fails=0;" for port in route.ports]
            # Idle connections are dropped before uvicorn drops them (--timeout-keep-alive),
            # so nginx never sends a request on a connection the app is closing.
            lines += ["    keepalive 16;", "    keepalive_timeout 60s;", "  }"]
        lines += [
            "  server {",
            f"    listen {HOST}:{self.port};",
            "    server_name localhost;",
            *(f"    {line}" for line in gateway_policy.security_headers(gateway_policy.API_CSP)),
            *(f"    {line}" for line in gateway_policy.server_lines("$hoso_request_id")),
            "    location = /gateway/health {",
            "      default_type application/json;",
            f"      return 200 '{index}\\n';",
            "    }",
        ]
        # An API path no service serves is the gateway's own 404 (problem+json); every other
        # unknown path is the portal's page for people.
        lines.append("    location /api/ { return 404; }")
        # The services' /metrics is for the metrics server, which scrapes them directly.
        lines.append("    location ~ ^/api/[^/]+/metrics$ { return 404; }")
        for route in routes:
            lines += self.render_route(route)
        lines += ["  }", "}", ""]
        return "\n".join(lines)

    def render_route(self, route: Route) -> list[str]:
        prefix = route.prefix
        stem = prefix.rstrip("/")
        common = [
            "      proxy_http_version 1.1;",
            '      proxy_set_header Connection "";',
            "      proxy_set_header Host $http_host;",
            "      proxy_set_header X-Real-IP $remote_addr;",
            "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "      proxy_set_header X-Forwarded-Proto $scheme;",
            "      proxy_set_header X-Forwarded-Host $http_host;",
            "      proxy_set_header X-Forwarded-Port $server_port;",
            *(
                [f"      proxy_set_header X-Forwarded-Prefix {stem};"]
                if route.strip_prefix and stem
                else []
            ),
            "      proxy_set_header X-Request-Id $hoso_request_id;",
            # exactly one X-Request-Id in the answer, the one the app saw
            "      proxy_hide_header X-Request-Id;",
            "      add_header X-Request-Id $hoso_request_id always;",
            *(f"      {line}" for line in gateway_policy.limit_lines(route.limits)),
        ]
        target = "/" if route.strip_prefix else prefix
        headers = [f"      {line}" for line in gateway_policy.security_headers(route.csp)]
        page_headers = [
            f"      {line}" for line in gateway_policy.security_headers(gateway_policy.PAGE_CSP)
        ]
        body = [f"      proxy_pass http://{route.upstream}{target};", *common, *headers]
        if not route.strip_prefix:
            # Keycloak's login answers carry large cookies and headers
            body += ["      proxy_buffer_size 16k;", "      proxy_buffers 8 16k;"]
        if route.streaming:
            body += [
                f"      client_max_body_size {GATEWAY_MAX_BODY};",
                "      proxy_request_buffering off;",
                "      proxy_buffering off;",
            ]
        lines = [f"    location = {stem} {{ return 301 {prefix}; }}"] if stem else []
        if route.home:
            lines.append(f"    location = {prefix} {{ return 302 {prefix}{route.home}; }}")
        lines += [f"    location {prefix} {{", *body, "    }"]
        if route.openapi:
            # The apps do not know the prefix the gateway strips: point Swagger UI at the
            # prefixed schema and make "Try it out" call through the gateway.
            for page, needle, replacement, types in [
                ("docs", "'/openapi.json'", f"'{stem}/openapi.json'", "text/html"),
                (
                    "openapi.json",
                    '{"openapi":',
                    f'{{"servers":[{{"url":"{stem}"}}],"openapi":',
                    "application/json",
                ),
            ]:
                lines += [
                    f"    location = {prefix}{page} {{",
                    f"      proxy_pass http://{route.upstream}/{page};",
                    *common,
                    *(page_headers if page == "docs" else headers),
                    '      proxy_set_header Accept-Encoding "";',
                    *([f"      sub_filter_types {types};"] if types != "text/html" else []),
                    "      sub_filter_once on;",
                    f"      sub_filter {nginx_quote(needle)} {nginx_quote(replacement)};",
                    "    }",
                ]
        return lines


class App(Part):
    """A uvicorn-served ASGI app factory from the workspace."""

    def __init__(
        self,
        name: str,
        module: str,
        port: int,
        group: str,
        health: str = "/health/ready",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.module = module
        self.port = port
        self.group = group
        self.health = health
        self.extra_env = extra_env or {}

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def command(self) -> list[str]:
        return [
            uv_bin(),
            "run",
            "--no-sync",
            "uvicorn",
            "--factory",
            f"{self.module}.main:create_app",
            "--host",
            HOST,
            "--port",
            str(self.port),
            # SIGTERM ends the process within the supervisor's grace (STOP_GRACE_S), even
            # with requests still open.
            "--timeout-graceful-shutdown",
            "10",
            # longer than the gateway's upstream keepalive_timeout (60 s)
            "--timeout-keep-alive",
            "75",
        ]

    def env(self) -> dict[str, str]:
        return {**shared_env(), **self.extra_env}

    def ready(self) -> bool:
        return http_status(f"http://{HOST}:{self.port}{self.health}") == 200


def all_parts() -> list[Part]:
    parts: list[Part] = [Kafka(), FerretDB(), MongoLock(), S3Proxy(), Keycloak(), Gateway()]
    parts += [VictoriaMetrics(), Zipkin()]  # metrics and traces of the local stack
    parts += [Mailpit()]  # the e-mail the platform sends
    parts += [
        # The CA keeps its keys under .stack/data, so a restart keeps the CA's root (the
        # signing service's trust anchor) the same.
        App(
            "ca",
            "hoso_sandbox_ca",
            CA_PORT,
            "sandbox",
            health="/health/live",
            extra_env={"HOSO_CA_DATA_DIR": str(DATA / "ca")},
        ),
    ]
    service_env = {
        # The gateway admits 110 MB bodies; the vault's own limit follows so that the upload
        # benchmark's 100 MB file fits. The service default (20 MB) applies elsewhere.
        "documents": {
            "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES": os.environ.get(
                "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES", str(110 * 1024 * 1024)
            )
        },
    }
    service_env["notifications"] = {
        "HOSO_NOTIFICATIONS_SMTP_HOST": HOST,
        "HOSO_NOTIFICATIONS_SMTP_PORT": str(SMTP_PORT),
        "HOSO_NOTIFICATIONS_IDP_URL": f"http://{HOST}:{KEYCLOAK_PORT}/auth",
        # the local stack's documented placeholder (refused in production)
        "HOSO_NOTIFICATIONS_IDP_CLIENT_SECRET": "notifications-local-secret",
        "HOSO_NOTIFICATIONS_PORTAL_URL": f"http://{HOST}:{GATEWAY_PORT}",
        "HOSO_NOTIFICATIONS_SMS_PROVIDER": "log",
        # short waits, so that the outage tests see Mailpit's return within seconds
        "HOSO_NOTIFICATIONS_DELIVERY_MAX_BACKOFF_S": "4",
        "HOSO_NOTIFICATIONS_DELIVERY_LEASE_S": "20",
    }
    for name, value in os.environ.items():
        # a test restarts the service with its own delivery settings (tests/faults)
        if name.startswith("HOSO_NOTIFICATIONS_"):
            service_env["notifications"][name] = value
    parts += [
        App(name, f"hoso_{name}", port, "services", extra_env=service_env.get(name))
        for name, port in SERVICE_PORTS.items()
    ]
    parts += [
        App(
            "portal",
            "hoso_portal",
            PORTAL_PORT,
            "services",
            health="/health/live",
            extra_env={
                "HOSO_PORTAL_MAX_UPLOAD_BYTES": service_env["documents"][
                    "HOSO_DOCUMENTS_MAX_UPLOAD_BYTES"
                ],
                # the local stack's documented placeholder (refused in production)
                "HOSO_PORTAL_OIDC_CLIENT_SECRET": os.environ.get(
                    "HOSO_PORTAL_OIDC_CLIENT_SECRET", "portal-local-secret"
                ),
                "HOSO_PORTAL_ASSETS_DIR": str(portal_assets_dir()),
                # FerretDB refuses TTL indexes: the portal purges ended sessions itself
                "HOSO_PORTAL_SESSION_PURGE_INTERVAL_S": "300",
            },
        )
    ]
    parts += [
        App(
            f"signing-{i}",
            "hoso_signing",
            SIGNING_BASE_PORT + i,
            "services",
            extra_env={"HOSO_SIGNING_REPLICA_ID": str(i)},
        )
        for i in range(SIGNING_REPLICAS)
    ]
    return parts


# --------------------------------------------------------------------------- helpers


class PartFailed(Exception):
    def __init__(self, part: Part, reason: str) -> None:
        super().__init__(f"{part.name}: {reason}")
        self.part = part
        self.reason = reason


class StackError(Exception):
    pass


def require(path: Path, what: str) -> None:
    if not path.exists():
        raise StackError(f"{what} not found at {path}; run `make install` (stack/install.sh)")


def nginx_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def java_bin() -> str:
    return shutil.which("java") or "java"


def nginx_bin() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def uv_bin() -> str:
    return shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")


def kafka_cluster_id() -> str:
    while True:  # Kafka rejects ids that start with "-" (they read as a flag)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class LogFile:
    """Append to a part's log, starting with a banner line so each run is easy to find."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self.fd = -1

    def __enter__(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(self.fd, f"===== {stamp} hoso_stack: {self.what} =====\n".encode())
        return self.fd

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)


def tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 256 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return []
    return data.splitlines()[-lines:]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def select(parts: list[Part], only: str | None, without: str | None) -> list[Part]:
    def tokens(raw: str | None) -> list[str]:
        return [t.strip() for t in (raw or "").split(",") if t.strip()]

    names = {t for p in parts for t in (p.name, p.group, p.name.split("-")[0])}
    for token in tokens(only) + tokens(without):
        if token not in names:
            raise StackError(f"unknown part {token!r}; known: {', '.join(sorted(names))}")
    chosen = [p for p in parts if not only or any(p.matches(t) for t in tokens(only))]
    return [p for p in chosen if not any(p.matches(t) for t in tokens(without))]


# --------------------------------------------------------------------------- commands


def start(part: Part) -> subprocess.Popen[bytes]:
    busy = [port for port in part.ports() if port_in_use(port)]
    command = part.command()
    with LogFile(part.log_path, "start: " + " ".join(command)) as log:
        if busy:
            os.write(log, f"hoso_stack: port(s) {busy} already in use before start\n".encode())
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=part.env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stat = proc_stat(process.pid)
    PidRecord(part.name, process.pid, stat[1] if stat else 0, " ".join(command)).save()
    if busy:
        # Something that is not ours holds the port: a TCP probe would answer for it.
        # Give our process time to fail on the bind so its log tells why.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
        raise PartFailed(
            part, f"port(s) {', '.join(map(str, busy))} already in use by another process"
        )
    return process


@dataclass
class Launch:
    """A part being brought up by this `up`; process is None when it was already running."""

    part: Part
    process: subprocess.Popen[bytes] | None
    began: float
    ready_in: float | None = None

    def check(self, timeout: float) -> None:
        """Record readiness, or raise when the part died or ran out of time."""
        if self.process is not None and self.process.poll() is not None:
            code = self.process.returncode
            raise PartFailed(self.part, f"exited with code {code} before it was ready")
        if self.process is None:
            record = PidRecord.load(self.part.name)
            if record is None or not record.alive():
                raise PartFailed(self.part, "is no longer running")
        elapsed = time.monotonic() - self.began
        if self.part.ready():
            self.ready_in = elapsed
        elif elapsed > max(timeout, self.part.min_timeout_s):
            raise PartFailed(
                self.part, f"not ready after {max(timeout, self.part.min_timeout_s):.0f}s"
            )


def launch(part: Part) -> Launch:
    record = PidRecord.load(part.name)
    began = time.monotonic()
    part.prepare()
    if record and record.alive():
        return Launch(part, None, began)
    if record:
        record.remove()
    return Launch(part, start(part), began)


def wait_group(launches: list[Launch], step: int, total: int, timeout: float) -> int:
    """Wait for the parts started together, reporting them in order; returns the last step."""
    pending = list(launches)
    shown = False  # the head's "[n/N] name ... " is on screen, waiting for its result
    while pending:
        for item in pending:
            if item.ready_in is None:
                item.check(timeout)
        while pending and pending[0].ready_in is not None:
            item = pending.pop(0)
            if not shown:
                step += 1
                sys.stdout.write(f"[{step}/{total}] {item.part.name} ... ")
            shown = False
            if item.process is None:
                record = PidRecord.load(item.part.name)
                out(f"already running (pid {record.pid if record else '?'})")
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


def cmd_up(args: argparse.Namespace) -> int:
    for directory in (DATA, LOGS, PIDS, CONF, RUN):
        directory.mkdir(parents=True, exist_ok=True)
    parts = select(all_parts(), args.only, args.without)
    if not parts:
        raise StackError("nothing selected")
    started_at = time.monotonic()
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
            step = wait_group([launch(part) for part in group], step, len(parts), args.timeout)
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


def stop_records(records: list[PidRecord]) -> None:
    """SIGTERM the recorded sessions, wait up to STOP_GRACE_S, then SIGKILL what is left."""
    targets = {record.name: record.members() for record in records}
    for record in records:
        for pid in targets[record.name]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while time.monotonic() < deadline and any(record.members() for record in records):
        time.sleep(0.2)
    for record in records:
        left = record.members()
        if left:
            out(f"  {record.name}: still running after {STOP_GRACE_S:.0f}s, sending SIGKILL")
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        record.remove()


def cmd_down(_args: argparse.Namespace) -> int:
    records = PidRecord.all()
    if not records:
        out("nothing recorded in .stack/pids; nothing to stop")
        return 0
    order = {part.name: index for index, part in enumerate(all_parts())}
    records.sort(key=lambda r: order.get(r.name, len(order)))
    # apps first so they can leave their consumer groups, then the infrastructure
    infra_names = {part.name for part in all_parts() if part.group == "infra"}
    apps = [r for r in records if r.name not in infra_names]
    infra = [r for r in records if r not in apps]
    for wave in (apps, infra):
        if wave:
            began = time.monotonic()
            stop_records(wave)
            names = ", ".join(r.name for r in wave)
            out(f"stopped {names} in {time.monotonic() - began:.1f}s")
    return 0


def chosen_records(names: str) -> list[PidRecord]:
    parts = select(all_parts(), names, None)
    if not parts:
        raise StackError("nothing selected")
    records = [PidRecord.load(part.name) for part in parts]
    return [record for record in records if record is not None]


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop some parts (SIGTERM, then SIGKILL after the grace), as an outage would."""
    records = chosen_records(args.names)
    began = time.monotonic()
    stop_records(records)
    names = ", ".join(r.name for r in records) or "nothing"
    out(f"stopped {names} in {time.monotonic() - began:.1f}s")
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    """kill -9 some parts, with no warning; their records stay, marked dead, until `start`."""
    for record in chosen_records(args.names):
        for pid in record.members():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        out(f"killed {record.name} (pid {record.pid})")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    """Start the named parts that are not running, as a supervisor restarts a dead process."""
    return cmd_up(argparse.Namespace(only=args.names, without=None, timeout=args.timeout))


def cmd_reset(args: argparse.Namespace) -> int:
    cmd_down(args)
    for directory in (DATA, RUN, CONF):
        if directory.exists():
            shutil.rmtree(directory)
    out(f"deleted {DATA.relative_to(REPO)} (logs kept in {LOGS.relative_to(REPO)})")
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    parts = {part.name: part for part in all_parts()}
    names = list(parts) + [r.name for r in PidRecord.all() if r.name not in parts]
    out(f"{'NAME':<12} {'PID':>8}  {'STATE':<9} {'HEALTH':<8} URL")
    running = 0
    for name in names:
        record = PidRecord.load(name)
        part = parts.get(name)
        alive = record is not None and record.alive()
        running += alive
        state = "running" if alive else ("dead" if record else "stopped")
        health = ("ready" if part.ready() else "no") if part and alive else "-"
        pid = str(record.pid) if record else "-"
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
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start what is not running and wait until it answers")
    up.add_argument("--only", help="comma list of parts or groups (infra, sandbox, services)")
    up.add_argument("--without", help="comma list of parts or groups to leave out")
    up.add_argument(
        "--timeout", type=float, default=float(os.environ.get("HOSO_STACK_TIMEOUT", 90))
    )
    up.set_defaults(func=cmd_up)
    commands.add_parser("down", help="stop the processes recorded in .stack/pids").set_defaults(
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
    args = parser.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `status | head` should not trace back
    try:
        return int(args.func(args))
    except StackError as error:
        out(f"error: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
