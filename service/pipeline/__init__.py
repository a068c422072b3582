"""
pipeline
--------

Pure processing: files in, files plus `manifest.json` out. No Flask, no
storage, no database, no environment. A recipe is a list of named steps
with options; `run_recipe` runs it, times each step and returns the recipe
as it ran, for the manifest (Smithsonian Cook's "recipe is data").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from service.pipeline.normalise import center_base
from service.pipeline.normalise import orient_up
from service.pipeline.normalise import scale_to_metres
from service.pipeline.repair import repair
from service.pipeline.scene import Scene
from service.pipeline.simplify import simplify
from service.pipeline.textures import to_srgb

log = logging.getLogger(__name__)

Step = Callable[..., Scene]

STEPS: dict[str, Step] = {
    "orient_up": orient_up,
    "scale_to_metres": scale_to_metres,
    "center_base": center_base,
    "repair": repair,
    "to_srgb": to_srgb,
    "simplify": simplify,
}


def run_recipe(scene: Scene, recipe: list[tuple[str, dict]]) -> tuple[Scene, list[dict]]:
    """Run named steps in order; return the scene and the recipe with timings.

    A step that decides something itself (orient_up detecting the axis)
    leaves it in `scene.info["decided"][step]`; it is moved into that
    step's recipe entry as "decided".

    Parameters
    ----------
    scene : Scene
    recipe : list of (str, dict)
      Step names from `STEPS` with their keyword options.

    Examples
    --------
    >>> scene, ran = run_recipe(scene, [("orient_up", {"up": "+Z"}), ("center_base", {})])
    """
    for name, _ in recipe:
        if name not in STEPS:
            raise ValueError(f"run_recipe: unknown step {name!r}; known: {sorted(STEPS)}")
    ran = []
    for name, opts in recipe:
        t0 = time.perf_counter()
        scene = STEPS[name](scene, **opts)
        seconds = time.perf_counter() - t0
        log.debug("%s: %.3f s", name, seconds)
        entry = {"step": name, "options": opts, "seconds": round(seconds, 4)}
        # what a step chose for itself (a detected axis, with its evidence)
        decisions = scene.info.pop("decided", {})
        decided = decisions.pop(name, None)
        if decisions:
            scene.info["decided"] = decisions
        if decided is not None:
            entry["decided"] = decided
        ran.append(entry)
    return scene, ran
