"""repair: weld, degenerate and duplicate faces, winding, normals."""

from __future__ import annotations

import numpy as np
import trimesh

from service.pipeline.scene import Scene
from service.pipeline.steps.repair import repair


def broken_box() -> trimesh.Trimesh:
    box = trimesh.creation.box(extents=[1, 2, 3])
    # unweld: every face gets its own corners, as STL stores them
    soup = trimesh.Trimesh(box.vertices[box.faces.ravel()], np.arange(36).reshape(-1, 3), process=False)
    faces = soup.faces.copy()
    faces[3] = faces[3][::-1]  # one flipped face
    extra = np.array([faces[0], [0, 0, 1], [5, 5, 5]])  # a duplicate and two degenerate faces
    return trimesh.Trimesh(soup.vertices, np.vstack([faces, extra]), process=False)


def test_repair_welds_drops_bad_faces_and_fixes_winding():
    mesh = broken_box()
    scene = repair(Scene(meshes=[mesh]))
    out = scene.meshes[0]
    assert len(out.vertices) == 8
    assert len(out.faces) == 12
    assert out.is_watertight and out.is_winding_consistent
    assert out.volume > 0
    info = scene.info["repair"]
    assert info["degenerate_faces"] == 2 and info["duplicate_faces"] == 1 and info["flipped_faces"] >= 1
    assert "degenerate" in scene.warnings[0]


def test_inside_out_mesh_is_turned_outward():
    box = trimesh.creation.box()
    box.invert()
    out = repair(Scene(meshes=[box])).meshes[0]
    assert out.volume > 0


def test_weld_keeps_uv_seams():
    box = trimesh.creation.box()
    soup = trimesh.Trimesh(box.vertices[box.faces.ravel()], np.arange(36).reshape(-1, 3), process=False)
    uv = np.random.default_rng(0).random((36, 2))
    soup.visual = trimesh.visual.TextureVisuals(uv=uv)
    out = repair(Scene(meshes=[soup])).meshes[0]
    # every corner has its own UV, so nothing may merge
    assert len(out.vertices) == 36
    assert np.allclose(out.visual.uv, uv)


def test_normals_point_outward():
    sphere = trimesh.creation.icosphere(subdivisions=2)
    out = repair(Scene(meshes=[sphere])).meshes[0]
    radial = out.vertices / np.linalg.norm(out.vertices, axis=1, keepdims=True)
    assert (np.einsum("ij,ij->i", out.vertex_normals, radial) > 0.9).all()
