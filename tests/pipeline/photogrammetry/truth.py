"""
truth.py
--------

Compare a reconstruction with its known truth: align by a rotation about +Y
(both are +Y up with the base at y = 0) then rigid ICP, and measure the
symmetric Chamfer distance, the height and the colour at matching points.
"""

from __future__ import annotations

import re

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
    return refine(result, truth, best_T, iterations=iterations)


def refine(result: np.ndarray, truth: np.ndarray, T: np.ndarray, *, iterations: int = 40) -> np.ndarray:
    """Rigid ICP from the transform `T`; return the refined (4, 4) transform."""
    tree = cKDTree(truth)
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


def texture_colour(mesh: trimesh.Trimesh, points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(n, 3) base-colour texture RGB (0-255) at (n, 3) points on the given (n,) faces."""
    tri = mesh.vertices[mesh.faces[faces]]
    bary = trimesh.triangles.points_to_barycentric(tri, points)
    uv = np.einsum("nk,nkd->nd", bary, mesh.visual.uv[mesh.faces[faces]])
    tex = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    h, w = tex.shape[:2]
    x = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    y = np.clip(((1 - uv[:, 1]) * h).astype(int), 0, h - 1)
    return tex[y, x].astype(float)


def render_texture(
    mesh: trimesh.Trimesh, camera: dict, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast the textured mesh from a manifest camera: (h, w, 3) uint8 colours and (h, w) bool hit mask."""
    import open3d as o3d

    w, h = camera["size"]
    s = height / h
    K = np.array(camera["K"], float)
    K[:2] *= s
    w, h = round(w * s), height
    M = np.array(camera["world_to_camera"])
    R, t = M[:3, :3], M[:3, 3]
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(mesh.vertices.astype(np.float32)),
        o3d.core.Tensor(mesh.faces.astype(np.uint32)),
    )
    u, v = np.meshgrid(np.arange(w) + 0.0, np.arange(h) + 0.0)
    d = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3) @ np.linalg.inv(K).T @ R
    rays = np.concatenate([np.broadcast_to(-R.T @ t, d.shape), d], 1).astype(np.float32)
    hit = scene.cast_rays(o3d.core.Tensor(rays))
    ok = np.isfinite(hit["t_hit"].numpy())
    fid = hit["primitive_ids"].numpy()[ok].astype(np.int64)
    bu = hit["primitive_uvs"].numpy()[ok]
    bary = np.stack([1 - bu[:, 0] - bu[:, 1], bu[:, 0], bu[:, 1]], 1)
    uv = np.einsum("nk,nkd->nd", bary, mesh.visual.uv[mesh.faces[fid]])
    tex = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    th, tw = tex.shape[:2]
    img = np.full((h * w, 3), 40, np.uint8)
    img[ok] = tex[
        np.clip(((1 - uv[:, 1]) * th).astype(int), 0, th - 1),
        np.clip((uv[:, 0] * tw).astype(int), 0, tw - 1),
    ]
    return img.reshape(h, w, 3), ok.reshape(h, w)


def camera_similarity(centres: np.ndarray, eyes: np.ndarray) -> np.ndarray:
    """(4, 4) similarity taking (k, 3) recovered camera centres onto the (k, 3) true ones.

    It places SfM-frame points (sparse, dense, fused) on the truth without
    trusting the pipeline's own scale or orientation, so each stage is scored alone.
    """
    return trimesh.registration.procrustes(centres, eyes, reflection=False, scale=True, return_cost=False)


def surface_scores(points: np.ndarray, truth: np.ndarray, diag: float) -> dict[str, float]:
    """Accuracy (points -> truth), completeness (truth -> points) and their mean, the
    symmetric Chamfer, as % of `diag` for (n, 3) points against (m, 3) truth samples."""
    acc = float(cKDTree(truth).query(points)[0].mean())
    comp = float(cKDTree(points).query(truth)[0].mean())
    return {
        "acc": round(100 * acc / diag, 3),
        "comp": round(100 * comp / diag, 3),
        "chamfer": round(50 * (acc + comp) / diag, 3),
    }


def scale_error(cameras: list[dict], eyes: np.ndarray) -> float:
    """The model's size against the truth's, minus 1: manifest cameras (model metres, photos
    named `view_<i>`) fitted onto the (k, 3) true camera centres by a similarity."""
    centres = np.array([-np.array(c["world_to_camera"])[:3, :3].T @ np.array(c["world_to_camera"])[:3, 3] for c in cameras])
    index = [int(re.search(r"(\d+)", c["photo"]).group(1)) for c in cameras]
    M = camera_similarity(centres, eyes[index])
    return float(np.cbrt(np.linalg.det(M[:3, :3])) ** -1 - 1)
