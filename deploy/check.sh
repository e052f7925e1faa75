#!/usr/bin/env bash
# Offline validation of everything under deploy/ and of docker-compose.yml
# (`make deploy-check` runs exactly this).
#
#   1. tools: kustomize and kubeconform (built with `go install` from the Go module proxy),
#      Kubernetes JSON schemas (the kubernetes-validate wheel from PyPI), KEDA's CRD
#      schema (its Go module) and the compose-spec schema (compose-go's Go module), all
#      cached in ${HOSO_CACHE:-~/.cache/hoso}/tools. Nothing is fetched while validating.
#   1b. the gateway's routes have one definition (stack/stackctl/routes.py): the committed
#      renders (deploy/nginx/gateway.conf, the Ingresses) must be today's; with
#      HOSO_DEPLOY_UPDATE_RENDERS=1 they are rewritten first;
#   2. self-tests: a known-bad manifest and a known-bad compose file must be rejected, so a
#      missing or lax schema cannot pass silently.
#   3. every kustomization (base, overlays/dev, overlays/production) builds;
#   4. kubeconform -strict on every rendered object, CRDs included (no schema = failure);
#   5. hoso's own rules on the rendered manifests (deploy/tools/check_manifests.py), and
#      the alert rules: deploy/tools/check_alerts.py, then `vmalert -dryRun` (VictoriaMetrics'
#      rule checker, built by stack/install.sh) parses every expression and template;
#   6. docker-compose.yml: compose-spec schema + rules (deploy/tools/check_compose.py),
#      and the gateway's nginx config with `nginx -t` where nginx is installed;
#   7. the Dockerfiles (deploy/tools/check_dockerfiles.py);
#   8. the settings: every variable the overlays and compose set is read by a field of the
#      Settings model of the container it goes to, production provides every required
#      setting, the models accept the values, the topics Job runs the topics' one
#      definition (deploy/tools/check_settings.py, in the project's environment). The
#      renders its unit tests mutate (deploy/tools/tests/rendered) are compared with
#      today's: HOSO_DEPLOY_UPDATE_RENDERS=1 refreshes them.
#
# Exits non-zero if any check fails. Environment:
#   HOSO_CACHE         cache root (default ~/.cache/hoso)
#   HOSO_K8S_VERSION   Kubernetes API version to validate against (default 1.33.0)
#   HOSO_DEPLOY_OUT    keep the rendered manifests in this directory
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${HOSO_CACHE:-$HOME/.cache/hoso}"
TOOLS="$CACHE/tools"

KUSTOMIZE_VERSION=v5.8.2        # kustomize/api v0.21.2: the newest that builds with Go 1.26
KUBECONFORM_VERSION=v0.8.0
K8S_VERSION="${HOSO_K8S_VERSION:-1.33.0}"
KUBERNETES_VALIDATE_VERSION=1.37.0   # ships schemas for Kubernetes 1.25 .. 1.37
KEDA_VERSION=v2.16.1
PROMETHEUS_OPERATOR_VERSION=v0.85.0  # ServiceMonitor and PrometheusRule CRDs
VICTORIAMETRICS_VERSION=1.148.8      # vmalert -dryRun parses the alert rules (stack/install.sh)
COMPOSE_GO_VERSION=v2.10.2           # the compose-spec schema of Docker Compose 2.40
JSONSCHEMA_VERSION=4.26.0
PYYAML_VERSION=6.0.4

KUSTOMIZE="$TOOLS/kustomize-$KUSTOMIZE_VERSION/kustomize"
KUBECONFORM="$TOOLS/kubeconform-$KUBECONFORM_VERSION/kubeconform"
K8S_SCHEMAS="$TOOLS/schemas/kubernetes-$KUBERNETES_VALIDATE_VERSION/v$K8S_VERSION-standalone-strict"
# ScaledObject and TriggerAuthentication (a directory apart from older layouts that held
# only the ScaledObject).
CRD_SCHEMAS="$TOOLS/schemas/keda-$KEDA_VERSION"
MONITORING_SCHEMAS="$TOOLS/schemas/crds-prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
VMALERT="$CACHE/victoriametrics-$VICTORIAMETRICS_VERSION/vmalert"
COMPOSE_SCHEMA="$TOOLS/schemas/compose-spec-$COMPOSE_GO_VERSION.json"

started=$SECONDS
failures=()
section() { printf '\n==> %s\n' "$*"; }
fail() { failures+=("$1"); printf 'FAIL: %s\n' "$1"; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

py() {
  uv run --no-project --quiet \
    --with "jsonschema==$JSONSCHEMA_VERSION" --with "pyyaml==$PYYAML_VERSION" "$@"
}

go_install() {  # <binary path> <module@version>
  local bin="$1" module="$2"
  [[ -x "$bin" ]] && return 0
  echo "building $module"
  # GOTOOLCHAIN=local: never try to download another Go toolchain.
  GOBIN="$(dirname "$bin")" GOTOOLCHAIN=local go install "$module" \
    || die "go install $module failed (kustomize $KUSTOMIZE_VERSION needs Go >= 1.26)"
}

go_module_dir() {  # <module@version>: downloads into the module cache, prints its directory
  GOTOOLCHAIN=local go mod download -json "$1" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}

# --- 1. tools and schemas ------------------------------------------------------------
section "tools (cached in $TOOLS)"
command -v go >/dev/null || die "go is required (it builds kustomize and kubeconform)"
command -v uv >/dev/null || die "uv is required"
mkdir -p "$TOOLS/schemas"

go_install "$KUSTOMIZE" "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
go_install "$KUBECONFORM" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
echo "kustomize   $("$KUSTOMIZE" version)"
echo "kubeconform $("$KUBECONFORM" -v)"

if [[ ! -f "$K8S_SCHEMAS/.complete" ]]; then
  echo "generating Kubernetes $K8S_VERSION schemas from kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
  rm -rf "$K8S_SCHEMAS"
  py --with "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
    python "$ROOT/deploy/tools/k8s_schemas.py" builtin "$K8S_VERSION" "$K8S_SCHEMAS"
  touch "$K8S_SCHEMAS/.complete"
fi
echo "kubernetes  $K8S_VERSION: $(find "$K8S_SCHEMAS" -name '*.json' | wc -l) kind schemas"

if [[ ! -f "$CRD_SCHEMAS/.complete" ]]; then
  echo "converting KEDA $KEDA_VERSION ScaledObject and TriggerAuthentication CRDs"
  rm -rf "$CRD_SCHEMAS"
  keda_dir="$(go_module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  for crd in scaledobjects triggerauthentications; do
    py python "$ROOT/deploy/tools/k8s_schemas.py" crd \
      "$keda_dir/config/crd/bases/keda.sh_$crd.yaml" "$CRD_SCHEMAS"
  done
  touch "$CRD_SCHEMAS/.complete"
fi
echo "crds        keda.sh ScaledObject, TriggerAuthentication ($KEDA_VERSION)"

if [[ ! -f "$MONITORING_SCHEMAS/.complete" ]]; then
  echo "converting the Prometheus operator $PROMETHEUS_OPERATOR_VERSION CRDs"
  rm -rf "$MONITORING_SCHEMAS"
  operator_dir="$(go_module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  for kind in servicemonitors prometheusrules; do
    py python "$ROOT/deploy/tools/k8s_schemas.py" crd \
      "$operator_dir/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" "$MONITORING_SCHEMAS"
  done
  touch "$MONITORING_SCHEMAS/.complete"
fi
echo "crds        monitoring.coreos.com ServiceMonitor, PrometheusRule ($PROMETHEUS_OPERATOR_VERSION)"
[[ -x "$VMALERT" ]] || die "vmalert not found at $VMALERT; run stack/install.sh"

if [[ ! -f "$COMPOSE_SCHEMA" ]]; then
  compose_dir="$(go_module_dir "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION")"
  cp "$compose_dir/schema/compose-spec.json" "$COMPOSE_SCHEMA.tmp"
  mv "$COMPOSE_SCHEMA.tmp" "$COMPOSE_SCHEMA"
fi
echo "compose     compose-spec.json from compose-go $COMPOSE_GO_VERSION"

kubeconform() {
  "$KUBECONFORM" -strict -summary -output text \
    -schema-location "$K8S_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$CRD_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    -schema-location "$MONITORING_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$@"
}

OUT="${HOSO_DEPLOY_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
[[ -n "${HOSO_DEPLOY_OUT:-}" ]] || trap 'rm -rf "$OUT"' EXIT

# --- 1b. the gateway's routes, rendered from their one definition --------------------------
section "gateway routes (stack/stackctl/routes.py)"
if [[ -n "${HOSO_DEPLOY_UPDATE_RENDERS:-}" ]]; then
  python3 "$ROOT/stack/hoso_stack.py" renders --write || fail "rendering the gateway's routes"
fi
python3 "$ROOT/stack/hoso_stack.py" renders || fail "the gateway's renders differ from its routes"

# --- 2. self-tests: the checks must be able to fail ---------------------------------
section "self-tests (invalid input must be rejected)"
cat >"$OUT/canary-invalid.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: canary
spec:
  selector:
    matchLabels: {app: canary}
  template:
    metadata:
      labels: {app: canary}
    spec:
      containers:
        - name: canary
          image: canary
          imagePullPolicy: Sometimes-ish
          unknownField: true
          resources:
            limits: {cpu: [1]}
EOF
if kubeconform "$OUT/canary-invalid.yaml" >"$OUT/canary.log" 2>&1; then
  cat "$OUT/canary.log"
  fail "kubeconform accepted an invalid Deployment: the schemas are not strict"
else
  echo "kubeconform rejects an invalid Deployment (unknown field, wrong type)"
fi
py python "$ROOT/deploy/tools/check_compose.py" "$ROOT/docker-compose.yml" "$COMPOSE_SCHEMA" --self-test \
  || fail "the compose-spec schema accepted an invalid compose file"

# --- 3. kustomize builds --------------------------------------------------------------
section "kustomize build"
builds=()
for dir in base overlays/dev overlays/production; do
  name="$(basename "$dir")"
  if "$KUSTOMIZE" build "$ROOT/deploy/k8s/$dir" >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    echo "deploy/k8s/$dir: $(grep -c '^kind: ' "$OUT/$name.yaml") objects"
    builds+=("$name")
  else
    cat "$OUT/$name.err"
    fail "kustomize build deploy/k8s/$dir"
  fi
done

# --- 4. schemas -----------------------------------------------------------------------
section "kubeconform -strict (Kubernetes $K8S_VERSION, offline)"
for name in "${builds[@]}"; do
  printf '%s: ' "$name"
  kubeconform "$OUT/$name.yaml" || fail "kubeconform $name"
done

# --- 5. hoso's rules on the manifests ---------------------------------------------------
section "manifest rules"
args=()
for name in "${builds[@]}"; do args+=("$name=$OUT/$name.yaml"); done
if ((${#args[@]})); then
  py python "$ROOT/deploy/tools/check_manifests.py" "${args[@]}" || fail "manifest rules"
fi

# --- 5b. alert rules ----------------------------------------------------------------------
section "alert rules (components/monitoring)"
printf 'groups:\n  - name: canary\n    rules:\n      - alert: Canary\n        expr: sum(rate(x[5m]) >\n' \
  >"$OUT/canary-rules.yml"
if "$VMALERT" -dryRun -loggerLevel=ERROR -rule="$OUT/canary-rules.yml" >"$OUT/canary-rules.log" 2>&1; then
  fail "vmalert accepted a broken rule expression"
else
  echo "vmalert rejects a broken rule expression"
fi
if [[ " ${builds[*]} " == *" production "* ]]; then
  if py python "$ROOT/deploy/tools/check_alerts.py" "$OUT/production.yaml" "$ROOT" "$OUT/rules.yml"; then
    if "$VMALERT" -dryRun -loggerLevel=ERROR -rule="$OUT/rules.yml" >"$OUT/rules.log" 2>&1; then
      echo "vmalert -dryRun: every expression and template parses"
    else
      cat "$OUT/rules.log"
      fail "vmalert -dryRun on the alert rules"
    fi
  else
    fail "alert rules"
  fi
fi

# --- 6. compose and the gateway ---------------------------------------------------------
section "docker-compose.yml (compose-spec schema + rules)"
py python "$ROOT/deploy/tools/check_compose.py" "$ROOT/docker-compose.yml" "$COMPOSE_SCHEMA" \
  || fail "docker-compose.yml"

section "gateway nginx config"
if command -v nginx >/dev/null; then
  mkdir -p "$OUT/nginx"
  cat >"$OUT/nginx/nginx.conf" <<EOF
pid $OUT/nginx/nginx.pid;
error_log stderr;
events {}
http {
  client_body_temp_path $OUT/nginx/body;
  proxy_temp_path $OUT/nginx/proxy;
  fastcgi_temp_path $OUT/nginx/fastcgi;
  uwsgi_temp_path $OUT/nginx/uwsgi;
  scgi_temp_path $OUT/nginx/scgi;
  include $ROOT/deploy/nginx/gateway.conf;
}
EOF
  if nginx -t -q -e stderr -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf"; then
    echo "deploy/nginx/gateway.conf: nginx -t ok"
  else
    fail "nginx -t deploy/nginx/gateway.conf"
  fi
else
  echo "skipped: nginx is not installed (the routes were still checked with the compose rules)"
fi

# --- 7. Dockerfiles -----------------------------------------------------------------------
section "Dockerfiles"
py python "$ROOT/deploy/tools/check_dockerfiles.py" "$ROOT" || fail "Dockerfiles"

# --- 8. settings against the code ----------------------------------------------------------
section "settings (overlays and compose against the Settings models)"
to_json() {  # <yaml> <json>: kustomize output is a stream of documents, compose is one
  py python -c 'import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
json.dump(docs if sys.argv[3] == "stream" else docs[0], open(sys.argv[2], "w"), indent=1, sort_keys=True)
' "$@"
}
RENDERS="$ROOT/deploy/tools/tests/rendered"
args=()
for name in "${builds[@]}"; do
  [[ "$name" == base ]] && continue
  to_json "$OUT/$name.yaml" "$OUT/$name.json" stream
  args+=("$name=$OUT/$name.json")
done
to_json "$ROOT/docker-compose.yml" "$OUT/compose.json" single
args+=("compose=$OUT/compose.json")
(cd "$ROOT" && uv run --quiet python deploy/tools/check_settings.py "${args[@]}") || fail "settings"
for arg in "${args[@]}"; do
  name="${arg%%=*}" file="${arg#*=}"
  if [[ -n "${HOSO_DEPLOY_UPDATE_RENDERS:-}" ]]; then
    cp "$file" "$RENDERS/$name.json"
  elif ! cmp -s "$file" "$RENDERS/$name.json"; then
    echo "note: deploy/tools/tests/rendered/$name.json differs from today's render;" \
      "refresh it with HOSO_DEPLOY_UPDATE_RENDERS=1 make deploy-check"
  fi
done

# --- summary --------------------------------------------------------------------------------
echo
if ((${#failures[@]})); then
  printf 'deploy-check FAILED (%ds): %s\n' "$((SECONDS - started))" "$(IFS=';'; echo "${failures[*]}")"
  exit 1
fi
printf 'deploy-check passed (%ds): %s built, schema-checked and rule-checked; compose valid\n' \
  "$((SECONDS - started))" "${builds[*]}"
