"""Small generated GLBs for renderer tests (nothing binary in git)."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from PIL import Image


def stacked_boxes_glb(path):
    """An asymmetric object with vertex colours: a wide blue base under a narrow red column."""
    base = trimesh.creation.box((0.3, 0.06, 0.3))
    base.apply_translation((0, 0.03, 0))
    column = trimesh.creation.box((0.08, 0.4, 0.08))
    column.apply_translation((0.05, 0.26, 0))
    base.visual.vertex_colors = (30, 60, 220, 255)
    column.visual.vertex_colors = (220, 30, 30, 255)
    trimesh.util.concatenate([base, column]).export(path)
    return path


def split_texture_panel_glb(path):
    """A panel facing +Z, textured red in its upper half and blue in its lower half (checks V)."""
    w, h = 0.4, 0.6
    vertices = np.array([[-w / 2, 0, 0], [w / 2, 0, 0], [w / 2, h, 0], [-w / 2, h, 0]], float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)  # OpenGL convention: v=1 is the top
    tex = np.zeros((64, 64, 3), np.uint8)
    tex[:32] = (200, 30, 30)  # first rows = top of the image
    tex[32:] = (30, 60, 200)
    material = trimesh.visual.material.PBRMaterial(
        baseColorTexture=Image.fromarray(tex), metallicFactor=0.0
    )
    mesh = trimesh.Trimesh(
        vertices, faces, visual=trimesh.visual.TextureVisuals(uv=uv, material=material)
    )
    box = trimesh.creation.box((w, h, 0.004))  # give it a little thickness so it stays a panel
    box.apply_translation((0, h / 2, -0.003))
    box.visual = trimesh.visual.TextureVisuals(
        uv=np.zeros((len(box.vertices), 2)), material=material
    )
    trimesh.Scene([mesh, box]).export(path)
    return path


@pytest.fixture(scope="session")
def stacked_glb(tmp_path_factory):
    return stacked_boxes_glb(tmp_path_factory.mktemp("render") / "stacked.glb")


@pytest.fixture(scope="session")
def panel_glb(tmp_path_factory):
    return split_texture_panel_glb(tmp_path_factory.mktemp("render") / "panel.glb")
