#!/usr/bin/env bash
# One run of the photogrammetry family on an NVIDIA GPU (issue 16): COLMAP PatchMatch through the `gpu`
# extra (pycolmap-cuda12 4.2.1 + the CUDA 12 runtime wheels), scored exactly like the CPU numbers in
# docs/photogrammetry.md, so the two tables sit side by side.
#
#   scripts/gpu_photogrammetry_run.sh                 # every family object, PatchMatch
#   CPU_TOO=1 scripts/gpu_photogrammetry_run.sh       # also the CPU plane sweep on the same machine
#   OBJECTS="lobed_vase box" scripts/gpu_photogrammetry_run.sh
#
# Needs: the project's environment with the extra (`WITH_GPU=1 scripts/setup.sh`, or on a machine
# without a registry: the wheels pip-installed with --no-index, pycolmap-cuda12 after pycolmap), an NVIDIA
# driver (nvidia-smi). Writes benchmarks/out/family-gpu.json (and family-cpu-here.json), the table, the
# plot benchmarks/out/family.png and the per-object pictures; with OUT set (the device tool), copies
# the JSON, the plot and the log there. About 1-2 min an object on a 16-core GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
read -r -a objects <<< "${OBJECTS:-bowl lobed_vase fluted_vase figurine box}"
log=benchmarks/out/gpu-run.log
mkdir -p benchmarks/out

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu run: no nvidia-smi"
# what pycolmap can do here; stop before minutes of SfM when PatchMatch cannot run
"$PY" - <<'EOF'
import json, sys
from service.pipeline.photogrammetry.cuda import gpu_report
from service.pipeline.photogrammetry.colmap_dense import cuda_available
report = gpu_report()
print("gpu run:", json.dumps(report))
if not cuda_available():
    sys.exit("gpu run: pycolmap here cannot run PatchMatch (has_cuda %s, %d devices); install the gpu extra "
             "(WITH_GPU=1 scripts/setup.sh) on a machine with an NVIDIA driver" % (report["has_cuda"], report["devices"]))
EOF

rm -f benchmarks/out/family-gpu.json benchmarks/out/family-cpu-here.json
{
  "$PY" benchmarks/photogrammetry_family.py --label gpu --option dense_method=colmap-cuda --option threads=8 "${objects[@]}"
  if [ "${CPU_TOO:-0}" = 1 ]; then
    "$PY" benchmarks/photogrammetry_family.py --label cpu-here --option dense_method=plane-sweep --option threads=8 "${objects[@]}"
  fi
} 2>&1 | tee "$log"

if [ -n "${OUT:-}" ]; then
  cp benchmarks/out/family-gpu.json benchmarks/out/family.png "$log" "$OUT"/
  [ -f benchmarks/out/family-cpu-here.json ] && cp benchmarks/out/family-cpu-here.json "$OUT"/
fi
