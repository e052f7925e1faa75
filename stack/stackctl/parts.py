"""The parts of the local stack: how each is configured, what supervisord runs, how it is probed.

Each part writes its config files in `prepare()`; `command()` and `env()` become its
supervisord program (stackctl.supervisor); `ready()` is what `up` waits for.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from .probes import http_status, kafka_answers, mongo_answers, tcp_open
from .settings import (
    CONF,
    DATA,
    FERRETDB_BIN,
    FERRETDB_PORT,
    HOST,
    KAFKA_LIBS,
    KAFKA_PORT,
    KAFKA_SASL_PASSWORD,
    KAFKA_SASL_PORT,
    KAFKA_SASL_USER,
    KEYCLOAK_ADMIN,
    KEYCLOAK_ADMIN_PASSWORD,
    KEYCLOAK_HOME,
    KEYCLOAK_MANAGEMENT_PORT,
    KEYCLOAK_PORT,
    LOGS,
    MAILPIT_BIN,
    MAILPIT_PORT,
    METRICS_PORT,
    MONGO_PORT,
    PUBLIC_AUTH_URL,
    REALM_FILE,
    REPO,
    S3_ACCESS_KEY,
    S3_PORT,
    S3_SECRET_KEY,
    S3PROXY_LIBS,
    SERVICE_PORTS,
    SIGNING_BASE_PORT,
    SIGNING_REPLICAS,
    SMTP_PORT,
    THEMES,
    VICTORIAMETRICS_BIN,
    ZIPKIN_JAR,
    ZIPKIN_PORT,
    LogFile,
    java_bin,
    out,
    require,
    shared_env,
    venv_bin,
)


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

    def reload(self, pid: int) -> None:
        """Apply what prepare() changed to the running process `pid` (if it can)."""

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Variables on top of supervisord's own environment (that of the first `up`)."""
        return {}

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
        self.name, self.module, self.port, self.group = name, module, port, group
        self.health = health
        self.extra_env = extra_env or {}

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def command(self) -> list[str]:
        # The venv's uvicorn itself, not `uv run`: the process supervisord watches is the
        # server, so a kill -9 of its pid leaves no child holding the port.
        return [
            str(venv_bin("uvicorn")),
            "--factory",
            f"{self.module}.main:create_app",
            "--host",
            HOST,
            "--port",
            str(self.port),
            # SIGTERM ends the process within supervisord's grace (STOP_GRACE_S), even
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


class PartFailed(Exception):
    def __init__(self, part: Part, reason: str) -> None:
        super().__init__(f"{part.name}: {reason}")
        self.part = part
        self.reason = reason


def kafka_cluster_id() -> str:
    while True:  # Kafka rejects ids that start with "-" (they read as a flag)
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
