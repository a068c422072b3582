"""
simplify.py
-----------

Reduce a scene to a face budget for a level (thumb, web, ar) with
meshoptimizer's edge-collapse simplifier. It keeps a subset of the original
vertices, so UVs, vertex colours and normals come along unchanged, and it
detects UV seams by position so charts are not torn.

NOTES (research/feasibility-geometry.md §2, 1M-face 128-chart atlas, 2 cores)
meshopt `simplify` 1M -> 150k: 0.48 s, Chamfer/diag 3.3e-4, tex_err at the
noise floor; pymeshlab with texture: 19 s, Chamfer 2.8e-4 but UVs drift;
trimesh/fast-simplification: drops UVs. `simplify_sloppy` tears seams.
Budgets are met in one pass (error bound lifted); the level records the
faces it really has.
"""

from __future__ import annotations

import logging

import meshoptimizer as mo
import numpy as np
import trimesh

from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

# relative error bound (fraction of the mesh extent): unbounded, the face
# budget decides; collapses still go in order of increasing error
MAX_ERROR = 1.0


def simplify(scene: Scene, *, max_faces: int) -> Scene:
    """Return a new Scene with at most about `max_faces` faces; the input is not changed.

    Meshes share the budget in proportion to their face counts. A scene at or
    under the budget is returned as is (small inputs are never inflated).

    Parameters
    ----------
    scene : Scene
      Repaired (welded) meshes.
    max_faces : int
      Face budget for the whole scene.

    Examples
    --------
    >>> web = simplify(scene, max_faces=150_000)
    >>> web.faces <= 150_000
    True
    """
    if max_faces < 4:
        raise ValueError(f"simplify: max_faces must be at least 4, got {max_faces}")
    total = scene.faces
    if total <= max_faces:
        return scene
    meshes = []
    for m in scene.meshes:
        target = max(4, int(len(m.faces) * max_faces / total))
        meshes.append(simplify_mesh(m, target_faces=target))
    out = Scene(meshes=meshes, unit=scene.unit, up=scene.up, info=dict(scene.info), warnings=list(scene.warnings))
    log.info("simplify: %d -> %d faces (budget %d)", total, out.faces, max_faces)
    return out


def simplify_mesh(mesh: trimesh.Trimesh, *, target_faces: int) -> trimesh.Trimesh:
    """Simplify one mesh to about `target_faces`, keeping its visual (UVs, material, vertex colours).

    Parameters
    ----------
    mesh : trimesh.Trimesh
    target_faces : int

    Returns
    -------
    simplified : trimesh.Trimesh
      A new mesh whose vertices are a subset of the input's.
    """
    if len(mesh.faces) <= target_faces:
        return mesh
    positions = np.ascontiguousarray(mesh.vertices, dtype=np.float32)
    indices = np.ascontiguousarray(mesh.faces, dtype=np.uint32).ravel()
    faces = _collapse(positions, indices, target_faces, MAX_ERROR)
    faces = faces[_has_area(positions, faces)]
    used, inverse = np.unique(faces.ravel(), return_inverse=True)
    new_faces = inverse.reshape(-1, 3)
    out = trimesh.Trimesh(vertices=mesh.vertices[used], faces=new_faces, process=False)
    visual = mesh.visual
    if visual.kind == "texture" and visual.uv is not None:
        out.visual = trimesh.visual.TextureVisuals(uv=visual.uv[used], material=visual.material)
    elif visual.kind in ("vertex", "face"):
        out.visual = trimesh.visual.ColorVisuals(out, vertex_colors=visual.vertex_colors[used])
    elif visual.kind == "texture":
        out.visual = trimesh.visual.TextureVisuals(material=visual.material)
    out.metadata.update(mesh.metadata)
    return out


def _collapse(positions: np.ndarray, indices: np.ndarray, target_faces: int, error: float) -> np.ndarray:
    dest = np.zeros(len(indices), dtype=np.uint32)
    count = mo.simplify(
        dest,
        indices,
        positions,
        index_count=len(indices),
        vertex_count=len(positions),
        target_index_count=int(target_faces) * 3,
        target_error=error,
    )
    return dest[:count].reshape(-1, 3)


def _has_area(positions: np.ndarray, faces: np.ndarray) -> np.ndarray:
    # collapses across a UV seam can leave faces whose split corners share a
    # position: zero area, and Draco drops them, so drop them here
    tri = positions[faces]
    same = (tri[:, 0] == tri[:, 1]).all(axis=1) | (tri[:, 1] == tri[:, 2]).all(axis=1) | (tri[:, 0] == tri[:, 2]).all(axis=1)
    return ~same
