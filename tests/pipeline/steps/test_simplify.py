"""simplify: face budgets, UVs and colours kept, small inputs reused."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from service.pipeline.scene import Scene
from service.pipeline.steps.simplify import simplify
from tests.pipeline.scenes import uv_sphere


def test_simplify_meets_budget_and_keeps_uvs():
    scene = uv_sphere(subdivisions=5)
    out = simplify(scene, max_faces=2000)
    src, got = scene.meshes[0], out.meshes[0]
    assert 1500 <= out.faces <= 2000
    # meshopt keeps a subset of vertices: every UV is one of the source's, at the same position
    pairs = {(*v, *t) for v, t in zip(src.vertices.round(9), src.visual.uv.round(9))}
    assert all((*v, *t) in pairs for v, t in zip(got.vertices.round(9), got.visual.uv.round(9)))
    assert got.visual.material.baseColorTexture is src.visual.material.baseColorTexture
    assert np.allclose(got.bounds, src.bounds, atol=0.05)


def test_simplify_keeps_vertex_colours():
    sphere = trimesh.creation.icosphere(subdivisions=4)
    colours = np.column_stack([(sphere.vertices[:, 2] > 0) * 255, np.zeros((len(sphere.vertices), 2)), np.full(len(sphere.vertices), 255)])
    sphere.visual = trimesh.visual.ColorVisuals(sphere, vertex_colors=colours.astype(np.uint8))
    out = simplify(Scene(meshes=[sphere]), max_faces=500).meshes[0]
    assert out.visual.kind == "vertex"
    top = out.vertices[:, 2] > 0.1
    assert (out.visual.vertex_colors[top, 0] == 255).all()
    assert (out.visual.vertex_colors[out.vertices[:, 2] < -0.1, 0] == 0).all()


def test_small_scene_is_returned_as_is():
    scene = uv_sphere(subdivisions=2)
    assert simplify(scene, max_faces=100_000) is scene


def test_budget_is_shared_between_meshes():
    a, b = trimesh.creation.icosphere(subdivisions=4), trimesh.creation.icosphere(subdivisions=3)
    b.apply_translation([3, 0, 0])
    out = simplify(Scene(meshes=[a, b]), max_faces=1000)
    assert out.faces <= 1000
    assert out.meshes[0].faces.shape[0] > out.meshes[1].faces.shape[0] > 0


def test_bad_budget():
    with pytest.raises(ValueError, match="max_faces must be at least 4"):
        simplify(uv_sphere(subdivisions=1), max_faces=0)
