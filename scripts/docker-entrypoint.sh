#!/bin/sh
# The Docker image's start: migrate, seed a demo only when HERITAGE_AR_SEED_DEMO asks for it (the
# demo key stays in the data folder, never in the log), then serve. See docs/security.md.
set -eu
heritage-ar db upgrade
case "$(printf '%s' "${HERITAGE_AR_SEED_DEMO:-false}" | tr '[:upper:]' '[:lower:]')" in
  1|true|yes|on) heritage-ar seed --hide-key ;;
esac
exec heritage-ar serve --host 0.0.0.0 --port 8000
