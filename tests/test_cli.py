"""The `heritage-ar` command line: process, keys, db, seed, config."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import cli
from service.db import make_engine
from service.db.models import Artefact
from service.db.queries import institution_for_key


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("HERITAGE_AR_DATA_DIR", str(tmp_path / "var"))
    return CliRunner()


def test_process_writes_master_and_manifest(runner, obj_zip, tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"title": {"vi": "Hộp"}, "unit": "cm"}), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["process", str(obj_zip), "--out", str(out), "--metadata", str(meta),
                                 "--no-previews"])
    assert result.exit_code == 0, result.output
    assert "master.glb" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"]["master.glb"]["validation"]["errors"] == 0
    assert manifest["metadata"]["title"] == {"vi": "Hộp"}


def test_process_reports_bad_input_without_traceback(runner, tmp_path):
    bad = tmp_path / "notes.obj"
    bad.write_text("just text\n")
    result = runner.invoke(cli, ["process", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "no 3D file found" in str(result.exception)


def test_keys_create_and_db_upgrade(runner, tmp_path):
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["keys", "create", "--institution", "Bảo tàng Dân tộc học"])
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith("har_")
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'heritage-ar.db'}")
    with Session(engine) as db:
        assert institution_for_key(db, key).name == "Bảo tàng Dân tộc học"
    engine.dispose()


def test_seed_is_idempotent(runner, tmp_path):
    first = runner.invoke(cli, ["seed"])
    second = runner.invoke(cli, ["seed"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "queued" in first.output and "/ar/" in first.output
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'heritage-ar.db'}")
    with Session(engine) as db:
        assert len(db.scalars(select(Artefact)).all()) == 1
    engine.dispose()
    assert first.output.splitlines()[0] == second.output.splitlines()[0]  # same key


def test_config_lists_settings(runner):
    result = runner.invoke(cli, ["config"])
    assert "HERITAGE_AR_STORAGE=local" in result.output
