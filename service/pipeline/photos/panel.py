"""
panel.py
--------

Build a flat artefact as a thin box at true size: the front photo on the
front face, the back photo (or a neutral back) on the back face, and the
four edges in a colour sampled from the front photo's border.

Axes follow glTF and model-viewer's wall placement: the picture's vertical
is +Y, the panel faces +Z, and the origin is the centre of the BACK face, so
an AR viewer that puts the origin on a wall hangs the panel flat against it.
"""

from __future__ import annotations

import logging

import numpy as np
import trimesh
from PIL import Image
from trimesh.visual import TextureVisuals
from trimesh.visual.material import PBRMaterial

from service.pipeline.constants import DEFAULT_FLAT_KIND
from service.pipeline.constants import FLAT_KINDS
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)


PANEL_DEFAULTS = {
    # long side of the front/back textures in master.glb (DESIGN: master <= 8192)
    "texture_max": 4096,
    # share of the short side sampled as the border for the edge colour
    "border": 0.015,
}


def border_colour(
    pixels: np.ndarray, *, border: float = PANEL_DEFAULTS["border"]
) -> tuple[int, int, int]:
    """Median colour of the outer band of an (h, w, 3) uint8 image."""
    h, w = pixels.shape[:2]
    b = max(1, int(round(min(h, w) * border)))
    band = np.concatenate(
        [
            pixels[:b].reshape(-1, 3),
            pixels[-b:].reshape(-1, 3),
            pixels[:, :b].reshape(-1, 3),
            pixels[:, -b:].reshape(-1, 3),
        ]
    )
    return tuple(int(v) for v in np.median(band, axis=0))


def _texture(pixels: np.ndarray, texture_max: int) -> Image.Image:
    img = Image.fromarray(pixels)
    if max(img.size) > texture_max:
        scale = texture_max / max(img.size)
        img = img.resize(
            (max(1, round(img.width * scale)), max(1, round(img.height * scale))),
            Image.Resampling.LANCZOS,
        )
    img.format = "JPEG"  # trimesh writes JPEG for these, PNG otherwise (seconds for 4K)
    return img


def _quad(corners: np.ndarray, name: str, material: PBRMaterial, uv: bool) -> trimesh.Trimesh:
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    mesh = trimesh.Trimesh(vertices=corners, faces=faces, process=False)
    uvs = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]) if uv else None
    mesh.visual = TextureVisuals(uv=uvs, material=material)
    mesh.metadata["name"] = name
    return mesh


def _material(
    name: str, *, image: Image.Image | None = None, colour=(255, 255, 255), roughness: float = 0.9
) -> PBRMaterial:
    return PBRMaterial(
        name=name,
        baseColorTexture=image,
        baseColorFactor=[*colour, 255],
        metallicFactor=0.0,
        roughnessFactor=roughness,
        doubleSided=False,
    )


def build_panel(
    front: np.ndarray,
    *,
    width: float,
    height: float,
    depth: float,
    back: np.ndarray | None = None,
    flat_kind: str = DEFAULT_FLAT_KIND,
    texture_max: int = PANEL_DEFAULTS["texture_max"],
) -> Scene:
    """A true-size panel Scene for a flat artefact.

    Parameters
    ----------
    front : (h, w, 3) uint8
      sRGB photo of the front, already cropped to the artefact.
    width, height, depth : float
      Physical size in metres; X is width, Y height, Z depth.
    back : (h, w, 3) uint8 or None
      Photo of the back, as photographed from behind; None gives a neutral back.
    flat_kind : str
      One of `FLAT_KINDS`; picks the neutral back colour and roughness.
    texture_max : int
      Long side cap of the textures, in pixels.

    Returns
    -------
    scene : Scene
      Three meshes (front, back, edges) in metres, +Y up, facing +Z, the
      back face on z = 0 and centred on the origin.

    Examples
    --------
    >>> scene = build_panel(pixels, width=0.61, height=0.46, depth=0.02)
    """
    if not (width > 0 and height > 0 and depth > 0):
        raise ValueError(f"build_panel: size must be positive, got {width} x {height} x {depth}")
    spec = FLAT_KINDS.get(flat_kind, FLAT_KINDS[DEFAULT_FLAT_KIND])
    x, y, d = width / 2, height / 2, depth
    edge = border_colour(front)
    rough = spec["roughness"]
    front_quad = np.array([[-x, -y, d], [x, -y, d], [x, y, d], [-x, y, d]])
    # seen from behind, the back photo's left edge lies at +X
    back_quad = np.array([[x, -y, 0], [-x, -y, 0], [-x, y, 0], [x, y, 0]])
    meshes = [
        _quad(
            front_quad,
            "front",
            _material("front", image=_texture(front, texture_max), roughness=rough),
            True,
        )
    ]
    if back is not None:
        meshes.append(
            _quad(
                back_quad,
                "back",
                _material("back", image=_texture(back, texture_max), roughness=rough),
                True,
            )
        )
    else:
        colour = spec["back"] or edge
        meshes.append(
            _quad(back_quad, "back", _material("back", colour=colour, roughness=rough), False)
        )
    sides = [
        [[-x, -y, 0], [x, -y, 0], [x, -y, d], [-x, -y, d]],  # bottom, faces -Y
        [[x, -y, 0], [x, y, 0], [x, y, d], [x, -y, d]],  # right, faces +X
        [[x, y, 0], [-x, y, 0], [-x, y, d], [x, y, d]],  # top, faces +Y
        [[-x, y, 0], [-x, -y, 0], [-x, -y, d], [-x, y, d]],  # left, faces -X
    ]
    edges = trimesh.Trimesh(
        vertices=np.concatenate(sides),
        faces=np.concatenate(
            [[[4 * i, 4 * i + 1, 4 * i + 2], [4 * i, 4 * i + 2, 4 * i + 3]] for i in range(4)]
        ),
        process=False,
    )
    edges.visual = TextureVisuals(material=_material("edges", colour=edge, roughness=rough))
    edges.metadata["name"] = "edges"
    meshes.append(edges)
    log.info(
        "build_panel: %.3f x %.3f x %.4f m, %s, back %s",
        width,
        height,
        depth,
        flat_kind,
        "photo" if back is not None else "neutral",
    )
    info = {
        "panel": {
            "width_m": round(width, 6),
            "height_m": round(height, 6),
            "depth_m": round(depth, 6),
            "flat_kind": flat_kind,
            "edge_colour": list(edge),
            "back": "photo" if back is not None else "neutral",
        }
    }
    return Scene(meshes=meshes, unit="m", up="+Y", info=info)
