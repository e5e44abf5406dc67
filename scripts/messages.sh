#!/usr/bin/env bash
# Compile every translation catalog (*.po) into the *.mo file Django reads, with GNU
# gettext's msgfmt (the Debian package gettext). The .mo files are build output, not in
# git; `make run` and `make test` call this, and it redoes only catalogs that changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find . -path ./.venv -prune -o -path ./.tmp -prune -o -name '*.po' -print | while read -r po; do
    mo="${po%.po}.mo"
    if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
        msgfmt --check-format -o "$mo" "$po"
    fi
done
