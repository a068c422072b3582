"""
center_base.py
--------------

Step: move the origin to the centre of the base (y = 0), so AR viewers
stand the artefact on the floor.
"""

from __future__ import annotations

import numpy as np
import trimesh

from service.pipeline.scene import Scene


def center_base(scene: Scene) -> Scene:
    """Move the origin to the centre of the bottom face of the bounding box (y = 0)."""
    lo, hi = scene.bounds
    offset = np.array([-(lo[0] + hi[0]) / 2, -lo[1], -(lo[2] + hi[2]) / 2])
    scene.apply_transform(trimesh.transformations.translation_matrix(offset))
    return scene
