"""Findings 8 and 9: production mode needs a public origin, links never follow a forged Host, and the
Docker image seeds nothing unless asked and never prints a key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import cli
from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.fixtures import REPO

SECRET = "s" * 48


def _settings(tmp_path, **fields) -> Settings:
    return Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                    env="production", **fields)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        pytest.param({"secret_key": SECRET}, "HERITAGE_AR_BASE_URL", id="no-origin"),
        pytest.param({"secret_key": SECRET, "base_url": "http://ar.museum.vn"}, "https", id="plain-http"),
        pytest.param({"base_url": "https://ar.museum.vn"}, "HERITAGE_AR_SECRET_KEY", id="default-secret"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, fields, match):
    with pytest.raises(ValueError, match=match):
        create_app(_settings(tmp_path, **fields))


def test_links_never_follow_a_forged_host(tmp_path, obj_zip):
    app = create_app(_settings(tmp_path, base_url="https://ar.museum.vn", secret_key=SECRET))
    try:
        client = app.test_client()
        auth = {"Authorization": f"Bearer {make_key(app)}"}
        from tests.security.conftest import upload

        body = upload(client, auth, obj_zip).get_json()
        got = client.get(f"/api/v1/artefacts/{body['id']}", headers={**auth, "Host": "evil.example"}).get_json()
        assert got["links"]["share"].startswith("https://ar.museum.vn/ar/")
        assert "evil.example" not in str(got)
    finally:
        _stop(app)


def test_trusted_hosts_refuse_other_hosts(tmp_path):
    app = create_app(_settings(tmp_path, trusted_hosts="ar.museum.vn", secret_key=SECRET))
    try:
        client = app.test_client()
        assert client.get("/s/nothing", headers={"Host": "evil.example"}).status_code == 400
        ok = client.get("/s/nothing", headers={"Host": "ar.museum.vn"})
        assert ok.status_code == 404  # a real answer for a trusted host (no such code)
    finally:
        _stop(app)


def _stub_cli(tmp_path: Path) -> tuple[dict, Path]:
    """A PATH whose `heritage-ar` records its arguments instead of running."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    stub = bin_dir / "heritage-ar"
    stub.write_text(f"#!/bin/sh\necho \"$*\" >> {calls}\n")
    stub.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return env, calls


SERVE = "serve --host 0.0.0.0 --port 8000"


@pytest.mark.parametrize(("seed", "expected"), [(None, ["db upgrade", SERVE]),
                                                ("false", ["db upgrade", SERVE]),
                                                ("TRUE", ["db upgrade", "seed --hide-key", SERVE])])
def test_docker_entrypoint_seeds_only_when_asked(tmp_path, seed, expected):
    env, calls = _stub_cli(tmp_path)
    if seed is not None:
        env["HERITAGE_AR_SEED_DEMO"] = seed
    subprocess.run(["sh", str(REPO / "scripts" / "docker-entrypoint.sh")], env=env, check=True, timeout=30)
    assert calls.read_text().splitlines() == expected
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "scripts/docker-entrypoint.sh" in dockerfile and "heritage-ar seed" not in dockerfile


def test_seed_hides_the_key_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("HERITAGE_AR_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, ["seed", "--hide-key"])
    assert result.exit_code == 0, result.output
    key = (tmp_path / "var" / "demo-api-key.txt").read_text().strip()
    assert key.startswith("har_") and key not in result.output
    assert "demo-api-key.txt" in result.output
    shown = CliRunner().invoke(cli, ["seed"])  # a developer's own machine still shows it
    assert key in shown.output
