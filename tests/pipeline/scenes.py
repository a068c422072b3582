"""Generated scenes for pipeline tests: textured spheres with UV seams."""

from __future__ import annotations

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

from service.pipeline.scene import Scene


def gradient(size: int) -> Image.Image:
    """An RGB texture whose colour encodes its UV: a wrong UV shows as a wrong colour."""
    y, x = np.mgrid[0:size, 0:size]
    img = np.stack([x * 255 // max(size - 1, 1), y * 255 // max(size - 1, 1), np.full_like(x, 90)], axis=-1)
    return Image.fromarray(img.astype(np.uint8))


def uv_sphere(subdivisions: int = 4, texture: int = 64, radius: float = 0.1) -> Scene:
    """An icosphere split along a UV seam (spherical mapping), standing on y=0."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    v = sphere.vertices[sphere.faces]  # (n, 3, 3) corners
    u = (np.arctan2(v[..., 2], v[..., 0]) / (2 * np.pi)) % 1.0
    # faces crossing the seam get their low u moved past 1 so they do not span the atlas
    wrap = (u.max(axis=1) - u.min(axis=1)) > 0.5
    u[wrap] = np.where(u[wrap] < 0.5, u[wrap] + 1.0, u[wrap])
    w = np.arccos(np.clip(v[..., 1] / radius, -1, 1)) / np.pi
    uv = np.stack([u, 1 - w], axis=-1).reshape(-1, 2)
    mesh = trimesh.Trimesh(v.reshape(-1, 3), np.arange(len(uv)).reshape(-1, 3), process=False)
    mesh.visual = trimesh.visual.TextureVisuals(
        uv=uv,
        material=PBRMaterial(baseColorTexture=gradient(texture), baseColorFactor=[255] * 4, metallicFactor=0.0, roughnessFactor=1.0),
    )
    mesh.merge_vertices(merge_tex=False, merge_norm=True)
    mesh.apply_translation([0, radius, 0])
    return Scene(meshes=[mesh], unit="m", up="+Y")
