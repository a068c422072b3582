"""
normalise.py
------------

Steps that put every scan in the same frame: metres, +Y up, origin at the
centre of the base so AR viewers stand the artefact on the floor.
"""

from __future__ import annotations

import logging

import numpy as np
import trimesh

from service.pipeline import constants as tol
from service.pipeline.scene import Scene
from service.pipeline.upright import detect_up

log = logging.getLogger(__name__)

# rotations that bring the named axis to +Y (right-handed)
_TO_Y_UP = {
    "+Y": np.eye(4),
    "-Y": trimesh.transformations.rotation_matrix(np.pi, [1, 0, 0]),
    "+Z": trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]),
    "-Z": trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]),
    "+X": trimesh.transformations.rotation_matrix(np.pi / 2, [0, 0, 1]),
    "-X": trimesh.transformations.rotation_matrix(-np.pi / 2, [0, 0, 1]),
}


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
        scene.warnings.append(
            f"scale: no unit declared and the scan is {extent.max():.0f} units across; assumed millimetres"
        )
    else:
        factor = 1.0
        scene.info["scale_source"] = "assumed metres"
    if factor != 1.0:
        scene.apply_transform(np.diag([factor, factor, factor, 1.0]))
    scene.unit = "m"
    size = (scene.bounds[1] - scene.bounds[0]).max()
    if size > tol.MAX_SIZE_M or size < tol.MIN_SIZE_M:
        scene.warnings.append(
            f"scale: the artefact is {size:.4g} m across, outside {tol.MIN_SIZE_M}-{tol.MAX_SIZE_M} m; "
            "check the unit or declare the physical size"
        )
    scene.info["scale_factor"] = factor
    log.info("scale_to_metres: x%g (%s), largest extent %.4g m", factor, scene.info["scale_source"], size)
    return scene


def orient_up(scene: Scene, *, up: str | None = None, detect: bool = True) -> Scene:
    """Rotate so the artefact's up axis is +Y, as glTF and AR viewers expect.

    A declared axis wins; then an axis the file itself states (glTF, USD
    with an authored upAxis); otherwise the format's convention, unless
    `upright.detect_up` finds a base on another axis that clearly beats it.
    The choice and the scores go to `scene.info["decided"]` (the recipe)
    and a detected axis adds a warning, so staff can declare `up_axis`.

    Parameters
    ----------
    up : str or None
      Declared up axis of the file ("+Z", "-Y", ...).
    detect : bool
      Look for the base when nothing declares the axis.
    """
    declared = _axis(up) if up else None
    decision = {"up": declared, "source": "declared"}
    if declared is None and scene.info.get("up_in_file"):
        decision = {"up": _axis(scene.up), "source": "file"}
    elif declared is None:
        convention = _axis(scene.up or "+Y")
        decision = {"up": convention, "source": "format convention", "convention": convention}
        if detect:
            found = detect_up(scene.meshes, convention=convention)
            decision.update(up=found["up"], reason=found["reason"], scores=found["scores"])
            if found["detected"]:
                decision["source"] = "detected"
                scene.warnings.append(
                    f"orient_up: up axis detected as {found['up']} (the {scene.info.get('source_format', 'file')} "
                    f"convention is {convention}): {found['reason']}; if the artefact is not upright, "
                    "declare up_axis in its metadata"
                )
    axis = decision["up"]
    if axis != "+Y":
        scene.apply_transform(_TO_Y_UP[axis])
    scene.info["up_source"] = decision["source"]
    scene.info["original_up"] = axis
    scene.info.setdefault("decided", {})["orient_up"] = decision
    scene.up = "+Y"
    log.info("orient_up: %s -> +Y (%s)", axis, decision["source"])
    return scene


def _axis(up: str) -> str:
    axis = up.upper()
    if len(axis) == 1:
        axis = "+" + axis
    if axis not in _TO_Y_UP:
        raise ValueError(f"orient_up: unknown axis {up!r}; use one of {sorted(_TO_Y_UP)}")
    return axis


def center_base(scene: Scene) -> Scene:
    """Move the origin to the centre of the bottom face of the bounding box (y = 0)."""
    lo, hi = scene.bounds
    offset = np.array([-(lo[0] + hi[0]) / 2, -lo[1], -(lo[2] + hi[2]) / 2])
    scene.apply_transform(trimesh.transformations.translation_matrix(offset))
    return scene
