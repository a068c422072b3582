"""
model.py
--------

Read a GLB into draw-ready arrays: one `Part` per primitive with world-space
positions, normals, UVs, vertex colours, triangle indices and its PBR
material (factors plus Pillow images). The renderer only uploads these.

trimesh decodes Draco through DracoPy; without DracoPy it silently returns
zero geometry, so an all-zero mesh is reported as an error here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image

from service.errors import InvalidScan
from service.pipeline.icc import srgb_decode

log = logging.getLogger(__name__)


@dataclass
class Part:
    """One primitive ready to upload.

    Parameters
    ----------
    positions, normals : (n, 3) float32
      World coordinates (metres, +Y up) and unit normals.
    uvs : (n, 2) float32
      Texture coordinates, glTF convention (v down); zeros when absent.
    colors : (n, 4) float32
      Linear vertex colours in 0..1; ones when absent.
    indices : (m, 3) uint32
      Triangles.
    material : dict
      base_color (4 floats, linear), metallic, roughness, occlusion_strength,
      emissive (3 floats) and images base_color/metallic_roughness/normal/occlusion/emissive
      (PIL images or None), double_sided, alpha_mode, alpha_cutoff.
    """

    positions: np.ndarray
    normals: np.ndarray
    uvs: np.ndarray
    colors: np.ndarray
    indices: np.ndarray
    material: dict = field(default_factory=dict)


def load_parts(path: str | Path) -> list[Part]:
    """Load every primitive of a GLB in world space, ready for `Renderer.upload`.

    Parameters
    ----------
    path : path
      A .glb (Draco allowed).

    Returns
    -------
    parts : list of Part
    """
    loaded = trimesh.load(str(path), force="scene")
    meshes = [m for m in loaded.dump(concatenate=False) if isinstance(m, trimesh.Trimesh)]
    parts = [_part(m) for m in meshes if len(m.faces)]
    if not parts:
        raise InvalidScan(f"previews: {Path(path).name} has no triangles to render")
    if all(not np.any(p.positions) for p in parts):
        raise InvalidScan(
            f"previews: {Path(path).name} decoded to all-zero geometry; "
            "install DracoPy to read Draco-compressed GLBs"
        )
    log.debug("previews: %d parts, %d faces", len(parts), sum(len(p.indices) for p in parts))
    return parts


def bounds_of(parts: list[Part]) -> np.ndarray:
    """(2, 3) float axis-aligned bounds of all parts."""
    lo = np.min([p.positions.min(axis=0) for p in parts], axis=0)
    hi = np.max([p.positions.max(axis=0) for p in parts], axis=0)
    return np.array([lo, hi])


def points_of(parts: list[Part], limit: int = 20000) -> np.ndarray:
    """(k, 3) float hull points of the model, used for snug framing."""
    pts = np.concatenate([p.positions for p in parts]).astype(np.float64)
    try:
        hull = trimesh.convex.convex_hull(pts[:: max(1, len(pts) // 200000)])
        pts = np.asarray(hull.vertices)
    except Exception:
        log.debug("previews: convex hull failed, framing on raw points", exc_info=True)
    if len(pts) > limit:
        pts = pts[:: len(pts) // limit + 1]
    return pts


def _part(mesh: trimesh.Trimesh) -> Part:
    n = len(mesh.vertices)
    visual = mesh.visual
    uvs = np.zeros((n, 2), np.float32)
    colors = np.ones((n, 4), np.float32)
    material = _material(getattr(visual, "material", None))
    if visual.kind == "texture":
        if visual.uv is not None and len(visual.uv) == n:
            # trimesh flips V to OpenGL convention on load; undo it for glTF sampling
            uvs = np.asarray(visual.uv, np.float32).copy()
            uvs[:, 1] = 1.0 - uvs[:, 1]
        vc = visual.vertex_attributes.get("color") if hasattr(visual, "vertex_attributes") else None
        if vc is not None and len(vc) == n:
            colors = _linear_colors(np.asarray(vc))
    elif visual.kind == "vertex":
        colors = _linear_colors(np.asarray(visual.vertex_colors))
    elif visual.kind == "face":
        # rare in scans: spread face colours to vertices by unmerging
        mesh = mesh.copy()
        mesh.unmerge_vertices()
        fc = np.asarray(visual.face_colors)
        colors = _linear_colors(np.repeat(fc, 3, axis=0))
        n = len(mesh.vertices)
        uvs = np.zeros((n, 2), np.float32)
    return Part(
        positions=np.asarray(mesh.vertices, np.float32),
        normals=np.asarray(mesh.vertex_normals, np.float32),
        uvs=uvs,
        colors=colors,
        indices=np.asarray(mesh.faces, np.uint32),
        material=material,
    )


def _linear_colors(rgba: np.ndarray) -> np.ndarray:
    c = rgba.astype(np.float32)
    if c.shape[1] == 3:
        c = np.concatenate([c, np.full((len(c), 1), 255, np.float32)], axis=1)
    c = c / 255.0 if rgba.dtype == np.uint8 or c.max() > 1.0 else c
    c[:, :3] = srgb_decode(c[:, :3])
    return c


def _material(mat) -> dict:
    out = {
        "base_color": [1.0, 1.0, 1.0, 1.0],
        "metallic": 0.0,
        "roughness": 1.0,
        "occlusion_strength": 1.0,
        "emissive": [0.0, 0.0, 0.0],
        "double_sided": False,
        "alpha_mode": "OPAQUE",
        "alpha_cutoff": 0.5,
        "images": {},
    }
    if mat is None:
        return out
    if isinstance(mat, trimesh.visual.material.SimpleMaterial):
        mat = mat.to_pbr()
    factor = getattr(mat, "baseColorFactor", None)
    if factor is not None:
        f = np.asarray(factor, np.float64)
        f = f / 255.0 if f.max() > 1.0 or np.asarray(factor).dtype == np.uint8 else f
        # trimesh keeps factors as uint8 sRGB-ish bytes; glTF factors are linear already
        out["base_color"] = [float(x) for x in (list(f) + [1.0])[:4]]
    if getattr(mat, "metallicFactor", None) is not None:
        out["metallic"] = float(mat.metallicFactor)
    if getattr(mat, "roughnessFactor", None) is not None:
        out["roughness"] = float(mat.roughnessFactor)
    if getattr(mat, "emissiveFactor", None) is not None:
        out["emissive"] = [float(x) for x in np.asarray(mat.emissiveFactor, np.float64)[:3]]
    out["double_sided"] = bool(getattr(mat, "doubleSided", False))
    out["alpha_mode"] = getattr(mat, "alphaMode", None) or "OPAQUE"
    if getattr(mat, "alphaCutoff", None) is not None:
        out["alpha_cutoff"] = float(mat.alphaCutoff)
    for key, attr in (
        ("base_color", "baseColorTexture"),
        ("metallic_roughness", "metallicRoughnessTexture"),
        ("normal", "normalTexture"),
        ("occlusion", "occlusionTexture"),
        ("emissive", "emissiveTexture"),
    ):
        img = getattr(mat, attr, None)
        if isinstance(img, Image.Image):
            out["images"][key] = img
    return out
