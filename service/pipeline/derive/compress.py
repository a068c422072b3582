"""
compress.py
-----------

Draco geometry compression for the delivery GLBs, and the check that a
compressed file decodes back to its source. Python Draco writers are
bloated (research §3: trimesh's is 5x larger than glTF-Transform's because
it forces preserve_order), so we drive glTF-Transform's `draco()` from one
Node process for all levels (`compress.js`), then decode every output with
DracoPy and compare it with the uncompressed file: same face
count, bounds within the quantisation step, textures untouched.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from service.errors import InvalidScan
from service.pipeline.exchange.glb import read_glb
from service.pipeline.tools import NodeRun

log = logging.getLogger(__name__)

_SCRIPT = Path(__file__).with_name("compress.js")

# fraction of faces Draco may drop as degenerate after quantisation
MAX_DROPPED = 0.001

# written out so the manifest recipe states them. Measured on the 150k level
# of the 1M atlas (benchmarks/scan_pipeline.py, 2026-11-22): glTF-Transform's
# defaults (normals 10 bit, speed 5/5) 520 KB; normals 8 bit + speed 0/0
# 392 KB (-25 %), same Chamfer (1.33e-3), encode no slower (1.7 vs 2.2 s).
# 12-bit positions would save 13 % more but cost 0.7 mm on a 3 m statue.
DRACO_DEFAULTS = {
    "quantizePosition": 14,
    "quantizeNormal": 8,
    "quantizeTexcoord": 12,
    "quantizeColor": 8,
    "encodeSpeed": 0,
    "decodeSpeed": 0,
}


def draco(pairs: list[tuple[Path, Path]], **options) -> dict[str, int]:
    """Draco-compress each (source, destination) GLB pair; return bytes per destination name.

    Parameters
    ----------
    pairs : list of (Path, Path)
      Uncompressed input and compressed output.
    **options
      Overrides of `DRACO_DEFAULTS` (glTF-Transform option names).
    """
    if not pairs:
        return {}
    with start_draco(pairs, **options) as run:
        return {line["file"]: line["bytes"] for line in run.result()}


def start_draco(pairs: list[tuple[Path, Path]], **options) -> NodeRun:
    """Start `draco` in the background; `.result()` gives one {"file", "bytes"} per output."""
    opts = {**DRACO_DEFAULTS, **options}
    args = [json.dumps(opts)] + [str(p) for pair in pairs for p in pair]
    return NodeRun(_SCRIPT, args, package="@gltf-transform/functions")


def decode_check(compressed: Path, source: Path, *, position_bits: int = DRACO_DEFAULTS["quantizePosition"]) -> dict:
    """Decode every Draco primitive of a GLB and compare it with its uncompressed source; raise if they differ.

    Geometry only (DracoPy on the compressed buffers, accessor facts of the
    source): decoding the textures again would cost seconds and prove nothing.

    Returns
    -------
    report : dict
      {"decoded": True, "faces", "dropped_faces", "max_bounds_error_m", "draco": True}
    """
    import DracoPy

    doc, binary = read_glb(compressed)
    is_draco = "KHR_draco_mesh_compression" in (doc.get("extensionsRequired") or [])
    got_faces, lo, hi = 0, [], []
    for mesh in doc.get("meshes", []):
        for prim in mesh["primitives"]:
            ext = prim.get("extensions", {}).get("KHR_draco_mesh_compression")
            if ext is None:
                is_draco = False
                continue
            view = doc["bufferViews"][ext["bufferView"]]
            start = view.get("byteOffset", 0)
            decoded = DracoPy.decode(binary[start : start + view["byteLength"]])
            points = np.asarray(decoded.points, dtype=np.float64).reshape(-1, 3)
            got_faces += len(np.asarray(decoded.faces).reshape(-1, 3))
            lo.append(points.min(axis=0))
            hi.append(points.max(axis=0))
    ref_doc, _ = read_glb(source)
    ref_faces, ref_lo, ref_hi = 0, [], []
    for mesh in ref_doc.get("meshes", []):
        for prim in mesh["primitives"]:
            ref_faces += ref_doc["accessors"][prim["indices"]]["count"] // 3
            acc = ref_doc["accessors"][prim["attributes"]["POSITION"]]
            ref_lo.append(acc["min"])
            ref_hi.append(acc["max"])
    ref_bounds = np.array([np.min(ref_lo, axis=0), np.max(ref_hi, axis=0)])
    bounds = np.array([np.min(lo, axis=0), np.max(hi, axis=0)]) if lo else np.zeros((2, 3))
    extent = float(np.ptp(ref_bounds, axis=0).max())
    # one quantisation step of the largest extent, plus float slack
    tolerance = extent / (2**position_bits - 1) * 2 + 1e-7
    error = float(np.abs(bounds - ref_bounds).max())
    # Draco drops faces that quantisation collapses to zero area; a handful is normal
    dropped = ref_faces - got_faces
    if not 0 <= dropped <= max(2, ref_faces * MAX_DROPPED) or error > tolerance or not is_draco:
        raise InvalidScan(
            f"compress: {compressed.name} does not match its source after decoding "
            f"({got_faces} vs {ref_faces} faces, bounds off by {error:.3g} m, draco={is_draco}); "
            "this is a bug in the pipeline, please report it"
        )
    return {
        "decoded": True,
        "faces": got_faces,
        "dropped_faces": dropped,
        "max_bounds_error_m": round(error, 9),
        "draco": is_draco,
    }
