"""Viewer fixtures: one processed artefact per session, copied into each test's own app."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

from service import create_app
from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.fixtures import textured_obj_zip
from tests.viewer.helpers import ready_artefact


@pytest.fixture(scope="session")
def ready_template(tmp_path_factory):
    """A data dir holding one processed box (processing takes seconds; copying it takes milliseconds)."""
    root = tmp_path_factory.mktemp("viewer-template")
    app = create_app(Settings(data_dir=str(root / "var"), testing=True, start_worker=False, previews=False))
    try:
        key = make_key(app)
        art = ready_artefact(app, app.test_client(), {"Authorization": f"Bearer {key}"},
                             textured_obj_zip(root / "box.zip"))
    finally:
        _stop(app)
    return root / "var", key, art["id"]


@pytest.fixture
def make_ready(tmp_path, ready_template):
    """make_ready(**settings) -> namespace(app, client, auth, art) on a private copy of the template."""
    apps = []

    def make(**overrides):
        src, key, art_id = ready_template
        data_dir = tmp_path / f"var{len(apps)}"
        shutil.copytree(src, data_dir)
        app = create_app(Settings(data_dir=str(data_dir), testing=True, start_worker=False, previews=False, **overrides))
        apps.append(app)
        client = app.test_client()
        auth = {"Authorization": f"Bearer {key}"}
        art = client.get(f"/api/v1/artefacts/{art_id}", headers=auth).get_json()
        return SimpleNamespace(app=app, client=client, auth=auth, art=art)

    yield make
    for app in apps:
        _stop(app)


@pytest.fixture
def ready(make_ready):
    return make_ready()
