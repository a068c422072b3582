"""
truth.py
--------

Compare a reconstruction with its known truth: align by a rotation about +Y
(both are +Y up with the base at y = 0) then rigid ICP, and measure the
symmetric Chamfer distance, the height and the colour at matching points.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree


def visible_samples(
    mesh: trimesh.Trimesh, eyes: np.ndarray, count: int = 20000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3) points and normals on `mesh` that at least one eye in (k, 3) sees."""
    import open3d as o3d

    pts, fid = trimesh.sample.sample_surface_even(mesh, count * 2, seed=seed)
    nrm = mesh.face_normals[fid]
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(mesh.vertices.astype(np.float32)),
        o3d.core.Tensor(mesh.faces.astype(np.uint32)),
    )
    seen = np.zeros(len(pts), bool)
    origin = pts + nrm * 1e-5
    for eye in eyes:
        d = eye - origin
        dist = np.linalg.norm(d, axis=1)
        d /= dist[:, None]
        facing = (d * nrm).sum(1) > 0.05
        rays = np.concatenate([origin, d], 1).astype(np.float32)
        t = scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
        seen |= facing & (t >= dist * 0.999)
    return pts[seen][:count], nrm[seen][:count]


def align(
    result: np.ndarray, truth: np.ndarray, *, steps: int = 72, iterations: int = 40
) -> np.ndarray:
    """(4, 4) transform taking result points onto truth points: best yaw, then rigid ICP."""
    tree = cKDTree(truth)
    best, best_T = np.inf, np.eye(4)
    for a in np.linspace(0, 2 * np.pi, steps, endpoint=False):
        T = trimesh.transformations.rotation_matrix(a, [0, 1, 0])
        d = tree.query(result[::7] @ T[:3, :3].T)[0].mean()
        if d < best:
            best, best_T = d, T
    T = best_T
    for _ in range(iterations):
        moved = result @ T[:3, :3].T + T[:3, 3]
        d, j = tree.query(moved)
        near = d < np.percentile(d, 90)
        step = trimesh.registration.procrustes(
            moved[near], truth[j[near]], reflection=False, scale=False, return_cost=False
        )
        T = step @ T
    return T


def chamfer(a: np.ndarray, b: np.ndarray) -> float:
    """Symmetric Chamfer distance: the mean of both directed mean nearest distances."""
    return 0.5 * (cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean())


def silhouette(
    mesh: trimesh.Trimesh, world_to_camera: np.ndarray, K: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """(h, w) bool: where `mesh` covers a pinhole camera's image."""
    import open3d as o3d

    w, h = size
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(mesh.vertices.astype(np.float32)),
        o3d.core.Tensor(mesh.faces.astype(np.uint32)),
    )
    R, t = world_to_camera[:3, :3], world_to_camera[:3, 3]
    u, v = np.meshgrid(np.arange(w) + 0.0, np.arange(h) + 0.0)
    d = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3) @ np.linalg.inv(K).T @ R
    rays = np.concatenate([np.broadcast_to(-R.T @ t, d.shape), d], 1).astype(np.float32)
    return np.isfinite(scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()).reshape(h, w)
