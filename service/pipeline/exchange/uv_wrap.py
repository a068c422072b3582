"""
uv_wrap.py
----------

Find faces whose texture coordinates wrap around the texture: a lathe or
cylinder unwrapped without splitting its seam has one column of faces going
from u≈0.98 back to u=0, so the whole texture is squeezed backwards into
that strip (a dark streak down the side in every render). Scanner exports
have the same defect. We only warn: which side of the seam a face belongs
to cannot be known without the artist's intent.
"""

from __future__ import annotations

import logging

import numpy as np
import trimesh

from service.messages import Message

log = logging.getLogger(__name__)

# a face spanning more than this fraction of the texture in u or v ...
SPAN = 0.5
# ... while its texture-to-surface area ratio is this many times the mesh's median
RATIO = 10.0


def wrapped_faces(mesh: trimesh.Trimesh) -> np.ndarray:
    """Indices of faces whose UVs wrap around the texture.

    Returns
    -------
    faces : (n,) int
      Faces that span over half the texture while their neighbours span a small part
      (a box whose every face covers the whole texture is not flagged).
    """
    uv = getattr(mesh.visual, "uv", None)
    if uv is None or len(uv) != len(mesh.vertices) or len(mesh.faces) == 0:
        return np.zeros(0, dtype=np.int64)
    corners = np.asarray(uv, dtype=np.float64)[mesh.faces]  # (f, 3, 2)
    span = corners.max(axis=1) - corners.min(axis=1)
    wide = (span > SPAN).any(axis=1)
    if not wide.any():
        return np.zeros(0, dtype=np.int64)
    e1, e2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    uv_area = np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) / 2
    area = mesh.area_faces
    ok = (area > 0) & (uv_area > 0)
    if not ok.any():
        return np.zeros(0, dtype=np.int64)
    ratio = np.zeros(len(area))
    ratio[ok] = uv_area[ok] / area[ok]
    typical = np.median(ratio[ok])
    return np.flatnonzero(wide & ok & (ratio > RATIO * typical))


def warn_uv_wrap(scene) -> None:
    """Add a manifest warning for each mesh with UV wrap-around faces."""
    for i, mesh in enumerate(scene.meshes):
        bad = wrapped_faces(mesh)
        if len(bad):
            name = mesh.metadata.get("name") or f"mesh {i}"
            log.warning("load: %s has %d UV wrap-around faces", name, len(bad))
            scene.warnings.append(Message("load_uv_wrap", bad=len(bad), name=str(name)))
