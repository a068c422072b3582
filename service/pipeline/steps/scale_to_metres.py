"""
scale_to_metres.py
------------------

Step: scale coordinates to metres; a declared height beats a declared unit
beats a guess (millimetres for a large unit-less scan, with a warning).
"""

from __future__ import annotations

import logging

import numpy as np

from service.messages import Message
from service.pipeline import constants as tol
from service.pipeline.scene import Scene

log = logging.getLogger(__name__)


def scale_to_metres(scene: Scene, *, unit: str | None = None, height: float | None = None) -> Scene:
    """Scale coordinates to metres: a declared height beats a declared unit beats a guess.

    Parameters
    ----------
    scene : Scene
      Call after `orient_up`, so "height" means the Y extent.
    unit : str or None
      Unit of the file's coordinates (key of `constants.UNITS`).
    height : float or None
      Physical height of the artefact in metres, from the catalogue.
    """
    if unit is not None and unit not in tol.UNITS:
        raise ValueError(f"scale_to_metres: unknown unit {unit!r}; use one of {sorted(tol.UNITS)}")
    extent = scene.bounds[1] - scene.bounds[0]
    if height:
        factor = height / max(float(extent[1]), 1e-12)
        scene.info["scale_source"] = "declared height"
    elif unit or scene.unit:
        factor = tol.UNITS[unit or scene.unit]
        scene.info["scale_source"] = "declared unit" if unit else "file unit"
    elif extent.max() > tol.MM_GUESS_ABOVE:
        factor = tol.UNITS["mm"]
        scene.info["scale_source"] = "guessed millimetres"
        scene.warnings.append(Message("scale_guessed_mm", extent=float(extent.max())))
    else:
        factor = 1.0
        scene.info["scale_source"] = "assumed metres"
    if factor != 1.0:
        scene.apply_transform(np.diag([factor, factor, factor, 1.0]))
    scene.unit = "m"
    size = (scene.bounds[1] - scene.bounds[0]).max()
    if size > tol.MAX_SIZE_M or size < tol.MIN_SIZE_M:
        scene.warnings.append(
            Message("scale_out_of_range", size=float(size), low=tol.MIN_SIZE_M, high=tol.MAX_SIZE_M)
        )
    scene.info["scale_factor"] = factor
    log.info("scale_to_metres: x%g (%s), largest extent %.4g m", factor, scene.info["scale_source"], size)
    return scene
