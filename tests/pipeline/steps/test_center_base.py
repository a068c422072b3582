"""steps/center_base: the origin at the centre of the base."""

from __future__ import annotations

import pytest
import trimesh

from service.pipeline.scene import Scene
from service.pipeline.steps import run_recipe
from service.pipeline.steps.center_base import center_base


def test_origin_moves_to_the_centre_of_the_bottom_face():
    box = trimesh.creation.box(extents=[0.2, 0.4, 0.1])
    box.apply_translation([1.0, 2.0, -3.0])
    scene = center_base(Scene(meshes=[box], unit="m", up="+Y"))
    lo, hi = scene.bounds
    assert lo == pytest.approx([-0.1, 0.0, -0.05])
    assert hi == pytest.approx([0.1, 0.4, 0.05])


def test_recipe_entries_are_dicts_and_come_back_timed():
    box = trimesh.creation.box(extents=[0.2, 0.4, 0.1])
    scene, ran = run_recipe(Scene(meshes=[box], unit="m", up="+Y"), [{"step": "center_base", "options": {}}])
    assert [e["step"] for e in ran] == ["center_base"]
    assert ran[0]["options"] == {} and ran[0]["seconds"] >= 0
    with pytest.raises(ValueError, match="unknown step 'melt'"):
        run_recipe(scene, [{"step": "melt", "options": {}}])
