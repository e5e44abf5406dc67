#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet.
# Does nothing (and needs no network) when all of them are there already.
set -euo pipefail

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: run 'make setup' as root, or install them with apt-get" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
# Keep apt from starting the system's own PostgreSQL and Redis services: Chorus starts
# its own on other ports (scripts/services.sh), and in a container or chroot there is no
# init system to stop them again.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
apt_get=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}"
