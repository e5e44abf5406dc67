#!/usr/bin/env bash
# Collect the staff area's strings into its own catalogs, staff/locale/<lang>/LC_MESSAGES/
# django.po (fr, de, es), with Django's makemessages (GNU gettext underneath).
#
# The staff area is: staff/**.py, templates/staff/**, templates/orgs/** (the sign-in
# pages) and the sign-in's views and forms and the brand page's forms (orgs/views.py,
# orgs/forms.py, orgs/brand_forms.py). makemessages
# reads a whole directory tree, so this builds a tree of links to just those files and
# runs it there; the public pages' strings stay in locale/ (scripts/messages.sh compiles
# both). New msgids arrive with an empty msgstr, to be translated in each .po file.
#
#   scripts/staff-messages.sh            update staff/locale
#   scripts/staff-messages.sh DIR        update the catalogs under DIR instead (a copy of
#                                        staff/locale; tests/staff_i18n uses it to see
#                                        whether any staff string is missing a msgid)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(cd "${1:-$root/staff/locale}" && pwd)"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT

mkdir -p "$tree/templates" "$tree/orgs"
ln -s "$root/staff" "$tree/staff"
ln -s "$root/templates/staff" "$tree/templates/staff"
ln -s "$root/templates/orgs" "$tree/templates/orgs"
ln -s "$root/orgs/views.py" "$root/orgs/forms.py" "$root/orgs/brand_forms.py" "$tree/orgs/"
ln -s "$out" "$tree/locale"

cd "$tree"
# Without DJANGO_SETTINGS_MODULE, makemessages writes only to ./locale (that is, $out).
env -u DJANGO_SETTINGS_MODULE "$root/.venv/bin/django-admin" makemessages \
    --symlinks --ignore=locale --extension=html,txt,py --add-location=file \
    --no-obsolete --locale=fr --locale=de --locale=es >/dev/null
