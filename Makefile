# hoso: developer and CI entrypoints. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv may have been installed with `pip install --user` by stack/install.sh
export PATH := $(HOME)/.local/bin:$(PATH)
export SIGNING_REPLICAS ?= 2

STACK := python3 stack/hoso_stack.py
# only the test folders that exist, so a missing one does not fail pytest
TEST_PATHS := $(wildcard libs/*/tests services/*/tests sandbox/*/tests portal/tests deploy/tools/tests stack/tests tests/e2e tests/browser)

.PHONY: help install up down reset status logs test test-unit test-integration test-e2e test-browser \
	lint fuzz bench bench-upload bench-signing bench-burst bench-portal bench-stats deploy-check test-faults dead-letters

help: ## list the targets
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

install: ## install what the local stack needs (apt, uv, venv, Kafka, S3Proxy, FerretDB)
	bash stack/install.sh

up: install ## start the local stack and wait until it answers (SIGNING_REPLICAS=2)
	$(STACK) up $(UP_ARGS)

down: ## stop the processes of the local stack
	$(STACK) down

reset: ## stop the local stack and delete its data (.stack/data)
	$(STACK) reset

status: ## show each part of the local stack, its pid and health
	$(STACK) status

logs: ## show the tail of the stack's logs (ARGS="-f kafka" to follow one)
	$(STACK) logs $(ARGS)

test: ## run every test: unit, integration and e2e (needs `make up`)
	uv run pytest $(TEST_PATHS) --durations=30

test-unit: ## run the unit tests only (no stack needed)
	uv run pytest -m "not integration and not e2e" $(TEST_PATHS)

test-integration: ## run the integration tests against the local stack
	uv run pytest -m integration $(TEST_PATHS)

test-e2e: ## run the user flows through the gateway (needs `make up`)
	uv run pytest tests/e2e -m e2e

test-browser: ## run the portal in chromium like a person (needs `make up`); screenshots in .artifacts/browser/
	uv run pytest tests/browser -m browser

test-faults: ## fault scenarios against the running stack (kills and stops its parts)
	uv run pytest tests/faults -m faults -p no:randomly

dead-letters: ## list dead-letter topics; ARGS="replay hoso.signing.completed.dlt" replays one
	uv run python -m hoso_common.dead_letters $(if $(ARGS),$(ARGS),list)

fuzz: ## schemathesis over every service's OpenAPI through the gateway (needs `make up`)
	uv run pytest tests/fuzz -m fuzz -q -p no:cacheprovider

lint: ## ruff check, ruff format --check and mypy --strict
	uv run ruff check . && uv run ruff format --check . && uv run mypy

bench: bench-upload bench-signing bench-burst ## run all benchmarks against the running stack

bench-upload: ## benchmark document uploads
	uv run python bench/bench_upload.py

bench-signing: ## benchmark signing throughput
	uv run python bench/bench_signing.py

bench-burst: ## benchmark a burst of submissions
	uv run python bench/bench_burst.py

bench-portal: ## pages through the portal vs. the same data from the APIs (needs `make up`)
	uv run python bench/bench_portal.py

bench-stats: ## the statistics page over 100,000 seeded dossiers (needs `make up`)
	uv run python bench/bench_stats.py

deploy-check: ## validate docker-compose.yml and deploy/k8s
	bash deploy/check.sh
