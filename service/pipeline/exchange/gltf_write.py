"""
gltf_write.py
-------------

Write a Scene as GLB with trimesh, then stamp the asset block (generator,
copyright) into the JSON chunk.
"""

from __future__ import annotations

import logging
from pathlib import Path

from service.pipeline.exchange.glb import patch_glb
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)

GENERATOR = "heritage-ar"


def write_glb(scene: Scene, path: str | Path, *, copyright: str | None = None, extras: dict | None = None) -> Path:
    """Write `scene` to `path` as an uncompressed GLB and return the path.

    Parameters
    ----------
    scene : Scene
      Meshes in metres, +Y up.
    copyright : str or None
      Written to `asset.copyright`.
    extras : dict or None
      Written to `asset.extras`.
    """
    path = Path(path)
    data = scene.to_trimesh().export(file_type="glb")
    path.write_bytes(data)

    def stamp(doc: dict) -> None:
        asset = doc.setdefault("asset", {"version": "2.0"})
        asset["generator"] = GENERATOR
        if copyright:
            asset["copyright"] = copyright
        if extras:
            asset["extras"] = extras

    patch_glb(path, stamp)
    log.info("write_glb: %s, %d faces, %d bytes", path.name, scene.faces, path.stat().st_size)
    return path
