#!/bin/sh
# Creates hoso's buckets, idempotently. Runs in the minio/mc image: the compose one-shot
# `minio-buckets` and the dev overlay's Job (deploy/k8s/components/datastores).
set -eu

: "${S3_URL:?set S3_URL, e.g. http://minio:9000}"
: "${S3_ACCESS_KEY:?set S3_ACCESS_KEY}"
: "${S3_SECRET_KEY:?set S3_SECRET_KEY}"
BUCKETS="${BUCKETS:-hoso-documents hoso-eforms hoso-signing hoso-submission}"
# mc keeps its aliases in a config dir; /tmp is writable even on a read-only root.
MC="mc --config-dir ${MC_CONFIG_DIR:-/tmp/.mc}"

i=0
until $MC alias set hoso "$S3_URL" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 30 ]; then echo "object storage at $S3_URL not reachable" >&2; exit 1; fi
  echo "waiting for object storage at $S3_URL ($i/30)"
  sleep 5
done

for bucket in $BUCKETS; do
  $MC mb --ignore-existing "hoso/$bucket"
done
echo "buckets ready: $BUCKETS"
