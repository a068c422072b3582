"""The first pipeline: upload files -> validated master.glb + manifest.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from service.errors import InvalidScan
from service.errors import UnsupportedFormat
from service.pipeline.flows import process


def test_zipped_textured_obj_becomes_master_in_metres(obj_zip, tmp_path):
    out = tmp_path / "out"
    manifest = process([obj_zip], out, metadata={"title": {"en": "Box"}, "unit": "cm"})
    entry = manifest["files"]["master.glb"]
    assert entry["validation"]["errors"] == 0
    assert entry["faces"] == 12
    lo, hi = np.array(entry["bounds"])
    assert lo[1] == pytest.approx(0.0, abs=1e-9)
    assert hi - lo == pytest.approx([0.20, 0.30, 0.10], rel=1e-6)
    assert (lo + hi)[[0, 2]] == pytest.approx([0, 0], abs=1e-9)
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["files"]["master.glb"]["sha256"] == entry["sha256"]
    mesh = trimesh.load(out / "master.glb", force="mesh")
    material = mesh.visual.material
    assert material.baseColorTexture is not None
    assert material.metallicFactor == 0.0
    assert list(material.baseColorFactor) == [255, 255, 255, 255]


def test_declared_height_beats_unit(obj_zip, tmp_path):
    md = {"title": {"en": "Box"}, "unit": "mm", "dimensions": {"height": 60, "unit": "cm"}}
    manifest = process([obj_zip], tmp_path / "out", metadata=md)
    assert manifest["dimensions_m"][1] == pytest.approx(0.60)


def test_z_up_stl_is_stood_up(tmp_path):
    tall = trimesh.creation.box(extents=[10, 20, 300])  # 30 cm tall along Z, in mm
    path = tmp_path / "part.stl"
    tall.export(path)
    manifest = process([path], tmp_path / "out", metadata={"title": {"en": "Part"}})
    assert manifest["dimensions_m"] == pytest.approx([0.01, 0.3, 0.02])
    assert "millimetres" in manifest["warnings"][0]
    # plain text for the API, the key and values beside it; on disk exactly what the call returned
    assert type(manifest["warnings"][0]) is str
    assert manifest["warning_keys"][0] == {"key": "scale_guessed_mm", "params": {"extent": 300.0}}
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert on_disk["warnings"] == manifest["warnings"] and on_disk["warning_keys"] == manifest["warning_keys"]


def test_text_named_obj_is_refused(tmp_path):
    path = tmp_path / "scan.obj"
    path.write_text("This is not a mesh, just notes about the scan.\n")
    with pytest.raises(UnsupportedFormat, match="no 3D file found"):
        process([path], tmp_path / "out", metadata={})


def test_truncated_glb_is_a_readable_error(corpus, tmp_path):
    data = (corpus / "formats" / "Duck.glb").read_bytes()
    path = tmp_path / "duck.glb"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidScan, match="could not be read as GLB"):
        process([path], tmp_path / "out", metadata={})
