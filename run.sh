#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./run.sh main    set up .venv, then run the whole toolkit on a bundled corpus
#   ./run.sh test    set up .venv (and, as root, Debian's chromium), then run the test suite
# The virtual environment is created once and reused while pyproject.toml and this
# script are unchanged.  Environment knobs:
#   PYTHON=python3.12        interpreter for the new environment (default: python3)
#   VENV=path                where the environment lives (default: .venv)
#   TORCH_SPEC="torch==..."  what to install when the environment has no torch yet
#                            (default torch==2.13.0; give your CUDA index here if you like)
#   VENV_SYSTEM_SITE=1       let the environment see the interpreter's packages, so a CUDA
#                            torch you already installed there is used as it is
set -euo pipefail
cd "$(dirname "$0")"
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}

setup() {
    if [ ! -x "$VENV/bin/python" ]; then
        local opts=()
        [ "${VENV_SYSTEM_SITE:-0}" = 1 ] && opts+=(--system-site-packages)
        "$PY" -m venv "${opts[@]}" "$VENV"
    fi
    local stamp="$VENV/.textprep-installed"
    local want
    want=$(cat pyproject.toml run.sh | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
    # torch first and pinned: with no torch present, an unpinned requirement would pull a
    # multi-GB CUDA build; an existing build (CPU or CUDA) satisfies the range in pyproject.
    if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
        # shellcheck disable=SC2086
        "${pip[@]}" ${TORCH_SPEC:-torch==2.13.0}
    fi
    "${pip[@]}" -e ".[dev]"
    echo "$want" > "$stamp"
}

# The explorer's browser tests drive Debian's Chromium (no browser is downloaded by playwright).
# As root it is installed where missing; otherwise those tests fail and say how to install it.
browser() {
    command -v chromium >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian's chromium for the browser tests" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
            || echo "could not install chromium: the browser tests will fail" >&2
    else
        echo "chromium is missing (as root: apt-get install chromium): the browser tests will fail" >&2
    fi
}

case "${1:-}" in
    main)
        shift
        setup
        exec "$VENV/bin/python" -m cli.main "$@"
        ;;
    test)
        shift
        setup
        browser
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    setup)
        setup
        ;;
    *)
        echo "usage: ./run.sh main|test|setup [args...]" >&2
        exit 2
        ;;
esac
