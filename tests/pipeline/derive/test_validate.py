"""derive/validate: the Khronos glTF validator, run in Node through the one child runner."""

from __future__ import annotations

from service.pipeline.derive.validate import start_validation
from service.pipeline.derive.validate import validate_gltf
from service.pipeline.exchange.gltf_write import write_glb
from tests.pipeline.scenes import uv_sphere


def test_a_written_glb_validates_and_a_broken_one_does_not(tmp_path):
    good = write_glb(uv_sphere(subdivisions=2, texture=32), tmp_path / "good.glb")
    bad = tmp_path / "bad.glb"
    bad.write_bytes(good.read_bytes()[:200])
    reports = validate_gltf(good, bad)
    assert len(reports) == 2
    assert reports[0]["errors"] == 0
    assert reports[1]["errors"] > 0


def test_validation_runs_in_the_background_while_python_works(tmp_path):
    good = write_glb(uv_sphere(subdivisions=2, texture=32), tmp_path / "good.glb")
    with start_validation(good) as run:
        busy = sum(range(10_000))  # work that overlaps the validator
        report = run.result()[0]
    assert busy and report["errors"] == 0
