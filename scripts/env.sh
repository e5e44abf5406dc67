#!/usr/bin/env bash
# Writes a git-ignored .env with a generated SECRET_KEY and IP_HASH_KEY, once: an existing
# .env is never touched. `make run` and `make serve` call it; so does the README's
# PostgreSQL recipe, for a checkout that has never run `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -e .env ] && exit 0
# Only the standard library, so this works before the virtual environment exists.
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
secret_key=$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')
ip_hash_key=$("$python" -c 'import secrets; print(secrets.token_urlsafe(32))')
(
    umask 077
    cat >.env <<END
# Written once by scripts/env.sh on $(date -u +%Y-%m-%d). Never commit this file.
# Every setting Chorus reads is listed in .env.example; the environment wins over this file.
SECRET_KEY=$secret_key
IP_HASH_KEY=$ip_hash_key
END
)
echo "env: wrote .env with a new SECRET_KEY and IP_HASH_KEY"
