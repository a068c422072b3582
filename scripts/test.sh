#!/usr/bin/env bash
# Install everything the tests need, then run the whole suite (slow tests included).
#   scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${VENV:-.venv}
exec "$VENV/bin/python" -m pytest "$@"
