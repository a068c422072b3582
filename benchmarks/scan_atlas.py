"""
scan_atlas.py
-------------

Generate the benchmark's synthetic scan: a bumpy sphere of about 1M
triangles cut into a 16 x 8 grid of UV charts packed into a 4096 px atlas,
like photogrammetry output (many seams). The texture colour is an analytic
function of the surface direction, so a wrong UV shows up as a wrong
colour (research/feasibility-geometry.md "atlas.glb").

    python -m benchmarks.scan_atlas out.glb [--faces 1000000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

from service.pipeline.exchange.gltf_write import write_glb
from service.pipeline.scene import Scene

CHARTS_U, CHARTS_V = 16, 8
MARGIN = 0.08  # of a cell, so charts never bleed into each other


def colour_of(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colour of a direction: smooth hue bands plus fine stripes."""
    r = 127 + 100 * np.sin(3 * theta) * np.cos(phi)
    g = 127 + 100 * np.cos(2 * phi + theta)
    b = 127 + 60 * np.sin(24 * theta) * np.sin(12 * phi)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def radius_of(theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    return 0.15 * (1 + 0.04 * np.sin(9 * theta) * np.sin(7 * phi) + 0.01 * np.sin(40 * theta + 30 * phi))


def atlas_scene(faces: int = 1_000_000, texture: int = 4096) -> Scene:
    """The synthetic scan as a Scene (metres, +Y up, ~30 cm across)."""
    n = int(np.sqrt(faces / 2)) + 1  # grid of n x n quads -> 2 (n-1)^2 triangles
    nu, nv = n, n
    # per-chart vertex grids so every chart border is a UV seam
    cu = np.linspace(0, 1, CHARTS_U + 1)
    cv = np.linspace(0, 1, CHARTS_V + 1)
    per_u = max(2, (nu - 1) // CHARTS_U + 1)
    per_v = max(2, (nv - 1) // CHARTS_V + 1)
    vertices, uvs, tris, offset = [], [], [], 0
    cell_w, cell_h = 1 / CHARTS_U, 1 / CHARTS_V
    for i in range(CHARTS_U):
        for j in range(CHARTS_V):
            s = np.linspace(cu[i], cu[i + 1], per_u)
            t = np.linspace(cv[j], cv[j + 1], per_v)
            ss, tt = np.meshgrid(s, t, indexing="ij")
            theta, phi = ss * 2 * np.pi, (tt * 0.96 + 0.02) * np.pi  # avoid the poles' fans
            r = radius_of(theta, phi)
            xyz = np.stack([r * np.sin(phi) * np.cos(theta), r * np.cos(phi), r * np.sin(phi) * np.sin(theta)], axis=-1)
            ls, lt = (ss - cu[i]) / cell_w, (tt - cv[j]) / cell_h
            u = (i + MARGIN + ls * (1 - 2 * MARGIN)) * cell_w
            v = (j + MARGIN + lt * (1 - 2 * MARGIN)) * cell_h
            vertices.append(xyz.reshape(-1, 3))
            uvs.append(np.stack([u, v], axis=-1).reshape(-1, 2))
            a = np.arange(per_u * per_v).reshape(per_u, per_v)
            q = np.stack([a[:-1, :-1], a[1:, :-1], a[1:, 1:], a[:-1, 1:]], axis=-1).reshape(-1, 4)
            tris.append(np.concatenate([q[:, [0, 2, 1]], q[:, [0, 3, 2]]]) + offset)
            offset += per_u * per_v
    mesh = trimesh.Trimesh(np.concatenate(vertices), np.concatenate(tris), process=False)
    image = atlas_texture(texture)
    mesh.visual = trimesh.visual.TextureVisuals(
        uv=np.concatenate(uvs),
        material=PBRMaterial(baseColorTexture=image, baseColorFactor=[255] * 4, metallicFactor=0.0, roughnessFactor=1.0),
    )
    if mesh.volume < 0:
        mesh.invert()
    mesh.apply_translation([0, -mesh.bounds[0][1], 0])
    return Scene(meshes=[mesh], unit="m", up="+Y", info={"source_format": "generated atlas"})


def atlas_texture(size: int) -> Image.Image:
    """The atlas image: each chart cell painted with the colour of the directions it maps."""
    y, x = np.mgrid[0:size, 0:size]
    u, v = (x + 0.5) / size, 1 - (y + 0.5) / size  # OBJ convention: v up
    i, j = np.minimum((u * CHARTS_U).astype(int), CHARTS_U - 1), np.minimum((v * CHARTS_V).astype(int), CHARTS_V - 1)
    ls = np.clip(((u * CHARTS_U - i) - MARGIN) / (1 - 2 * MARGIN), 0, 1)
    lt = np.clip(((v * CHARTS_V - j) - MARGIN) / (1 - 2 * MARGIN), 0, 1)
    theta = (i + ls) / CHARTS_U * 2 * np.pi
    phi = ((j + lt) / CHARTS_V * 0.96 + 0.02) * np.pi
    return Image.fromarray(colour_of(theta, phi))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--texture", type=int, default=4096)
    args = parser.parse_args()
    scene = atlas_scene(args.faces, args.texture)
    write_glb(scene, args.out)
    print(f"{args.out}: {scene.faces:,} faces, {scene.vertices:,} vertices, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
