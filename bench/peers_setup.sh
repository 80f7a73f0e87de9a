#!/usr/bin/env bash
# Builds the virtual environments of the two peer classifiers that bench/bench_classify.py
# compares dgawatch with, outside the repository (default /tmp/peers):
#
#   <peers>/dgaintel  Python 3.11, dgaintel==2.3, tensorflow-cpu==2.15.1
#   <peers>/dgad      Python 3.10, dgad==4.1.1, keras-tcn==3.4.4, tensorflow-cpu==2.15.1
#
# Usage: bench/peers_setup.sh [PEERS_DIR]      (PYTHON311=..., PYTHON310=... to pick interpreters)
#
# Idempotent: a virtualenv whose pinned packages import and score two names is left as it is;
# one that is missing or broken is rebuilt from scratch. Everything comes from PyPI with exact
# versions (numpy is pinned too: TensorFlow 2.15 does not run on numpy 2). Each environment
# downloads TensorFlow (~220 MB); run it under `nice`.
set -euo pipefail

PEERS=${1:-/tmp/peers}

# find_python VERSION: the first interpreter of that version that runs (a pyenv shim on PATH
# may name a version it will not run outside its own directory, so its builds are tried too).
find_python() {
    local v=$1 candidate
    for candidate in "$(command -v "python$v" || true)" \
        "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c "" 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
}
PY311=${PYTHON311:-$(find_python 3.11)}
PY310=${PYTHON310:-$(find_python 3.10)}
# TensorFlow 2.15.1 wants numpy < 2; keras-tcn 3.4.4 and dgad import tensorflow's own keras.
NUMPY=numpy==1.26.4
TF=tensorflow-cpu==2.15.1

check_dgaintel='from dgaintel.predict import get_prob; import numpy as np
p = np.asarray(get_prob(["google", "xjwqpzkrtvbnq"], raw=True)).reshape(-1)
assert p.shape == (2,) and ((0 <= p) & (p <= 1)).all(), p
print("dgaintel ok", " ".join(f"{v:.3f}" for v in p))'

check_dgad='from dgad.prediction import Detective
det = Detective()
domains, _ = det.prepare_domains({"google.com", "xjwqpzkrtvbnq.com"})
det.investigate(domains)
print("dgad ok", " ".join(f"{d.raw}={d.is_dga}" for d in domains))'

# build NAME PYTHON CHECK PACKAGES...
build() {
    local name=$1 python=$2 check=$3
    shift 3
    local venv=$PEERS/$name
    if [ -x "$venv/bin/python" ] &&
        TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES= "$venv/bin/python" -c "$check" 2>/dev/null; then
        echo "$name: $venv already set up"
        return
    fi
    if [ -z "$python" ] || ! [ -x "$python" ]; then
        echo "peers_setup: no interpreter for $name (set PYTHON311 / PYTHON310)" >&2
        exit 2
    fi
    rm -rf "$venv"
    "$python" -m venv "$venv"
    # The peers come from PyPI only: no local wheel folders or extra indexes, no global
    # constraints meant for the main environment.
    PIP_CONFIG_FILE=/dev/null PIP_CONSTRAINT= PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= \
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --index-url https://pypi.org/simple "$@"
    TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES= "$venv/bin/python" -c "$check"
}

mkdir -p "$PEERS"
build dgaintel "$PY311" "$check_dgaintel" dgaintel==2.3 "$TF" "$NUMPY"
build dgad "$PY310" "$check_dgad" dgad==4.1.1 keras-tcn==3.4.4 "$TF" "$NUMPY"

# A newer benign list no model here was trained on, for the bench's "unseen benign" rows:
# the npm package top-sites (Moz's top 500 root domains, release of 2025-10-01), pinned.
unseen=$PEERS/unseen
if ! [ -s "$unseen/top-sites.json" ]; then
    mkdir -p "$unseen"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent top-sites@1.1.222 >/dev/null && tar -xzf top-sites-1.1.222.tgz)
    mv "$tmp/package/top-sites.json" "$unseen/top-sites.json"
    rm -rf "$tmp"
fi
# and the Chromium HSTS preload list of the PyPI package hstspreload 2025.1.1 (161,019 hosts of
# sites that asked browsers for HTTPS only; the bench reads the wheel, nothing is installed).
if ! [ -s "$unseen/hstspreload-2025.1.1-py3-none-any.whl" ]; then
    mkdir -p "$unseen"
    "$PY311" -m pip download --quiet --no-deps hstspreload==2025.1.1 -d "$unseen"
fi
echo "unseen benign: $unseen/top-sites.json, $unseen/hstspreload-2025.1.1-py3-none-any.whl"
