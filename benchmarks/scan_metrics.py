"""
scan_metrics.py
---------------

Error measures for the scan benchmark, on a reference mesh and a result
mesh in the same frame: symmetric point-to-plane Chamfer (mean) and
Hausdorff (max) distance divided by the reference's bounding-box
diagonal, and a texture
error: the colour seen at points of the result against the colour of the
nearest point of the reference (mean absolute difference / 255, and the
fraction over 60/255 as in research/feasibility-geometry.md).
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial import cKDTree

REF_SAMPLES = 300_000
RESULT_SAMPLES = 100_000


def load_mesh(path) -> trimesh.Trimesh:
    """All primitives of a GLB as one mesh in world space (Draco decoded by DracoPy)."""
    scene = trimesh.load(str(path), force="scene", process=False)
    meshes = scene.dump(concatenate=False)
    if len(meshes) == 1:
        return meshes[0]
    return trimesh.util.concatenate(meshes)


def sample(mesh: trimesh.Trimesh, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Surface points, their face normals and texture colours (None when untextured)."""
    points, face = trimesh.sample.sample_surface(mesh, count, seed=seed)
    normals = mesh.face_normals[face]
    visual = mesh.visual
    image = getattr(getattr(visual, "material", None), "baseColorTexture", None)
    if visual.kind != "texture" or visual.uv is None or image is None:
        return points, normals, None
    bary = trimesh.triangles.points_to_barycentric(mesh.triangles[face], points)
    uv = np.einsum("ij,ijk->ik", bary, visual.uv[mesh.faces[face]])
    pixels = np.asarray(image.convert("RGB"))
    h, w = pixels.shape[:2]
    x = np.clip((uv[:, 0] % 1.0) * w, 0, w - 1).astype(int)
    y = np.clip((1 - uv[:, 1] % 1.0) * h, 0, h - 1).astype(int)
    return points, normals, pixels[y, x].astype(np.float32)


def compare(reference: trimesh.Trimesh, result: trimesh.Trimesh) -> dict:
    """Chamfer, Hausdorff (/ bbox diagonal) and texture error of `result` against `reference`."""
    diag = float(np.linalg.norm(reference.bounds[1] - reference.bounds[0]))
    ref_pts, ref_n, ref_col = sample(reference, REF_SAMPLES, seed=1)
    res_pts, res_n, res_col = sample(result, RESULT_SAMPLES, seed=2)
    _, nearest = cKDTree(ref_pts).query(res_pts)
    _, back = cKDTree(res_pts).query(ref_pts)
    # point-to-plane: the distance along the nearest sample's normal, so the
    # spacing of the samples (tangential) does not set a noise floor
    d_res = np.abs(np.einsum("ij,ij->i", res_pts - ref_pts[nearest], ref_n[nearest]))
    d_ref = np.abs(np.einsum("ij,ij->i", ref_pts - res_pts[back], res_n[back]))
    out = {
        "chamfer": float((d_res.mean() + d_ref.mean()) / 2 / diag),
        "hausdorff": float(max(d_res.max(), d_ref.max()) / diag),
        "tex_err": None,
        "tex_bad": None,
    }
    if ref_col is not None and res_col is not None:
        diff = np.abs(res_col - ref_col[nearest]).max(axis=1)
        out["tex_err"] = float(diff.mean() / 255)
        out["tex_bad"] = float((diff > 60).mean())
    return out
