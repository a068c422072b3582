"""derive/levels: which levels a scene gets and which file serves each."""

from __future__ import annotations

from service.pipeline.derive.levels import LEVELS
from service.pipeline.derive.levels import plan
from service.pipeline.derive.levels import source_texture_size
from tests.pipeline.scenes import uv_sphere


def test_a_small_texture_is_served_by_the_smallest_web_level():
    scene = uv_sphere(subdivisions=2, texture=512)
    assert source_texture_size(scene) == 512
    todo, serves = plan(scene)
    assert [lv.name for lv in todo] == ["thumb", "web-1024", "ar"]
    assert serves == {
        "thumb": "thumb.glb",
        "web-1024": "web-1024.glb",
        "web-2048": "web-1024.glb",
        "web-4096": "web-1024.glb",
        "ar": "ar.glb",
    }


def test_a_large_texture_gets_every_web_level():
    scene = uv_sphere(subdivisions=2, texture=4096)
    todo, serves = plan(scene)
    assert [lv.name for lv in todo] == [lv.name for lv in LEVELS]
    assert all(serves[lv.name] == f"{lv.name}.glb" for lv in LEVELS)


def test_browser_levels_are_webp_and_ar_stays_jpeg_png():
    webp = {lv.name: lv.webp for lv in LEVELS}
    assert webp == {"thumb": True, "web-1024": True, "web-2048": True, "web-4096": True, "ar": False}
    thumb = next(lv for lv in LEVELS if lv.name == "thumb")
    assert thumb.max_bytes == 200_000 and thumb.base_colour_only
