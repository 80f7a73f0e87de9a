#!/usr/bin/env bash
# Fresh-machine set-up (README command 1): Debian packages the tests drive for real
# (scripts/apt-packages.txt, one per line), the virtual environment with dgawatch and its
# pinned dependencies, then the main job on the embedded default: forecast the coming week
# of every family into the DuckDB store of the data directory, and show the store.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t wanted < <(grep -v '^\s*#' scripts/apt-packages.txt | tr -d ' ' | grep -v '^$' || true)
missing=()
for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "need root to install: ${missing[*]} (apt-get install them, then rerun)" >&2
        exit 1
    fi
    # The servers are started by the tests themselves, on loopback ports: keep the package
    # scripts from starting Debian's own daemons (policy-rc.d exit 101 = "don't start").
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[dev]'

.venv/bin/dgawatch store build --start today --days 7
.venv/bin/dgawatch store info
