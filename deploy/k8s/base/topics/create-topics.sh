#!/bin/bash
# Creates hoso's Kafka topics and their dead-letter topics, idempotently.
# Used by the Kubernetes Job (deploy/k8s/base/topics) and by the compose one-shot
# `kafka-topics`; runs in the apache/kafka image.
#
# Partitions bound consumer parallelism: a consumer group never has more active members
# than the topic has partitions. The signing topics therefore get at least as many
# partitions as the signing HPA's maxReplicas. An existing topic with fewer partitions is
# grown (Kafka can add partitions, never remove them).
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-${HOSO_KAFKA_BOOTSTRAP_SERVERS:?set KAFKA_BOOTSTRAP_SERVERS}}"
PARTITIONS="${HOSO_KAFKA_PARTITIONS:-6}"
SIGNING_PARTITIONS="${HOSO_KAFKA_SIGNING_PARTITIONS:-12}"
REPLICATION="${TOPIC_REPLICATION_FACTOR:-${HOSO_KAFKA_REPLICATION_FACTOR:-1}}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

# Optional client settings (TLS/SASL) for an external cluster, mounted from a Secret.
CLIENT_ARGS=(--bootstrap-server "$BOOTSTRAP")
if [[ -n "${KAFKA_COMMAND_CONFIG:-}" && -f "$KAFKA_COMMAND_CONFIG" ]]; then
  CLIENT_ARGS+=(--command-config "$KAFKA_COMMAND_CONFIG")
fi

TOPICS=(
  hoso.documents.uploaded
  hoso.signing.requested
  hoso.signing.approved
  hoso.signing.completed
  hoso.dossiers.submitted
  hoso.dossiers.status-changed
  hoso.eforms.events
)

kafka_topics() { "$KAFKA_BIN/kafka-topics.sh" "${CLIENT_ARGS[@]}" "$@"; }

# The broker may still be starting (the dev StatefulSet, compose's first boot).
for attempt in $(seq 1 30); do
  if kafka_topics --list >/dev/null 2>&1; then break; fi
  if [[ "$attempt" == 30 ]]; then echo "kafka at $BOOTSTRAP not reachable" >&2; exit 1; fi
  echo "waiting for kafka at $BOOTSTRAP ($attempt/30)"
  sleep 5
done

# One describe for all topics: every kafka-topics.sh call starts a JVM.
described="$(kafka_topics --describe --exclude-internal)"
declare -A current=()
while read -r name count; do
  [[ -n "$name" ]] && current["$name"]="$count"
done <<<"$(sed -n 's/^Topic: *\([^[:space:]]*\).*PartitionCount: *\([0-9]*\).*/\1 \2/p' <<<"$described")"

ensure_topic() {
  local topic="$1" wanted="$2" have="${current[$1]:-}"
  if [[ -z "$have" ]]; then
    kafka_topics --create --if-not-exists --topic "$topic" \
      --partitions "$wanted" --replication-factor "$REPLICATION"
    echo "made   $topic ($wanted partitions, replication $REPLICATION)"
  elif ((have < wanted)); then
    kafka_topics --alter --topic "$topic" --partitions "$wanted"
    echo "grew   $topic: $have -> $wanted partitions"
  else
    echo "exists $topic ($have partitions)"
  fi
}

for topic in "${TOPICS[@]}"; do
  case "$topic" in
    hoso.signing.*) wanted="$SIGNING_PARTITIONS" ;;
    *) wanted="$PARTITIONS" ;;
  esac
  ensure_topic "$topic" "$wanted"
  ensure_topic "$topic.dlt" "$wanted"
done
echo "topics ready"
