"""
ply.py
------

PLY files: trimesh reads faces, vertex colours and per-face (wedge) UVs,
but silently drops `element tristrips` (Cyberware and old Stanford scans
such as igea.ply), which leaves a point cloud. We parse the header with
trimesh's own reader and decode the strips here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh
from trimesh.exchange import ply as _ply

from service.errors import UnreadableScan
from service.pipeline.exchange.meshes import finish
from service.pipeline.exchange.meshes import load_trimesh
from service.pipeline.exchange.meshes import short
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)


def load_ply(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int) -> Scene:
    """Read a PLY (ASCII or binary; faces or triangle strips) into a Scene."""
    elements = _read_elements(path)
    if elements is None or "tristrips" not in elements or "face" in elements:
        return load_trimesh(path, fmt, max_faces=max_faces, max_image_pixels=max_image_pixels)
    vertex = elements["vertex"]["data"]
    vertices = np.column_stack([vertex["x"], vertex["y"], vertex["z"]]).astype(np.float64)
    strips = elements["tristrips"]["data"]["vertex_indices"]
    faces = strips_to_faces(_flatten(strips))
    colors = None
    names = vertex.dtype.names or ()
    if all(c in names for c in ("red", "green", "blue")):
        alpha = vertex["alpha"] if "alpha" in names else np.full(len(vertex), 255)
        colors = np.column_stack([vertex["red"], vertex["green"], vertex["blue"], alpha]).astype(np.uint8)
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_colors=colors, process=False)
    mesh.remove_unreferenced_vertices()
    log.info("load_ply: %s decoded %d triangles from strips", path.name, len(faces))
    scene = Scene(meshes=[mesh], up="+Y", info={"source_format": "ply", "source_file": path.name, "tristrips": True})
    return finish(scene, max_faces=max_faces, max_image_pixels=max_image_pixels)


def strips_to_faces(indices: np.ndarray) -> np.ndarray:
    """Decode triangle strips separated by -1 into (n, 3) int faces.

    Every second triangle of a strip flips its winding so all faces keep
    the orientation of the first; degenerate triangles (repeated index,
    used to join strips) are dropped.

    Parameters
    ----------
    indices : (m,) int
      Strip indices, -1 between strips.

    Returns
    -------
    faces : (n, 3) int
    """
    idx = np.asarray(indices, dtype=np.int64).ravel()
    if len(idx) < 3:
        return np.zeros((0, 3), dtype=np.int64)
    a, b, c = idx[:-2], idx[1:-1], idx[2:]
    valid = (a >= 0) & (b >= 0) & (c >= 0)
    # position of each index inside its strip: distance from the last -1
    pos = np.arange(len(idx))
    start = np.where(idx < 0, pos + 1, 0)
    start = np.maximum.accumulate(start)
    odd = ((pos - start)[:-2] % 2) == 1
    faces = np.column_stack([a, b, c])
    faces[odd] = faces[odd][:, [1, 0, 2]]
    faces = faces[valid]
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return faces[keep]


def _read_elements(path: Path) -> dict | None:
    try:
        with open(path, "rb") as f:
            elements, is_ascii, _ = _ply._parse_header(f)
            if "tristrips" not in elements:
                return elements
            if is_ascii:
                _ply._ply_ascii(elements, f)
            else:
                _ply._ply_binary(elements, f)
    except Exception as e:  # noqa: BLE001 - any parser failure means an unreadable file
        raise UnreadableScan(f"load: {path.name!r} could not be read as PLY ({short(e)}); re-export it") from None
    return elements


def _flatten(data: np.ndarray) -> np.ndarray:
    # binary list properties come as structured (count, values); ASCII as object rows
    if data.dtype.names:
        return np.concatenate([np.asarray(row["f1"]).ravel() for row in np.atleast_1d(data)])
    if data.dtype == object:
        return np.concatenate([np.asarray(r).ravel() for r in data])
    return np.asarray(data).ravel()


LOADERS = {"ply": load_ply}
