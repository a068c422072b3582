"""
gltf_fix.py
-----------

glTF that trimesh reads wrongly, made right in a scratch copy next to the
file (relative URIs still resolve) before it reads it:

- primitives drawn as TRIANGLE_FAN (mode 6, with or without indices) are
  skipped by trimesh as "no triangles"; they become indexed TRIANGLES, the
  new indices in a `data:` buffer (the source's buffers are untouched);
- a material with both `pbrMetallicRoughness` and the archived
  `KHR_materials_pbrSpecularGlossiness` keeps the metal-rough its exporter
  wrote for viewers without the extension: trimesh would convert the
  spec-gloss instead, and assimp writes that extension without
  `specularFactor`, whose default (1.0) turns every FBX material into chrome.
  A material with the extension only is converted by trimesh (the Khronos
  formulas: diffuse -> base colour, 1 - glossiness -> roughness), and every
  factor is clamped afterwards (`meshes.clamp_factors`).
"""

from __future__ import annotations

import base64
import json
import logging
import tempfile
import urllib.parse
from pathlib import Path

import numpy as np

from service.pipeline.exchange.glb import read_glb
from service.pipeline.exchange.glb import write_glb
from service.pipeline.exchange.references import inside

log = logging.getLogger(__name__)

TRIANGLES, FAN = 4, 6
SPEC_GLOSS = "KHR_materials_pbrSpecularGlossiness"
_INDEX_TYPES = {5121: np.uint8, 5123: np.uint16, 5125: np.uint32}


def fan_faces(indices: np.ndarray) -> np.ndarray:
    """(n,) fan indices -> (n - 2, 3) triangles sharing the first vertex, in the fan's winding."""
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if len(idx) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    return np.column_stack([np.full(len(idx) - 2, idx[0]), idx[1:-1], idx[2:]])


def fixed_copy(path: Path, fmt: str) -> Path | None:
    """A scratch copy of a glTF/GLB with fans made triangles and spec-gloss settled, or None if nothing changed.

    The caller deletes the copy. Anything unreadable returns None: the real
    loader then reports the problem in its own words.
    """
    try:
        if fmt == "glb":
            doc, binary = read_glb(path)
        else:
            doc, binary = json.loads(path.read_text(encoding="utf-8")), b""
        settled = _prefer_metal_rough(doc)
        fans = _fans_to_triangles(doc, path, binary)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, OSError):
        log.debug("gltf_fix: %s not rewritten", path.name, exc_info=True)
        return None
    if not settled and not fans:
        return None
    out = Path(tempfile.mkstemp(prefix=".fixed-", suffix=path.suffix or f".{fmt}", dir=path.parent)[1])
    if fmt == "glb":
        write_glb(out, doc, binary)
    else:
        out.write_text(json.dumps(doc), encoding="utf-8")
    log.info("gltf_fix: %s: %d fan primitives made triangles, %d spec-gloss materials kept as metal-rough",
             path.name, fans, settled)
    return out


def _prefer_metal_rough(doc: dict) -> int:
    settled = 0
    for mat in doc.get("materials") or []:
        ext = mat.get("extensions") or {}
        if SPEC_GLOSS in ext and isinstance(mat.get("pbrMetallicRoughness"), dict):
            del ext[SPEC_GLOSS]
            settled += 1
    return settled


def _fans_to_triangles(doc: dict, path: Path, binary: bytes) -> int:
    prims = [p for m in doc.get("meshes") or [] for p in m.get("primitives") or [] if p.get("mode") == FAN]
    if not prims:
        return 0
    buffers: dict[int, bytes] = {}
    added = bytearray()
    new_buffer = len(doc.get("buffers") or [])
    for p in prims:
        if "indices" in p:
            fan = _accessor(doc, p["indices"], path, binary, buffers)
        else:
            fan = np.arange(int(doc["accessors"][p["attributes"]["POSITION"]]["count"]))
        faces = fan_faces(fan).astype(np.uint32).ravel()
        offset = len(added)
        added += faces.tobytes()
        view = {"buffer": new_buffer, "byteOffset": offset, "byteLength": faces.nbytes}
        doc.setdefault("bufferViews", []).append(view)
        accessor = {"bufferView": len(doc["bufferViews"]) - 1, "componentType": 5125, "count": len(faces)}
        doc.setdefault("accessors", []).append({**accessor, "type": "SCALAR"})
        p["indices"], p["mode"] = len(doc["accessors"]) - 1, TRIANGLES
    uri = "data:application/octet-stream;base64," + base64.b64encode(bytes(added)).decode("ascii")
    doc.setdefault("buffers", []).append({"byteLength": len(added), "uri": uri})
    return len(prims)


def _accessor(doc: dict, index: int, path: Path, binary: bytes, cache: dict[int, bytes]) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    data = _buffer(doc, view["buffer"], path, binary, cache)
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    return np.frombuffer(data, dtype=_INDEX_TYPES[acc["componentType"]], count=acc["count"], offset=start)


def _buffer(doc: dict, index: int, path: Path, binary: bytes, cache: dict[int, bytes]) -> bytes:
    if index not in cache:
        uri = doc["buffers"][index].get("uri")
        if uri is None:
            cache[index] = binary
        elif uri.startswith("data:"):
            cache[index] = base64.b64decode(uri.split(",", 1)[1])
        else:
            file = path.parent / urllib.parse.unquote(uri)
            if not inside(file, path.parent):
                raise ValueError(f"buffer {uri!r} outside the upload")
            cache[index] = file.read_bytes()
    return cache[index]
