#!/usr/bin/env bash
# Install, migrate, seed a sample artefact and run heritage-ar with embedded defaults
# (SQLite, local storage, in-process worker) on http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${VENV:-.venv}
"$VENV/bin/heritage-ar" db upgrade
"$VENV/bin/heritage-ar" seed
exec "$VENV/bin/heritage-ar" serve "$@"
