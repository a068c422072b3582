"""
meshes.py
---------

Load mesh files through trimesh into a `Scene`, with the checks every
loader needs: finite coordinates, at least one face, the face limit, and
materials that look like the source (trimesh pitfalls 2 and 3 in
research/feasibility-geometry.md: the silent 0.4 diffuse factor and the
missing metallicFactor that glTF reads as fully metallic).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual.material import PBRMaterial
from trimesh.visual.material import SimpleMaterial

from service.errors import InvalidScan
from service.errors import ScanTooLarge
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

# file formats whose convention is +Z up (CAD, 3D printing, most scanners' STL)
_Z_UP = {"stl", "3mf"}


def load_trimesh(path: Path, fmt: str, *, max_faces: int) -> Scene:
    """Read a mesh file with trimesh and return a Scene in the file's own units.

    Parameters
    ----------
    path : Path
      The main file; sibling files (MTL, textures, .bin) are resolved next to it.
    fmt : str
      Format found by `sniff` (trimesh file_type name).
    max_faces : int
      Refuse scans with more faces than this.
    """
    try:
        loaded = trimesh.load(str(path), file_type=fmt, process=False)
    except Exception as e:  # noqa: BLE001 - parser errors of every kind mean "unreadable"
        log.warning("load: %s failed", path.name, exc_info=True)
        raise InvalidScan(
            f"load: {path.name!r} could not be read as {fmt.upper()} ({_short(e)}); "
            "check that the file is complete and exported correctly"
        ) from None
    meshes = _meshes_of(loaded)
    if not meshes:
        raise InvalidScan(f"load: {path.name!r} contains no triangles; upload a mesh, not only points or lines")
    scene = Scene(meshes=meshes, up="+Z" if fmt in _Z_UP else "+Y", info={"source_format": fmt, "source_file": path.name})
    check(scene, max_faces=max_faces)
    for m in scene.meshes:
        fix_material(m)
    return scene


def _meshes_of(loaded) -> list[trimesh.Trimesh]:
    if isinstance(loaded, trimesh.Scene):
        geoms = loaded.dump(concatenate=False)
    else:
        geoms = [loaded]
    return [g for g in geoms if isinstance(g, trimesh.Trimesh) and len(g.faces) > 0]


def check(scene: Scene, *, max_faces: int) -> None:
    """Raise a readable error for scans we must not process."""
    faces = scene.faces
    if faces == 0:
        raise InvalidScan("load: the scan has zero faces")
    if faces > max_faces:
        raise ScanTooLarge(
            f"load: {faces:,} faces is more than the limit of {max_faces:,}; decimate the scan before upload"
        )
    for m in scene.meshes:
        if not np.isfinite(m.vertices).all():
            bad = int((~np.isfinite(m.vertices)).any(axis=1).sum())
            raise InvalidScan(f"load: {bad:,} vertices have NaN or infinite coordinates; re-export the scan")


def fix_material(mesh: trimesh.Trimesh) -> None:
    """Give a mesh a glTF PBR material that renders like its source: white factor, not metal."""
    visual = mesh.visual
    if not isinstance(visual, trimesh.visual.TextureVisuals):
        return
    mat = visual.material
    if isinstance(mat, PBRMaterial):
        return
    image = getattr(mat, "image", None)
    if isinstance(mat, SimpleMaterial) and image is None:
        factor = np.asarray(mat.diffuse, dtype=np.uint8)
    else:
        factor = np.array([255, 255, 255, 255], dtype=np.uint8)
    visual.material = PBRMaterial(
        name=getattr(mat, "name", None),
        baseColorTexture=image,
        baseColorFactor=factor,
        metallicFactor=0.0,
        roughnessFactor=1.0,
    )


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


LOADERS = {fmt: load_trimesh for fmt in ("glb", "gltf", "obj", "ply", "stl", "off")}
