"""
off.py
------

OFF and COFF files (Geomview, MeshLab, CGAL). trimesh reads the geometry
but drops the per-face and per-vertex colours that follow the indices, so
we parse the (simple, text-only) format here, with `#` comments anywhere.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh

from service.errors import InvalidScan
from service.errors import UnreadableScan
from service.pipeline.exchange.meshes import check_face_limit
from service.pipeline.exchange.meshes import finish
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)


def load_off(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Read an OFF/COFF file, keeping vertex or face colours, polygons fan-triangulated."""
    rows = _rows(path)
    if not rows or not rows[0][0].upper().endswith("OFF"):
        raise InvalidScan(f"load: {path.name!r} does not start with OFF; re-export it")
    head = rows[0]
    vertex_colours = head[0].upper().startswith("C")
    counts = head[1:] if len(head) > 1 else rows.pop(1)
    try:
        nv, nf = int(counts[0]), int(counts[1])
        if nf > max_faces:  # before parsing millions of rows
            check_face_limit(nf, max_faces=max_faces)
        vrows = rows[1 : 1 + nv]
        frows = rows[1 + nv : 1 + nv + nf]
        vertices = np.array([[float(x) for x in r[:3]] for r in vrows], dtype=np.float64)
        faces, face_colours = [], []
        for r in frows:
            n = int(r[0])
            ids = [int(x) for x in r[1 : 1 + n]]
            rest = r[1 + n :]
            for k in range(1, n - 1):
                faces.append((ids[0], ids[k], ids[k + 1]))
                face_colours.append(_colour(rest))
    except (ValueError, IndexError):
        raise UnreadableScan(f"load: {path.name!r} is not a complete OFF file (bad counts or rows)") from None
    if len(vertices) != nv or len(frows) != nf:
        raise UnreadableScan(
            f"load: {path.name!r} declares {nv} vertices and {nf} faces but is shorter; re-export it"
        )
    faces = np.array(faces, dtype=np.int64).reshape(-1, 3)
    if len(faces) and (faces.max() >= nv or faces.min() < 0):
        raise InvalidScan(f"load: {path.name!r} has face indices outside 0..{nv - 1}")
    kwargs = {}
    if vertex_colours:
        kwargs["vertex_colors"] = np.array([_colour(r[3:]) for r in vrows], dtype=np.uint8)
    elif any(c is not None for c in face_colours):
        kwargs["face_colors"] = np.array([c or (255, 255, 255, 255) for c in face_colours], dtype=np.uint8)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, process=False, **kwargs)
    scene = Scene(meshes=[mesh], up="+Y", info={"source_format": "off", "source_file": path.name})
    return finish(scene, max_faces=max_faces, max_image_pixels=max_image_pixels)


def _rows(path: Path) -> list[list[str]]:
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                rows.append(line.split())
    return rows


def _colour(values: list[str]) -> tuple[int, ...] | None:
    # colours are floats in 0..1 or integers in 0..255; alpha optional
    if len(values) < 3:
        return None
    nums = [float(v) for v in values[:4]]
    is_float = any("." in v for v in values[:4]) and max(nums) <= 1.0
    scaled = [round(n * 255) if is_float else round(n) for n in nums]
    if len(scaled) == 3:
        scaled.append(255)
    return tuple(int(min(max(c, 0), 255)) for c in scaled)


LOADERS = {"off": load_off}
