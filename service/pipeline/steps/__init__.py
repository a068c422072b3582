"""
steps
-----

One step per module, each `step(scene, **options) -> scene`, no I/O. A
recipe is data: a list of `{"step": name, "options": {...}}` entries;
`run_recipe` runs it, times each step and returns the entries as they ran,
for the manifest (Smithsonian Cook's "recipe is data").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from service.pipeline.scene import Scene
from service.pipeline.steps.center_base import center_base
from service.pipeline.steps.orient_up import orient_up
from service.pipeline.steps.repair import repair
from service.pipeline.steps.scale_to_metres import scale_to_metres
from service.pipeline.steps.simplify import simplify
from service.pipeline.steps.textures import to_srgb

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


def run_recipe(scene: Scene, recipe: list[dict]) -> tuple[Scene, list[dict]]:
    """Run named steps in order; return the scene and the recipe with timings.

    A step that decides something itself (orient_up detecting the axis)
    leaves it in `scene.info["decided"][step]`; it is moved into that
    step's recipe entry as "decided".

    Parameters
    ----------
    scene : Scene
    recipe : list of dict
      `{"step": name, "options": {...}}`, names from `STEPS`.

    Examples
    --------
    >>> scene, ran = run_recipe(scene, [{"step": "orient_up", "options": {"up": "+Z"}},
    ...                                 {"step": "center_base", "options": {}}])
    """
    for entry in recipe:
        if entry["step"] not in STEPS:
            raise ValueError(f"run_recipe: unknown step {entry['step']!r}; known: {sorted(STEPS)}")
    ran = []
    for entry in recipe:
        name, opts = entry["step"], entry.get("options", {})
        t0 = time.perf_counter()
        scene = STEPS[name](scene, **opts)
        seconds = time.perf_counter() - t0
        log.debug("%s: %.3f s", name, seconds)
        done = {"step": name, "options": opts, "seconds": round(seconds, 4)}
        # what a step chose for itself (a detected axis, with its evidence)
        decisions = scene.info.pop("decided", {})
        decided = decisions.pop(name, None)
        if decisions:
            scene.info["decided"] = decisions
        if decided is not None:
            done["decided"] = decided
        ran.append(done)
    return scene, ran
