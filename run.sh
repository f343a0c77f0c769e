#!/usr/bin/env bash
# One entry point for set-up and the two everyday jobs, on a fresh Debian machine with Python 3.11:
#   ./run.sh pack   build the quarterly pack for the embedded demo county (synthetic)
#   ./run.sh test   run the whole test suite
# Each creates (or reuses) the virtual environment .venv and installs the project into it.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
PY=${PYTHON:-python3}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      # Debian ships venv/ensurepip separately.
      rm -rf "$VENV"
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      else
        echo "error: '$PY -m venv' failed; install python3-venv (sudo apt-get install python3-venv)" >&2; exit 1
      fi
      "$PY" -m venv "$VENV"
    fi
  fi
  local stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[test]"
    rm -f "$VENV"/.installed-*; touch "$stamp"
  fi
}

case "${1:-}" in
  pack)
    shift; ensure_venv
    exec "$VENV/bin/observatory" build "$@" ;;
  test)
    shift; ensure_venv
    exec "$VENV/bin/python" -m pytest -n 2 --dist loadgroup -q "$@" ;;
  *)
    echo "usage: ./run.sh pack [build options] | ./run.sh test [pytest options]" >&2; exit 2 ;;
esac
