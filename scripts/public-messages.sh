#!/usr/bin/env bash
# Collect the public side's translatable strings (public pages, public forms, the emails
# people receive) into the project catalog, locale/<language>/LC_MESSAGES/django.po, for
# every language in LANGUAGES but English. New strings arrive with an empty msgstr: fill
# them in, then scripts/messages.sh compiles. The staff area has its own catalog
# (staff/locale/); its files are left out here. docs/languages.md says more.
#
#   bash scripts/public-messages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

# Shared with tests/test_public_catalog.py, which checks that nothing new slipped in.
. scripts/public-messages.env

"$PY" manage.py makemessages "${PUBLIC_MESSAGES_ARGS[@]}" "$@"
