"""--local: the pipeline on this machine, into a folder or into the configured storage; reruns skip finished work."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import cli
from service.config import Settings
from tests.batch.collection import broken_glb
from tests.batch.collection import write_csv
from tests.batch.conftest import read_report
from tests.conftest import _stop
from tests.conftest import make_key
from tests.fixtures import textured_obj_zip

INSTITUTION = "Bảo tàng Mỹ thuật Việt Nam"


@pytest.fixture
def small(tmp_path, corpus):
    """Two good artefacts, one the server would reject, one invalid row."""
    coll = tmp_path / "coll"
    coll.mkdir()
    textured_obj_zip(coll / "box.zip")
    broken_glb(coll / "broken.glb")
    rows = [
        {"accession_number": "MT-1", "title_vi": "Hộp sơn mài", "licence": "CC0-1.0", "files": "box.zip"},
        {"accession_number": "MT-2", "title_vi": "Ấm đồng", "licence": "CC0-1.0",
         "files": str(corpus / "formats" / "teapot.stl")},
        {"accession_number": "MT-3", "title_vi": "Vò vỡ", "licence": "CC0-1.0", "files": "broken.glb"},
        {"accession_number": "MT-4", "title_vi": "Tranh lụa", "licence": "CC0-1.0", "kind": "flat",
         "files": "box.zip"},
    ]
    return write_csv(rows, coll / "manifest.csv")


def test_local_into_a_folder_and_rerun(small, tmp_path):
    out = tmp_path / "out"
    args = ["batch", str(small), "--local", "--out", str(out), "--no-previews", "--jsonl", "--concurrency", "2"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 1, first.output
    assert json.loads(first.output.splitlines()[-1])["counts"] == {"ready": 2, "failed": 1, "invalid": 1}
    for key in ("MT-1", "MT-2"):
        manifest = json.loads((out / key / "manifest.json").read_text())
        assert (out / key / "master.glb").read_bytes()[:4] == b"glTF" and "master.glb" in manifest["files"]
    rows = read_report(small.parent / "manifest-report" / "report.csv")
    assert rows["MT-1"]["model"] == (out / "MT-1" / "master.glb").resolve().as_uri()
    assert "could not be read as GLB" in rows["MT-3"]["error"] and "flat artefact" in rows["MT-4"]["error"]
    stamp = (out / "MT-1" / "manifest.json").stat().st_mtime_ns

    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1
    assert '"stage": "unpack"' not in again.output  # nothing processed twice
    assert (out / "MT-1" / "manifest.json").stat().st_mtime_ns == stamp


def test_local_into_the_configured_storage(small, tmp_path):
    env = {"HERITAGE_AR_DATA_DIR": str(tmp_path / "var"), "HERITAGE_AR_BASE_URL": "https://ar.example.vn",
           "HERITAGE_AR_PREVIEWS": "0"}
    args = ["batch", str(small), "--local", "--institution", INSTITUTION, "--quiet", "--report", str(tmp_path / "r")]
    first = CliRunner().invoke(cli, args, env=env)
    assert first.exit_code == 1
    assert "MT-3: failed: load: 'broken.glb' could not be read" in first.output
    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 1

    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False))
    try:
        key = make_key(app, INSTITUTION)
        items = app.test_client().get("/api/v1/artefacts", headers={"Authorization": f"Bearer {key}"}).get_json()
    finally:
        _stop(app)
    assert items["total"] == 3
    status = {a["metadata"]["accession_number"]: a["status"] for a in items["items"]}
    assert status == {"MT-1": "ready", "MT-2": "ready", "MT-3": "failed"}
    rows = read_report(tmp_path / "r" / "report.csv")
    assert rows["MT-1"]["share"].startswith("https://ar.example.vn/ar/")
    assert rows["MT-2"]["model"].startswith("https://ar.example.vn/files/derivatives/")


def test_local_into_a_folder_honours_the_servers_limits(small, tmp_path):
    # the same face limit a job gets from Settings (HERITAGE_AR_MAX_FACES): the teapot is over it
    out = tmp_path / "out"
    args = ["batch", str(small), "--local", "--out", str(out), "--no-previews", "--jsonl"]
    result = CliRunner().invoke(cli, args, env={"HERITAGE_AR_MAX_FACES": "100"})
    assert result.exit_code == 1, result.output
    rows = read_report(small.parent / "manifest-report" / "report.csv")
    assert "100" in rows["MT-2"]["error"] and rows["MT-2"]["status"] == "failed"
