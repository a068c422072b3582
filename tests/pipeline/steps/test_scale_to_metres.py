"""steps/scale_to_metres: declared height > declared unit > file unit > guess."""

from __future__ import annotations

import pytest
import trimesh

from service.pipeline.scene import Scene
from service.pipeline.steps.scale_to_metres import scale_to_metres


def _box(extents, unit=None) -> Scene:
    return Scene(meshes=[trimesh.creation.box(extents=extents)], unit=unit, up="+Y")


def test_a_large_unitless_scan_is_taken_as_millimetres_with_a_warning():
    # 300 units tall, no unit anywhere: a scanner's millimetres, not a 300 m statue
    scene = scale_to_metres(_box([200, 300, 100]))
    assert scene.info["scale_source"] == "guessed millimetres"
    assert scene.info["scale_factor"] == pytest.approx(0.001)
    assert scene.bounds[1] - scene.bounds[0] == pytest.approx([0.2, 0.3, 0.1])
    assert len(scene.warnings) == 1
    assert "no unit declared" in scene.warnings[0] and "300 units" in scene.warnings[0]
    assert "assumed millimetres" in scene.warnings[0]


def test_a_small_unitless_scan_is_assumed_metres_without_the_mm_warning():
    scene = scale_to_metres(_box([0.2, 0.3, 0.1]))
    assert scene.info["scale_source"] == "assumed metres"
    assert scene.info["scale_factor"] == 1.0
    assert scene.warnings == []


def test_just_under_the_guess_threshold_stays_metres_and_is_flagged_as_too_big():
    scene = scale_to_metres(_box([10, 49, 10]))
    assert scene.info["scale_source"] == "assumed metres"
    assert len(scene.warnings) == 1 and "outside 0.01-10.0 m" in scene.warnings[0]


def test_declared_unit_beats_the_guess_and_declared_height_beats_the_unit():
    scene = scale_to_metres(_box([200, 300, 100]), unit="cm")
    assert scene.info["scale_source"] == "declared unit"
    assert scene.bounds[1][1] - scene.bounds[0][1] == pytest.approx(3.0)
    scene = scale_to_metres(_box([200, 300, 100]), unit="cm", height=0.45)
    assert scene.info["scale_source"] == "declared height"
    assert scene.bounds[1][1] - scene.bounds[0][1] == pytest.approx(0.45)
    assert scene.warnings == []


def test_the_file_unit_is_used_when_nothing_is_declared():
    scene = scale_to_metres(_box([20, 30, 10], unit="cm"))
    assert scene.info["scale_source"] == "file unit"
    assert scene.bounds[1][1] - scene.bounds[0][1] == pytest.approx(0.3)


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="unknown unit 'yard'"):
        scale_to_metres(_box([1, 1, 1]), unit="yard")
