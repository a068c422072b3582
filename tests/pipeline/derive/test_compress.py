"""Draco compression through glTF-Transform, the decode-back check, web variants sharing geometry."""

from __future__ import annotations

import pytest

from service.errors import InvalidScan
from service.pipeline.derive.compress import decode_check
from service.pipeline.derive.compress import draco
from service.pipeline.derive.validate import validate_gltf
from service.pipeline.exchange.glb import read_glb
from service.pipeline.exchange.glb import read_images
from service.pipeline.exchange.glb import replace_images
from service.pipeline.exchange.gltf_write import write_glb
from service.pipeline.steps.simplify import simplify
from tests.pipeline.scenes import uv_sphere


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("draco")
    scene = uv_sphere(subdivisions=4, texture=256)
    raw = write_glb(scene, tmp / "raw.glb", copyright="Museum — CC BY 4.0")
    small = write_glb(simplify(scene, max_faces=500), tmp / "small.glb")
    sizes = draco([(raw, tmp / "raw-draco.glb"), (small, tmp / "small-draco.glb")])
    return tmp, sizes


def test_draco_is_smaller_and_decodes_to_the_source(pair):
    tmp, sizes = pair
    assert sizes["raw-draco.glb"] < (tmp / "raw.glb").stat().st_size / 2
    report = decode_check(tmp / "raw-draco.glb", tmp / "raw.glb")
    assert report["faces"] == 5120 and report["draco"]
    assert report["max_bounds_error_m"] < 1e-4
    doc, _ = read_glb(tmp / "raw-draco.glb")
    assert doc["asset"]["copyright"] == "Museum — CC BY 4.0"


def test_decode_check_catches_a_different_file(pair):
    tmp, _ = pair
    with pytest.raises(InvalidScan, match="does not match its source"):
        decode_check(tmp / "small-draco.glb", tmp / "raw.glb")


def test_uncompressed_file_is_not_accepted_as_draco(pair):
    tmp, _ = pair
    with pytest.raises(InvalidScan, match="draco=False"):
        decode_check(tmp / "raw.glb", tmp / "raw.glb")


def test_replace_images_keeps_geometry_and_validates(pair, tmp_path):
    tmp, _ = pair
    bigger = write_glb(uv_sphere(subdivisions=4, texture=512), tmp_path / "bigger.glb")
    replace_images(tmp / "raw-draco.glb", read_images(bigger), tmp_path / "swapped.glb")
    assert read_images(tmp_path / "swapped.glb")[0][0] == read_images(bigger)[0][0]
    assert decode_check(tmp_path / "swapped.glb", tmp / "raw.glb")["faces"] == 5120
    # the uncompressed variant with the same swap is valid glTF
    replace_images(tmp / "raw.glb", read_images(bigger), tmp_path / "swapped-raw.glb")
    assert validate_gltf(tmp_path / "swapped-raw.glb")[0]["errors"] == 0
