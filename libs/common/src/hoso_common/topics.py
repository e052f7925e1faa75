"""hoso's Kafka topics: the one definition of their names, partitions and replication.

Everything that creates or checks topics reads it: the Kubernetes Job and the compose
one-shot run `python -m hoso_common.topics ensure` in a service image, and a service of the
local stack (`HOSO_KAFKA_CREATE_TOPICS=true`) calls `ensure` at start. Elsewhere services
never create topics; their readiness reports a missing one (`missing`).

Sizes come from the shared settings: `HOSO_KAFKA_PARTITIONS` for most topics,
`HOSO_KAFKA_SIGNING_PARTITIONS` for the signing topics (it bounds how many signing replicas
share the work), `HOSO_KAFKA_REPLICATION_FACTOR` and `HOSO_KAFKA_MIN_INSYNC_REPLICAS`. Every
topic has a `<name>.dlt` dead-letter companion of the same size.

`HOSO_KAFKA_TOPIC_PREFIX` (read once, at import) is put before every name, so that separate
environments, or a benchmark, can share one Kafka cluster without reading each other's
events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import InvalidPartitionsError

from hoso_common.kafka_security import client_options
from hoso_common.settings import KafkaSettings

PREFIX: Final = os.environ.get("HOSO_KAFKA_TOPIC_PREFIX", "")
if not re.fullmatch(r"[A-Za-z0-9._-]*", PREFIX):
    raise ValueError(f"HOSO_KAFKA_TOPIC_PREFIX may hold only A-Z a-z 0-9 . _ -: {PREFIX!r}")

# The names without the prefix: what the deployment checks compare with the manifests.
BASE_NAMES: Final = (
    "hoso.documents.uploaded",
    "hoso.signing.requested",
    "hoso.signing.approved",
    "hoso.signing.completed",
    "hoso.signing.status-queried",
    "hoso.dossiers.submitted",
    "hoso.dossiers.status-changed",
    "hoso.dossiers.result-returned",
    "hoso.notifications.created",
)
# Signing topics carry the callback bursts; their partition count bounds how many
# signing replicas can share the work, so it must be at least the replica maximum.
SIGNING_BASE_NAMES: Final = ("hoso.signing.requested", "hoso.signing.approved")

DOCUMENT_UPLOADED: Final = f"{PREFIX}hoso.documents.uploaded"
SIGN_REQUESTED: Final = f"{PREFIX}hoso.signing.requested"
SIGN_APPROVED: Final = f"{PREFIX}hoso.signing.approved"
SIGN_COMPLETED: Final = f"{PREFIX}hoso.signing.completed"
SIGN_STATUS_QUERIED: Final = f"{PREFIX}hoso.signing.status-queried"
DOSSIER_SUBMITTED: Final = f"{PREFIX}hoso.dossiers.submitted"
DOSSIER_STATUS_CHANGED: Final = f"{PREFIX}hoso.dossiers.status-changed"
DOSSIER_RESULT_RETURNED: Final = f"{PREFIX}hoso.dossiers.result-returned"
NOTIFICATION_CREATED: Final = f"{PREFIX}hoso.notifications.created"

DEAD_LETTER_SUFFIX: Final = ".dlt"

ALL_TOPICS: Final = tuple(f"{PREFIX}{name}" for name in BASE_NAMES)
SIGNING_TOPICS: Final = (SIGN_REQUESTED, SIGN_APPROVED)

# Kafka error codes that `ensure` treats as success.
_TOPIC_ALREADY_EXISTS: Final = 36

logger = logging.getLogger(__name__)


def dead_letter(topic: str) -> str:
    return f"{topic}{DEAD_LETTER_SUFFIX}"


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it must exist in Kafka."""

    name: str
    partitions: int
    replication_factor: int
    min_insync_replicas: int

    def configs(self) -> dict[str, str]:
        return {"min.insync.replicas": str(self.min_insync_replicas)}


def specs(settings: KafkaSettings, names: Iterable[str] = ALL_TOPICS) -> list[TopicSpec]:
    """The topics and their dead-letter companions, sized by the settings."""
    result: list[TopicSpec] = []
    for name in names:
        partitions = (
            settings.kafka_signing_partitions
            if name in SIGNING_TOPICS
            else settings.kafka_partitions
        )
        for topic in (name, dead_letter(name)):
            result.append(
                TopicSpec(
                    topic,
                    partitions,
                    settings.kafka_replication_factor,
                    settings.kafka_min_insync_replicas,
                )
            )
    return result


class TopicError(RuntimeError):
    """Kafka refused to create or change a topic, or a topic cannot meet its definition."""


def _admin(settings: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(client_id="hoso-topics", **client_options(settings))


async def missing(settings: KafkaSettings, names: Iterable[str] = ALL_TOPICS) -> list[str]:
    """The topics (dead-letter ones included) that do not exist yet."""
    admin = _admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    return [spec.name for spec in specs(settings, names) if spec.name not in existing]


def _raise_errors(entries: Iterable[dict[str, Any]], name_key: str, what: str) -> None:
    failed = [
        f"{entry[name_key]}: {entry.get('error_message') or entry['error_code']}"
        for entry in entries
        if entry["error_code"] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if failed:
        raise TopicError(f"{what} failed: " + "; ".join(failed))


async def ensure(settings: KafkaSettings, names: Iterable[str] = ALL_TOPICS) -> list[str]:
    """Create what is missing, grow partitions, set min.insync.replicas; one line per topic.

    Kafka can add partitions but never remove them, and changing an existing topic's
    replication factor needs a reassignment: a topic with fewer replicas than defined is
    reported as an error rather than silently accepted.
    """
    wanted = specs(settings, names)
    admin = _admin(settings)
    await admin.start()
    try:
        # Listing first: a metadata request that names a topic would make a broker with
        # auto.create.topics.enable create it, with the broker's sizes instead of ours.
        existing_names = set(await admin.list_topics())
        present = [spec.name for spec in wanted if spec.name in existing_names]
        described = {
            entry["topic"]: entry
            for entry in (await admin.describe_topics(present) if present else [])
            if entry["error_code"] == 0
        }
        report: list[str] = []
        create = [spec for spec in wanted if spec.name not in existing_names]
        if create:
            response = await admin.create_topics(
                [
                    NewTopic(
                        spec.name,
                        num_partitions=spec.partitions,
                        replication_factor=spec.replication_factor,
                        topic_configs=spec.configs(),
                    )
                    for spec in create
                ]
            )
            _raise_errors(response.to_object()["topic_errors"], "topic", "creating topics")
            report += [
                f"made   {spec.name} ({spec.partitions} partitions, replication "
                f"{spec.replication_factor}, min.insync.replicas {spec.min_insync_replicas})"
                for spec in create
            ]
        existing = [spec for spec in wanted if spec.name in described]
        unsettled = [spec.name for spec in wanted if spec.name in existing_names - set(described)]
        if unsettled:
            raise TopicError("topics without a leader yet, run again: " + ", ".join(unsettled))
        too_few_replicas = []
        grow: dict[str, Any] = {}
        for spec in existing:
            partitions = described[spec.name]["partitions"]
            replicas = min(len(p["replicas"]) for p in partitions) if partitions else 0
            if replicas < spec.replication_factor:
                too_few_replicas.append(f"{spec.name} ({replicas} < {spec.replication_factor})")
            if len(partitions) < spec.partitions:
                grow[spec.name] = NewPartitions(spec.partitions)
                report.append(f"grew   {spec.name}: {len(partitions)} -> {spec.partitions}")
            else:
                report.append(f"exists {spec.name} ({len(partitions)} partitions)")
        if grow:
            try:
                await admin.create_partitions(grow)
            except InvalidPartitionsError:
                # The broker's metadata lags its controller: a topic just grown may still
                # be described with its old count. Accept once the counts catch up.
                await _await_partitions(admin, {n: p.total_count for n, p in grow.items()})
        if existing:
            responses = await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=spec.configs())
                    for spec in existing
                ]
            )
            for response in responses:
                _raise_errors(
                    response.to_object()["resources"], "resource_name", "setting topic configs"
                )
        if too_few_replicas:
            raise TopicError(
                "topics with fewer replicas than HOSO_KAFKA_REPLICATION_FACTOR (reassign "
                "their partitions, see docs/operations.md): " + ", ".join(too_few_replicas)
            )
        return report
    finally:
        await admin.close()


async def _await_partitions(
    admin: AIOKafkaAdminClient, wanted: dict[str, int], timeout_s: float = 30.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        described = await admin.describe_topics(list(wanted))
        short = [e["topic"] for e in described if len(e["partitions"]) < wanted[e["topic"]]]
        if not short:
            return
        if loop.time() > deadline:
            raise TopicError("could not grow the partitions of " + ", ".join(short))
        await asyncio.sleep(0.5)


def _resolve(requested: Sequence[str]) -> tuple[str, ...]:
    """Full names for the topics asked for on the command line; all topics when none."""
    if not requested:
        return ALL_TOPICS
    unknown = [name for name in requested if name not in BASE_NAMES]
    if unknown:
        raise SystemExit(
            f"unknown topic(s) {', '.join(unknown)}: hoso_common.topics defines "
            + ", ".join(BASE_NAMES)
        )
    return tuple(f"{PREFIX}{name}" for name in requested)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hoso_common.topics", description="hoso's Kafka topics"
    )
    parser.add_argument("command", choices=["ensure", "check", "plan"])
    parser.add_argument("topics", nargs="*", help="base names (default: every topic)")
    parser.add_argument("--attempts", type=int, default=30, help="tries while Kafka starts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = KafkaSettings()
    names = _resolve(args.topics)
    if args.command == "plan":
        sys.stdout.write(json.dumps([spec.__dict__ for spec in specs(settings, names)]) + "\n")
        return 0
    for attempt in range(1, args.attempts + 1):
        try:
            if args.command == "check":
                absent = asyncio.run(missing(settings, names))
                if absent:
                    logger.error("missing topics: %s", ", ".join(absent))
                    return 1
                logger.info("all %d topics exist", len(specs(settings, names)))
                return 0
            for line in asyncio.run(ensure(settings, names)):
                logger.info(line)
            logger.info("topics ready")
            return 0
        except TopicError as error:
            logger.error("%s", error)
            return 1
        except Exception as error:  # the broker may still be starting
            if attempt == args.attempts:
                logger.error(
                    "kafka at %s not reachable: %r", settings.kafka_bootstrap_servers, error
                )
                return 1
            logger.info("waiting for kafka (%d/%d): %r", attempt, args.attempts, error)
            time.sleep(5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
