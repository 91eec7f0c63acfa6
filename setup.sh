#!/usr/bin/env bash
# Creates .venv/ at the repo root and installs RDMC bench with the pinned
# OpenMMLab stack. Idempotent: a second run on the same machine takes seconds.
#
# mmcv 2.1.0 has no wheel for this torch, so it is built from source with its
# compiled ops once (about 9 minutes on 2 cores) and the wheel is kept in
#   ${RDMC_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/rdmc}/wheels/
# for every later setup and for tox.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$REPO/.venv"
PY="${PYTHON:-python3}"
CACHE_DIR="${RDMC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rdmc}"
WHEEL_DIR="$CACHE_DIR/wheels"
STAMP="$VENV/.rdmc-setup-stamp"

say() { printf '[setup] %s\n' "$*"; }

"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { echo "[setup] error: Python >= 3.10 is required ($PY is $("$PY" --version 2>&1))" >&2; exit 1; }

stamp_of_inputs() {
    cat "$REPO/pyproject.toml" "$REPO/constraints.txt" "$REPO/setup.sh" | sha256sum | cut -d' ' -f1
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_of_inputs)" ]] \
    && "$VENV/bin/python" -c "import mmcv.ops, mmdet.apis, mmseg.apis, rdmc" 2>/dev/null; then
    say "environment in .venv is up to date"
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating virtual environment in .venv"
    "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
# --no-compile: Python compiles what is imported on first import; compiling every file of
# torch and the OpenMMLab stack up front took most of the install (torch alone: 36 s vs 11 s).

say "installing build tools and torch (pinned in constraints.txt)"
"${PIP[@]}" install -q --no-compile -c "$REPO/constraints.txt" "setuptools<81" wheel ninja numpy torch

TORCH_VERSION="$("$VENV/bin/python" -c "import torch; print(torch.__version__.split('+')[0])" 2>/dev/null)"
# Keyed by torch version (mmcv ops link against its ABI); the wheel name carries the Python tag.
MMCV_WHEEL_DIR="$WHEEL_DIR/torch-$TORCH_VERSION"
mkdir -p "$MMCV_WHEEL_DIR"

if ! ls "$MMCV_WHEEL_DIR"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
    say "building mmcv 2.1.0 with its compiled ops from source: this takes about 9 minutes on 2 cores (once per machine; the wheel is cached in $MMCV_WHEEL_DIR)"
    BUILD_TMP="$(mktemp -d)"
    trap 'rm -rf "$BUILD_TMP"' EXIT
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel -q --no-deps --no-build-isolation -w "$BUILD_TMP" mmcv==2.1.0
    mv "$BUILD_TMP"/mmcv-2.1.0-*.whl "$MMCV_WHEEL_DIR/"
    say "mmcv wheel cached: $(ls "$MMCV_WHEEL_DIR")"
else
    say "using cached mmcv wheel from $MMCV_WHEEL_DIR"
fi

say "installing rdmc (editable) with mmengine, mmcv, mmdet, mmsegmentation, OpenVINO and the test/lint tools"
"${PIP[@]}" install -q --no-compile -c "$REPO/constraints.txt" --find-links "$MMCV_WHEEL_DIR" --only-binary mmcv \
    -e "$REPO[dev]"

# Most sample photographs come from Debian packages (`apt-get download`, no root needed,
# see rdmc/data/catalogue.py); fresh package lists are what that needs.
if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "refreshing Debian's package lists (the sample photographs come from Debian packages)"
    apt-get update -qq >/dev/null || say "warning: apt-get update failed; rdmc data prepare may miss photos"
fi

# The report's browser test runs Debian's chromium headless; install it where we may.
if ! command -v chromium >/dev/null 2>&1; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium (the HTML report is tested in a headless browser)"
        { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
            || say "warning: could not install chromium; the report's browser test will fail without it"
    else
        say "note: the report's browser test needs chromium (apt-get install chromium)"
    fi
fi

say "checking the imports"
"$VENV/bin/python" -c "import mmcv.ops, mmdet.apis, mmseg.apis, rdmc, downstream, reports; print('[setup] mmcv', mmcv.__version__, '| mmdet', __import__('mmdet').__version__, '| mmseg', __import__('mmseg').__version__, '| torch', __import__('torch').__version__)"

stamp_of_inputs > "$STAMP"
say "done: activate with 'source .venv/bin/activate' or call .venv/bin/rdmc directly"
