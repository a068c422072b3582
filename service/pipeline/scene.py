"""
scene.py
--------

The in-memory document every pipeline step takes and returns: a list of
trimesh meshes already placed in world coordinates, plus what we know about
their units and orientation and the warnings gathered on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import numpy as np
import trimesh

from service.pipeline.geometry import vertex_normals


@dataclass
class Scene:
    """Meshes in world space with their provenance.

    Parameters
    ----------
    meshes : list of trimesh.Trimesh
      Geometry with visuals (UVs + material, or vertex colours), transforms applied.
    unit : str or None
      Unit of the coordinates: "m", "cm", "mm", "in", or None when unknown.
    up : str or None
      Up axis of the coordinates as loaded ("+Y", "+Z", ...), None when unknown.
    info : dict
      Facts for the manifest (source format, file names, counts).
    warnings : list of str
      Things a technician should look at; written into the manifest.
    """

    meshes: list[trimesh.Trimesh]
    unit: str | None = None
    up: str | None = None
    info: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def faces(self) -> int:
        return int(sum(len(m.faces) for m in self.meshes))

    @property
    def vertices(self) -> int:
        return int(sum(len(m.vertices) for m in self.meshes))

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) float axis-aligned bounds of all meshes."""
        lo = np.min([m.bounds[0] for m in self.meshes], axis=0)
        hi = np.max([m.bounds[1] for m in self.meshes], axis=0)
        return np.array([lo, hi])

    def apply_transform(self, matrix: np.ndarray) -> Scene:
        """Apply a (4, 4) transform to every mesh in place and return self."""
        for m in self.meshes:
            m.apply_transform(matrix)
        return self

    def to_trimesh(self) -> trimesh.Scene:
        """A trimesh.Scene for writers, one node per mesh."""
        scene = trimesh.Scene()
        for i, m in enumerate(self.meshes):
            scene.add_geometry(m, geom_name=m.metadata.get("name") or f"mesh_{i}")
        return scene


def corner_colours(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy of a face-coloured mesh with one vertex per face corner and vertex colours.

    glTF and USD have no per-face colours; writers call this first.
    """
    colours = np.asarray(mesh.visual.face_colors, dtype=np.uint8)
    out = trimesh.Trimesh(
        vertices=mesh.vertices[mesh.faces.ravel()], faces=np.arange(len(mesh.faces) * 3).reshape(-1, 3), process=False
    )
    out.visual = trimesh.visual.ColorVisuals(out, vertex_colors=np.repeat(colours, 3, axis=0))
    out.metadata.update(mesh.metadata)
    return out


def normals_of(mesh: trimesh.Trimesh) -> np.ndarray:
    """Vertex normals for writers: the ones `repair` stored, else smooth ones computed now."""
    cached = mesh._cache.cache.get("vertex_normals")
    if cached is not None and len(cached) == len(mesh.vertices):
        return cached
    return vertex_normals(mesh)


def pbr_factors(mat) -> dict:
    """A material's glTF PBR factors with the defaults every writer uses.

    Scans are not metal, so a missing metallicFactor means 0 (not glTF's 1).

    Returns
    -------
    factors : dict
      "base" (4,) float RGBA 0..1, "metallic" float, "roughness" float,
      "emissive" (3,) float 0..1 (zeros when absent).
    """
    get = lambda attr: getattr(mat, attr, None)  # noqa: E731
    base = get("baseColorFactor")
    emissive = get("emissiveFactor")
    return {
        "base": np.ones(4) if base is None else np.asarray(base, dtype=float)[:4] / 255.0,
        "metallic": float(0.0 if get("metallicFactor") is None else get("metallicFactor")),
        "roughness": float(1.0 if get("roughnessFactor") is None else get("roughnessFactor")),
        "emissive": np.zeros(3) if emissive is None else np.clip(np.asarray(emissive, dtype=float)[:3], 0, 1),
    }
