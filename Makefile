# Chorus. `make run` serves the demo; `make test` runs every check. Each target installs
# what is missing first and is safe to run again. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
SYNCED := $(VENV)/.chorus-synced

# Debian 12 packages: Chromium for browser tests (Playwright drives /usr/bin/chromium; its
# driver needs libatomic1), PostgreSQL 15 and Redis for the second test run and production,
# openssl to make the DKIM keys the mail tests sign with, wrk for benchmarks, and gettext
# to compile the translation catalogs (scripts/messages.sh).
# libpango-1.0-0 and libpangoft2-1.0-0: WeasyPrint lays out the delivery pack's PDF with
# them (docs/delivery.md); its fonts are the ones Chorus ships under static/fonts.
SYSTEM_PACKAGES := chromium gettext libatomic1 libpango-1.0-0 libpangoft2-1.0-0 openssl \
	pgbouncer postgresql redis-server wrk

.PHONY: help setup system venv run serve test lint fmt bench clean

help:
	@echo "make run     migrate, load the demo, serve it on 127.0.0.1:\$${PORT:-8000} with the worker"
	@echo "make test    ruff, then pytest on SQLite, then the whole suite on PostgreSQL and Redis"
	@echo "make serve   the production application server only"
	@echo "make setup   install missing system packages and the locked Python packages"
	@echo "make lint | fmt | bench | clean"

setup: system venv

system:
	@scripts/system-packages.sh $(SYSTEM_PACKAGES)

venv: $(SYNCED)

# Redone only when a lock file changed since the last sync (or the venv is gone).
$(SYNCED): requirements.lock requirements-dev.lock
	@scripts/venv.sh
	@touch $@

run: setup
	@scripts/run.sh

serve: setup
	@scripts/run.sh serve

test: setup lint
	@scripts/test.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	@if [ -f bench/run.sh ]; then bash bench/run.sh; \
	else echo "bench: bench/run.sh does not exist yet" >&2; exit 1; fi

# Stops the test services and removes generated files; keeps .venv, .env and var/ (data).
clean:
	@if [ -d .tmp/services ]; then scripts/services.sh stop; fi
	@# A cluster kept outside the checkout (see scripts/services.sh) goes too.
	@if [ -L .tmp/services/postgres ]; then rm -rf "$$(readlink -f .tmp/services/postgres)"; fi
	rm -rf .tmp staticfiles .ruff_cache .pytest_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
