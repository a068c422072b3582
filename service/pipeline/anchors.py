"""
anchors.py
----------

Points pinned on a model (curators' notes) moved onto a new mesh of the same
object after re-processing: scaled by the change in height (both meshes
stand with their base centre at the origin, +Y up), then snapped to the
closest point of the new surface, whose face normal becomes the note's.

Closest points are found without a spatial index package: the k nearest
face centroids (scipy's KD-tree) give candidate faces, and trimesh's exact
point-triangle distance picks among them. k = 32 covers the long, thin
faces a simplified scan has; a note is a handful of points, so the cost is
the KD-tree build (about 0.3 s for a million faces).
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree

CANDIDATES = 32


def reproject(
    mesh: trimesh.Trimesh, points: np.ndarray, *, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snap (n, 3) points, scaled about the origin, onto `mesh`.

    Returns
    -------
    positions : (n, 3) float
      The closest surface points.
    normals : (n, 3) float
      The unit normals of the faces they lie on.
    distances : (n,) float
      How far each scaled point was from the surface, in the mesh's units.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3) * float(scale)
    if len(points) == 0 or len(mesh.faces) == 0:
        return points, np.zeros_like(points), np.zeros(len(points))
    triangles = mesh.triangles
    k = min(CANDIDATES, len(triangles))
    _, idx = cKDTree(triangles.mean(axis=1)).query(points, k=k)
    idx = np.asarray(idx).reshape(len(points), k)
    queries = np.repeat(points, k, axis=0)
    closest = trimesh.triangles.closest_point(triangles[idx.ravel()], queries)
    dist = np.linalg.norm(closest - queries, axis=1).reshape(len(points), k)
    best = dist.argmin(axis=1)
    rows = np.arange(len(points))
    positions = closest.reshape(len(points), k, 3)[rows, best]
    normals = mesh.face_normals[idx[rows, best]]
    return positions, normals, dist[rows, best]

