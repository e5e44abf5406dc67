#!/usr/bin/env bash
# Make .venv match the lock files exactly: create it if missing, install the pinned uv
# into it, then `uv pip sync` both locks (hashes checked). The Makefile runs this only
# when a lock file is newer than the last sync.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=${UV_VERSION:-0.13.8}
venv=.venv

if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv"
    python3 -m venv "$venv"
fi
if [ "$("$venv/bin/uv" --version 2>/dev/null | awk '{print $2}')" != "$UV_VERSION" ]; then
    echo "setup: installing uv $UV_VERSION"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
echo "setup: syncing $venv with requirements.lock and requirements-dev.lock"
# The system's certificate store, so a TLS-inspecting proxy's CA is honoured as pip honours it.
UV_NATIVE_TLS=1 "$venv/bin/uv" pip sync -q --python "$venv/bin/python" \
    requirements.lock requirements-dev.lock
