#!/usr/bin/env bash
# Install what the local stack needs; safe to re-run (each step skips what is already there).
#   apt packages, uv, the workspace venv, Kafka 4.1.1 jars, S3Proxy 2.6.0 jars, FerretDB 1.24.2,
#   Keycloak 26.5.6 (the national-SSO stand-in), veraPDF, VictoriaMetrics 1.148.8 (metrics
#   server, vmalert), Zipkin 3.5.1 (trace store), Mailpit 1.33.1 (local SMTP server and its web UI)
#   and supervisord 4.3.0 (runs the parts).
# Downloads and builds are cached under ${HOSO_CACHE:-$HOME/.cache/hoso}.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${HOSO_CACHE:-$HOME/.cache/hoso}"
KAFKA_DIR="$CACHE/kafka-4.1.1"
S3PROXY_DIR="$CACHE/s3proxy-2.6.0"
KEYCLOAK_VERSION="26.5.6"
KEYCLOAK_DIR="$CACHE/keycloak-$KEYCLOAK_VERSION"
FERRETDB_VERSION="1.24.2"
FERRETDB_DIR="$CACHE/ferretdb-$FERRETDB_VERSION"
GO_TOOLCHAIN="go1.24.3" # FerretDB 1.24.2's go.mod asks for go 1.24
export PATH="$HOME/.local/bin:$PATH"
mkdir -p "$CACHE"

STEP_START=0
now_us() { echo "${EPOCHREALTIME/./}"; }
step() { STEP_START=$(now_us); printf '[install] %-22s ... ' "$1"; }
done_step() {
    local tenths=$((($(now_us) - STEP_START) / 100000))
    printf '%s (%d.%ds)\n' "$1" $((tenths / 10)) $((tenths % 10))
}
die() { printf '\nerror: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The poms pin the versions; a changed pom re-resolves into a fresh directory.
resolve_jars() { # <pom> <target dir>
    local pom="$1" dir="$2" sum
    sum="$(sha256sum "$pom" | cut -d' ' -f1)"
    if [ -f "$dir/pom.sha256" ] && [ "$(cat "$dir/pom.sha256")" = "$sum" ]; then
        done_step "cached"; return
    fi
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dir.tmp/libs" \
        -DincludeScope=runtime >"$dir.tmp/mvn.log" 2>&1 || { cat "$dir.tmp/mvn.log" >&2; die "maven failed for $pom"; }
    echo "$sum" >"$dir.tmp/pom.sha256"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    done_step "downloaded $(ls "$dir/libs" | wc -l) jars"
}

# --- 1. apt packages ------------------------------------------------------------------------
step "apt packages"
missing=()
# chromium drives the portal's browser tests (Playwright launches it by path)
for pkg in nginx-light poppler-utils fonts-dejavu-core fonts-dejavu-extra libnss3-tools patch chromium; do installed "$pkg" || missing+=("$pkg"); done
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    as_root apt-get update -qq >/dev/null
    # A temporary policy-rc.d keeps the package's own nginx service from starting on port 80:
    # the stack runs its own nginx with its own config.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod +x "$policy"
        trap 'as_root rm -f "$policy"' EXIT
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    if [ "$(trap -p EXIT)" ]; then as_root rm -f "$policy"; trap - EXIT; fi
    done_step "installed ${missing[*]}"
else
    done_step "present"
fi

# --- 2. uv --------------------------------------------------------------------------------
step "uv"
if command -v uv >/dev/null; then
    done_step "present ($(uv --version | cut -d' ' -f2))"
else
    python3 -m pip install -q --user uv 2>/dev/null \
        || python3 -m pip install -q --user --break-system-packages uv \
        || die "could not install uv with pip"
    done_step "installed ($(uv --version | cut -d' ' -f2))"
fi

# --- 3. workspace venv ----------------------------------------------------------------------
step "uv sync"
sync_args=(--all-packages)
[ -f "$REPO/uv.lock" ] && sync_args+=(--frozen)
(cd "$REPO" && uv sync -q "${sync_args[@]}") || die "uv sync ${sync_args[*]} failed"
done_step "ok (${sync_args[*]})"

# --- 4. Kafka -----------------------------------------------------------------------------
step "kafka 4.1.1 jars"
resolve_jars "$REPO/stack/maven/kafka.pom.xml" "$KAFKA_DIR"

# --- 5. S3Proxy ---------------------------------------------------------------------------
step "s3proxy 2.6.0 jars"
resolve_jars "$REPO/stack/maven/s3proxy.pom.xml" "$S3PROXY_DIR"

# --- 6. Keycloak ------------------------------------------------------------------------------
# The Quarkus distribution from Maven Central, built once for the stack's build-time options
# (dev-file database, health, the /auth path the gateway routes) so that every `up` starts it
# with `start --optimized` and each stack keeps its own home under .stack/data/keycloak.
# A change of these options must change KEYCLOAK_BUILD so the cached build is redone.
KEYCLOAK_BUILD="db=dev-file health http-relative-path=/auth"
step "keycloak $KEYCLOAK_VERSION"
if [ -x "$KEYCLOAK_DIR/bin/kc.sh" ] && [ "$(cat "$KEYCLOAK_DIR/hoso-build" 2>/dev/null)" = "$KEYCLOAK_BUILD" ]; then
    done_step "cached"
else
    rm -rf "$KEYCLOAK_DIR.tmp" && mkdir -p "$KEYCLOAK_DIR.tmp"
    mvn -q -B dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
        -DoutputDirectory="$KEYCLOAK_DIR.tmp" >"$KEYCLOAK_DIR.tmp/mvn.log" 2>&1 \
        || { cat "$KEYCLOAK_DIR.tmp/mvn.log" >&2; die "maven failed for Keycloak $KEYCLOAK_VERSION"; }
    tar -xzf "$KEYCLOAK_DIR.tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$KEYCLOAK_DIR.tmp" \
        --strip-components=1 && rm "$KEYCLOAK_DIR.tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
    rm -rf "$KEYCLOAK_DIR" && mv "$KEYCLOAK_DIR.tmp" "$KEYCLOAK_DIR"
    "$KEYCLOAK_DIR/bin/kc.sh" build --db=dev-file --health-enabled=true \
        --http-relative-path=/auth >"$KEYCLOAK_DIR/build.log" 2>&1 \
        || { tail -30 "$KEYCLOAK_DIR/build.log" >&2; die "kc.sh build failed"; }
    echo "$KEYCLOAK_BUILD" >"$KEYCLOAK_DIR/hoso-build"
    done_step "installed"
fi

# --- 7. FerretDB --------------------------------------------------------------------------
# `go install ...@v1.24.2` builds a binary that panics at start: the module lacks the
# generated build/version/version.txt. So build from a copy of the module with that file,
# with the stack's SQLite scan patch applied (stack/ferretdb/README.md says why).
FERRETDB_PATCHES="$(cd "$REPO/stack/ferretdb" && cat ./*.patch | sha256sum | cut -c1-16)"
step "ferretdb $FERRETDB_VERSION (patches $FERRETDB_PATCHES)"
if grep -q "version: v$FERRETDB_VERSION" <<<"$("$FERRETDB_DIR/ferretdb" --version 2>/dev/null || true)" \
    && [ "$(cat "$FERRETDB_DIR/patches" 2>/dev/null)" = "$FERRETDB_PATCHES" ]; then
    done_step "cached"
else
    GO="$(command -v go || true)"
    [ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
    if [ -z "$GO" ]; then
        # No Go on the machine: the toolchain itself is a module on the Go module proxy.
        GO_ZIP="$CACHE/go-toolchain/$GO_TOOLCHAIN.zip"
        if [ ! -x "$CACHE/go-toolchain/go/bin/go" ]; then
            mkdir -p "$CACHE/go-toolchain"
            curl -fsSL -o "$GO_ZIP" \
                "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$(dpkg --print-architecture).zip"
            (cd "$CACHE/go-toolchain" && python3 -m zipfile -e "$GO_ZIP" extracted \
                && mv "extracted/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$(dpkg --print-architecture)" go \
                && rm -rf extracted "$GO_ZIP" && chmod -R u+x go/bin go/pkg/tool)
        fi
        GO="$CACHE/go-toolchain/go/bin/go"
    fi
    export GOTOOLCHAIN=auto # uses the local go when new enough, else fetches $GO_TOOLCHAIN
    mkdir -p "$FERRETDB_DIR"
    build_log="$FERRETDB_DIR/build.log"
    src="$("$GO" mod download -json "github.com/FerretDB/FerretDB@v$FERRETDB_VERSION" 2>"$build_log" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
        || { cat "$build_log" >&2; die "could not download the FerretDB module"; }
    build="$CACHE/build/ferretdb-$FERRETDB_VERSION"
    rm -rf "$build" && mkdir -p "$(dirname "$build")" && cp -r "$src" "$build" && chmod -R u+w "$build"
    echo "v$FERRETDB_VERSION" >"$build/build/version/version.txt"
    for patch in "$REPO"/stack/ferretdb/*.patch; do
        (cd "$build" && patch -p1 --forward --batch <"$patch") >>"$build_log" 2>&1 \
            || { tail -30 "$build_log" >&2; die "could not apply $(basename "$patch") to FerretDB"; }
    done
    (cd "$build" && GOFLAGS=-buildvcs=false "$GO" build -trimpath -o "$FERRETDB_DIR/ferretdb.tmp" \
        ./cmd/ferretdb) >>"$build_log" 2>&1 || { tail -30 "$build_log" >&2; die "go build of FerretDB failed"; }
    mv "$FERRETDB_DIR/ferretdb.tmp" "$FERRETDB_DIR/ferretdb"
    echo "$FERRETDB_PATCHES" >"$FERRETDB_DIR/patches"
    rm -rf "$CACHE/build"
    # (the version is read whole first: `grep -q` quitting early would fail the pipe)
    version="$("$FERRETDB_DIR/ferretdb" --version 2>&1 || true)"
    grep -q "version: v$FERRETDB_VERSION" <<<"$version" || die "built FerretDB does not start"
    done_step "built"
fi

# --- 8. veraPDF (the independent PDF/A validator the e-form tests use) ---------------------
step "veraPDF"
HOSO_CACHE="$CACHE" bash "$REPO/services/eforms/tools/verapdf/install.sh" >/dev/null \
    || die "veraPDF install failed"
done_step "ok"

# --- 8. portal front-end assets (htmx, and axe-core for the browser tests; pinned in
#        portal/assets/package.json) ---------------------------------------------------------
step "portal assets (npm)"
# One folder per package.json: worktrees or branches with other pins, sharing this cache,
# never replace each other's assets (hoso_stack.py points the portal at the same folder).
ASSETS_SUM="$(sha256sum "$REPO/portal/assets/package.json" | cut -d' ' -f1)"
ASSETS_DIR="$CACHE/portal-assets-${ASSETS_SUM:0:16}"
if [ -f "$ASSETS_DIR/node_modules/htmx.org/dist/htmx.min.js" ] \
    && [ -f "$ASSETS_DIR/node_modules/axe-core/axe.min.js" ]; then
    done_step "cached"
else
    rm -rf "$ASSETS_DIR.tmp" && mkdir -p "$ASSETS_DIR.tmp"
    cp "$REPO/portal/assets/package.json" "$ASSETS_DIR.tmp/"
    (cd "$ASSETS_DIR.tmp" && npm install --no-audit --no-fund --ignore-scripts --omit=dev \
        >npm.log 2>&1) || { cat "$ASSETS_DIR.tmp/npm.log" >&2; die "npm install of the portal assets failed"; }
    echo "$ASSETS_SUM" >"$ASSETS_DIR.tmp/package.sha256"
    rm -rf "$ASSETS_DIR" && mv "$ASSETS_DIR.tmp" "$ASSETS_DIR"
    node_version() { node -p "require('$ASSETS_DIR/node_modules/$1/package.json').version"; }
    done_step "installed htmx.org $(node_version htmx.org), htmx-ext-sse $(node_version htmx-ext-sse), axe-core $(node_version axe-core)"
fi

# --- 9. VictoriaMetrics (the local metrics server and its query UI) --------------------------
# vmalert comes from the same module: `make deploy-check` uses it to check the alert rules.
VM_VERSION="1.148.8"
VM_DIR="$CACHE/victoriametrics-$VM_VERSION"
step "victoriametrics $VM_VERSION"
if [ -x "$VM_DIR/victoria-metrics" ] && [ -x "$VM_DIR/vmalert" ]; then
    done_step "cached"
else
    GO="$(command -v go || true)"
    [ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
    [ -z "$GO" ] && [ -x "$CACHE/go-toolchain/go/bin/go" ] && GO="$CACHE/go-toolchain/go/bin/go"
    [ -n "$GO" ] || die "Go is needed to build VictoriaMetrics"
    mkdir -p "$VM_DIR"
    (GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false GOBIN="$VM_DIR" "$GO" install -trimpath \
        "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@v$VM_VERSION" \
        "github.com/VictoriaMetrics/VictoriaMetrics/app/vmalert@v$VM_VERSION") \
        >"$VM_DIR/build.log" 2>&1 || { tail -30 "$VM_DIR/build.log" >&2; die "go build of VictoriaMetrics failed"; }
    done_step "built"
fi

# --- 10. Zipkin (the local trace store and its UI) --------------------------------------------
ZIPKIN_VERSION="3.5.1"
ZIPKIN_JAR="$CACHE/zipkin-$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
ZIPKIN_SHA1="38091e0934648a5dc884ad17c62cf2f6502f4ff2" # Maven Central publishes sha1 only
step "zipkin $ZIPKIN_VERSION"
if [ -s "$ZIPKIN_JAR" ]; then
    done_step "cached"
else
    mkdir -p "$(dirname "$ZIPKIN_JAR")"
    url="https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$ZIPKIN_VERSION/zipkin-server-$ZIPKIN_VERSION-exec.jar"
    curl -fsSL -o "$ZIPKIN_JAR.tmp" "$url" || die "could not download $url"
    echo "$ZIPKIN_SHA1  $ZIPKIN_JAR.tmp" | sha1sum -c --quiet - || die "zipkin jar checksum mismatch"
    mv "$ZIPKIN_JAR.tmp" "$ZIPKIN_JAR"
    done_step "downloaded"
fi

# --- 11. Mailpit (the local SMTP server the notifications service sends to; UI and API at /mail/) --
# The Go module holds the web UI's sources but not its bundle (server/ui/dist, made by
# `npm run build`), so `go install` gives a blank page at /mail/. So build from a copy of the
# module: npm install of what the bundle needs, esbuild, then `go build`, which embeds the
# bundle. Some of upstream's pins are not served by the npm registry reachable here
# (sass-embedded 1.108.1, rapidoc 12), hence the pins below; the lock file goes (it names them)
# and eslint/playwright/jsdom (lint and test tools) are left out.
MAILPIT_VERSION="1.33.1"
MAILPIT_DIR="$CACHE/mailpit-$MAILPIT_VERSION"
MAILPIT_UI_PINS="rapidoc=9.3.8 sass=1.108.2 esbuild-sass-plugin=3.7.0"
MAILPIT_UI_DEV="@vue/compiler-sfc esbuild esbuild-plugin-vue-next esbuild-sass-plugin sass"
MAILPIT_KEY="$(echo "$MAILPIT_VERSION $MAILPIT_UI_PINS $MAILPIT_UI_DEV" | sha256sum | cut -c1-16)"
step "mailpit $MAILPIT_VERSION (ui $MAILPIT_KEY)"
# A binary counts only with the key of the UI build that went into it: one from before the UI
# build (API only) or from other pins is rebuilt.
if [ -x "$MAILPIT_DIR/mailpit" ] && [ "$(cat "$MAILPIT_DIR/ui-build" 2>/dev/null)" = "$MAILPIT_KEY" ]; then
    done_step "cached"
else
    GO="$(command -v go || true)"
    [ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
    [ -z "$GO" ] && [ -x "$CACHE/go-toolchain/go/bin/go" ] && GO="$CACHE/go-toolchain/go/bin/go"
    [ -n "$GO" ] || die "Go is needed to build Mailpit"
    command -v npm >/dev/null || die "npm is needed to build Mailpit's web UI"
    mkdir -p "$MAILPIT_DIR"
    build_log="$MAILPIT_DIR/build.log"
    : >"$build_log"
    # A build folder of its own: other worktrees share this cache, and their FerretDB step
    # removes $CACHE/build.
    build_tmp="$(mktemp -d "$CACHE/mailpit-$MAILPIT_VERSION.build.XXXXXX")"
    build="$build_tmp/src"
    fail() { tail -30 "$build_log" >&2; rm -rf "$build_tmp"; die "$1 (log: $build_log)"; }
    src="$(GOTOOLCHAIN=auto "$GO" mod download -json "github.com/axllent/mailpit@v$MAILPIT_VERSION" 2>>"$build_log" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
        || fail "could not download the Mailpit module"
    cp -r "$src" "$build" && chmod -R u+w "$build"
    rm -f "$build/package-lock.json" && rm -rf "$build/server/ui/dist"
    (cd "$build" && MAILPIT_UI_PINS="$MAILPIT_UI_PINS" MAILPIT_UI_DEV="$MAILPIT_UI_DEV" python3 -c '
import json, os
with open("package.json") as f:
    pkg = json.load(f)
keep = os.environ["MAILPIT_UI_DEV"].split()
pkg["devDependencies"] = {k: v for k, v in pkg["devDependencies"].items() if k in keep}
for pin in os.environ["MAILPIT_UI_PINS"].split():
    name, version = pin.split("=")
    section = "dependencies" if name in pkg["dependencies"] else "devDependencies"
    pkg[section][name] = version
pkg.pop("overrides", None)  # only for eslint, which is left out
pkg.pop("//overrides", None)
with open("package.json", "w") as f:
    json.dump(pkg, f, indent=2)
') >>"$build_log" 2>&1 || fail "could not pin Mailpit's package.json"
    # --legacy-peer-deps: esbuild-sass-plugin names sass-embedded as a peer; it runs on sass.
    (cd "$build" && npm install --no-audit --no-fund --ignore-scripts --legacy-peer-deps) \
        >>"$build_log" 2>&1 || fail "npm install for Mailpit's web UI failed"
    (cd "$build" && npm run build) >>"$build_log" 2>&1 || fail "the build of Mailpit's web UI failed"
    for f in app.js app.css docs.js; do
        [ -s "$build/server/ui/dist/$f" ] || fail "the build of Mailpit's web UI made no server/ui/dist/$f"
    done
    (cd "$build" && CGO_ENABLED=0 GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false "$GO" build -trimpath \
        -ldflags "-X github.com/axllent/mailpit/config.Version=v$MAILPIT_VERSION" \
        -o "$MAILPIT_DIR/mailpit.tmp" .) >>"$build_log" 2>&1 || fail "go build of Mailpit failed"
    mv "$MAILPIT_DIR/mailpit.tmp" "$MAILPIT_DIR/mailpit"
    echo "$MAILPIT_KEY" >"$MAILPIT_DIR/ui-build"
    rm -rf "$build_tmp"
    "$MAILPIT_DIR/mailpit" version --no-release-check 2>/dev/null | grep -q "v$MAILPIT_VERSION" \
        || die "built Mailpit does not start"
    done_step "built (web UI included)"
fi

# --- 12. supervisord (runs the stack's parts, restarts a part that dies, keeps their logs) ---
# A venv of its own in the cache: stack/hoso_stack.py runs on the system's python3 and talks
# to supervisord over its socket, so the workspace's venv does not need it.
SUPERVISOR_VERSION="4.3.0"
install_supervisor() { # <venv dir>
    rm -rf "$1"
    uv venv -q --python "$(command -v python3)" "$1" || die "could not create a venv for supervisor"
    uv pip install -q --python "$1/bin/python" "supervisor==$SUPERVISOR_VERSION" \
        || die "could not install supervisor $SUPERVISOR_VERSION"
    "$1/bin/supervisord" --version | grep -qx "$SUPERVISOR_VERSION" || die "supervisord does not start"
    touch "$1/.complete"
    done_step "installed"
}
step "supervisor $SUPERVISOR_VERSION"
if [ -f "$CACHE/supervisor-$SUPERVISOR_VERSION/.complete" ]; then done_step "cached"
else install_supervisor "$CACHE/supervisor-$SUPERVISOR_VERSION"; fi
