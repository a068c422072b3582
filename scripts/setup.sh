#!/usr/bin/env bash
# Install everything heritage-ar needs on a fresh Debian machine; safe to rerun (skips what is there).
#   scripts/setup.sh          runtime + test dependencies
#   WITH_GPU=1 scripts/setup.sh   also the GPU extra (CUDA pycolmap for PatchMatch stereo)
# Environment: VENV (default .venv) picks the Python virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

# apt: only when something is missing, so a rerun does not touch the network
mapfile -t want < <(grep -v '^\s*#' scripts/apt-packages.txt | awk 'NF{print $1}')
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # node/npm may come from elsewhere (nodesource, nvm): do not fight a working install
  if command -v node >/dev/null && command -v npm >/dev/null; then
    filtered=(); for p in "${missing[@]}"; do case "$p" in nodejs|npm) ;; *) filtered+=("$p");; esac; done
    missing=("${filtered[@]+"${filtered[@]}"}")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# python: a venv with the package (editable) and its test extras
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.heritage-ar-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  "$VENV/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/pip" install -q -e ".[test]"
  # IIIF's pydantic models for the interop tests; the package pins Pillow<=12.0.0 (we use 13), its other
  # dependencies (pydantic, requests) are in the test extra
  "$VENV/bin/pip" install -q --no-deps iiif-prezi3==3.1.1
  touch "$stamp"
fi
# the GPU extra (issue 16) on a server with an NVIDIA GPU: pycolmap-cuda12 replaces the CPU build's files
if [ "${WITH_GPU:-0}" = 1 ] && ! "$VENV/bin/python" -c "import pycolmap, sys; sys.exit(not pycolmap.has_cuda)" 2>/dev/null; then
  "$VENV/bin/pip" install -q -e ".[gpu]"
  "$VENV/bin/pip" install -q --force-reinstall --no-deps "$(grep -o 'pycolmap-cuda12==[0-9.]*' pyproject.toml)"
fi

# node: validators, the vendored viewer, benchmark peers (pinned in package-lock.json)
# npm writes node_modules/.package-lock.json last: an emptied or half-made folder reinstalls
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
if [ -x scripts/vendor-assets.sh ]; then
  scripts/vendor-assets.sh
fi

# the test corpus of real scans: HERITAGE_AR_CORPUS, ../shared/corpus, or fetched from its public sources at
# pinned commits (sha256 checked) into ~/.cache/heritage-ar/corpus; without it pytest stops with one line
"$VENV/bin/python" scripts/corpus.py ensure || echo "setup: no test corpus yet (see the line above)"
