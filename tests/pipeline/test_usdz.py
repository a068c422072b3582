"""ar.usdz: authored for Quick Look and checked against UsdValidation and the ARKit packaging rules."""

from __future__ import annotations

import zipfile

import pytest
from pxr import Usd
from pxr import UsdGeom

from service.pipeline.usdz import check_usdz
from service.pipeline.usdz import write_usdz
from tests.pipeline.scenes import uv_sphere


@pytest.fixture(scope="module")
def usdz(tmp_path_factory):
    path = tmp_path_factory.mktemp("usdz") / "ar.usdz"
    return write_usdz(uv_sphere(subdivisions=3, texture=300), path, metadata={"title": {"en": "Sphere"}, "accession_number": "S-1"})


def test_package_passes_every_check(usdz):
    report = check_usdz(usdz)
    assert report["errors"] == 0, report["messages"]
    assert report["validators"] >= 20
    assert all(report["arkit"].values())


def test_stage_is_in_metres_y_up_with_texture(usdz):
    stage = Usd.Stage.Open(str(usdz))
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert stage.GetDefaultPrim().GetPath() == "/Root"
    names = [i.filename for i in zipfile.ZipFile(usdz).infolist()]
    assert names[0].endswith(".usdc") and any(n.endswith(".jpg") for n in names)
    assert stage.GetRootLayer().customLayerData["dc:identifier"] == "S-1"


def test_compressed_package_is_caught(usdz, tmp_path):
    bad = tmp_path / "bad.usdz"
    with zipfile.ZipFile(usdz) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    report = check_usdz(bad)
    assert not report["arkit"]["stored"]
    assert report["errors"] > 0 and any("compressed" in m for m in report["messages"])


def test_webp_texture_is_caught(usdz, tmp_path):
    bad = tmp_path / "webp.usdz"
    with zipfile.ZipFile(usdz) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("extra.webp", b"RIFF0000WEBP")
    report = check_usdz(bad)
    assert not report["arkit"]["file_types"]


def test_same_scene_gives_the_same_bytes(usdz, tmp_path):
    import hashlib
    import time

    time.sleep(2.1)  # zip times have 2 s resolution
    again = write_usdz(uv_sphere(subdivisions=3, texture=300), tmp_path / "ar.usdz", metadata={"title": {"en": "Sphere"}, "accession_number": "S-1"})
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(usdz.read_bytes()).hexdigest()
    assert check_usdz(again)["errors"] == 0
