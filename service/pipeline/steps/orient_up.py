"""
orient_up.py
------------

Step: rotate a scene so the artefact's up axis is +Y (glTF, AR viewers).
"""

from __future__ import annotations

import logging

import numpy as np
import trimesh

from service.messages import Message
from service.pipeline.scene import Scene
from service.pipeline.steps.upright import detect_up

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
                scene.warnings.append(Message(
                    "orient_up_detected", up=found["up"], fmt=scene.info.get("source_format", "file"),
                    convention=convention, reason=found["reason"],
                ))
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
