# syntax=docker/dockerfile:1
# One image recipe for every runnable workspace member (services/*, sandbox/* and portal);
# the build arguments name the member. Build from the repository root (the uv workspace and its
# lock file live there), e.g.:
#   docker build --build-arg MEMBER=services/documents --build-arg PACKAGE=hoso-documents \
#     --build-arg MODULE=hoso_documents -t hoso-documents .
# docker-compose.yml passes the arguments of each member; deploy/tools/check_dockerfiles.py
# checks that every member is built from here with arguments that match its pyproject.toml.
# The portal is built with `--target web`: the runtime plus its npm assets.

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:22-slim

FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
# The member's folder, its distribution name and its import name.
ARG MEMBER
ARG PACKAGE
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first, from the lock file alone, so that this layer is reused
# until uv.lock or a pyproject.toml changes. uv needs every workspace member's manifest.
COPY pyproject.toml uv.lock ./
COPY libs/common/pyproject.toml libs/common/pyproject.toml
COPY libs/testing/pyproject.toml libs/testing/pyproject.toml
COPY portal/pyproject.toml portal/pyproject.toml
COPY services/documents/pyproject.toml services/documents/pyproject.toml
COPY services/eforms/pyproject.toml services/eforms/pyproject.toml
COPY services/signing/pyproject.toml services/signing/pyproject.toml
COPY services/submission/pyproject.toml services/submission/pyproject.toml
COPY services/notifications/pyproject.toml services/notifications/pyproject.toml
COPY sandbox/ca/pyproject.toml sandbox/ca/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${PACKAGE} --no-install-workspace

# Then the workspace code. Installed non-editable, so the venv carries the sources and the
# runtime stage needs nothing from /src.
COPY libs/common/ libs/common/
COPY ${MEMBER}/ ${MEMBER}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package ${PACKAGE} --no-editable


FROM ${PYTHON_IMAGE} AS runtime
ARG MODULE
# The port the app listens on, Debian packages it needs (fonts-dejavu-core for the members
# that render PDFs: Vietnamese glyphs), and a folder the app user may write (a volume's
# mount point, e.g. the sandbox CA's PKI).
ARG PORT=8000
ARG APT_PACKAGES=""
ARG DATA_DIR=""
RUN if [ -n "${APT_PACKAGES}" ]; then \
        apt-get update \
     && apt-get install -y --no-install-recommends ${APT_PACKAGES} \
     && rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 hoso \
 && useradd --system --uid 10001 --gid hoso --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin hoso \
 && if [ -n "${DATA_DIR}" ]; then mkdir -p "${DATA_DIR}" && chown 10001:10001 "${DATA_DIR}"; fi

# Owned by root: the app user can read the code but never change it.
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/tmp/.cache \
    HOSO_APP_FACTORY=${MODULE}.main:create_app \
    HOSO_APP_PORT=${PORT}
WORKDIR /app
# Numeric, so that Kubernetes can verify runAsNonRoot.
USER 10001:10001
EXPOSE ${PORT}

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health/live' % os.environ['HOSO_APP_PORT'], timeout=2)"

# One worker per container: scale out with replicas, not processes. Idle connections are kept
# longer than the gateway keeps them (60 s), so it never reuses one the app has just closed.
# `exec` makes uvicorn the container's main process, so it gets the stop signal itself.
CMD exec uvicorn --factory "${HOSO_APP_FACTORY}" --host 0.0.0.0 --port "${HOSO_APP_PORT}" \
    --proxy-headers --forwarded-allow-ips "*" --timeout-graceful-shutdown 20 \
    --timeout-keep-alive 75


# Front-end assets from npm, exactly as pinned in the member's assets/package.json (never
# committed). Built only for the `web` target.
FROM ${NODE_IMAGE} AS assets
ARG MEMBER
WORKDIR /assets
COPY ${MEMBER}/assets/package.json ./
RUN npm install --no-audit --no-fund --ignore-scripts --omit=dev


# The runtime of a member that serves pages: the same image plus the npm assets.
FROM runtime AS web
COPY --from=assets /assets/node_modules /app/assets/node_modules
ENV HOSO_PORTAL_ASSETS_DIR=/app/assets/node_modules
