"""Annotations API: create, read, edit, reorder, delete, limits, another institution's ids, re-processing."""

from __future__ import annotations

import json

import pytest

from tests.api.test_artefacts import assert_error
from tests.api.test_artefacts import upload
from tests.conftest import make_key
from tests.conftest import run_jobs

NOTE = {"position": [0.0, 0.15, 0.05], "normal": [0, 0, 2], "title": {"vi": "Nắp hộp", "en": "Lid"},
        "body": {"en": "Painted in 1820, see https://example.org/box"},
        "camera": {"orbit": [30, 75, 0.6], "target": [0, 0.15, 0], "fov": 30}}


@pytest.fixture
def artefact(client, auth, obj_zip, app):
    body = upload(client, auth, obj_zip).get_json()
    assert run_jobs(app) == 1
    return body["id"]


def url(artefact_id, rest=""):
    return f"/api/v1/artefacts/{artefact_id}/annotations{rest}"


def test_create_read_edit_delete(client, auth, artefact):
    resp = client.post(url(artefact), json=NOTE, headers=auth)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    note = resp.get_json()
    assert note["normal"] == [0.0, 0.0, 1.0]  # stored as a unit vector
    assert note["title"] == NOTE["title"] and note["order"] == 0
    assert note["camera"] == {"orbit": [30.0, 75.0, 0.6], "target": [0.0, 0.15, 0.0], "fov": 30.0}
    got = client.get(url(artefact, f"/{note['id']}"), headers=auth).get_json()
    assert got == note
    patched = client.patch(url(artefact, f"/{note['id']}"), json={"title": {"en": "Lid, top"}}, headers=auth)
    assert patched.status_code == 200
    assert patched.get_json()["title"] == {"vi": "Nắp hộp", "en": "Lid, top"}
    assert client.delete(url(artefact, f"/{note['id']}"), headers=auth).status_code == 204
    assert client.get(url(artefact), headers=auth).get_json() == {"items": []}
    assert_error(client.get(url(artefact, f"/{note['id']}"), headers=auth), 404, "not_found")


def test_reorder(client, auth, artefact):
    ids = [client.post(url(artefact), json={**NOTE, "title": {"en": f"n{i}"}}, headers=auth).get_json()["id"]
           for i in range(3)]
    resp = client.put(url(artefact, "/order"), json={"order": ids[::-1]}, headers=auth)
    assert resp.status_code == 200
    assert [n["id"] for n in resp.get_json()["items"]] == ids[::-1]
    assert [n["title"]["en"] for n in client.get(url(artefact), headers=auth).get_json()["items"]] == ["n2", "n1", "n0"]
    assert_error(client.put(url(artefact, "/order"), json={"order": ids[:2]}, headers=auth), 400, "invalid_annotation")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"position": [0, 1]}, "annotation.position", id="short-position"),
        pytest.param({"position": [0, float("1e309"), 0]}, "annotation.position", id="infinite"),
        pytest.param({"position": [0, 1000, 0]}, "annotation.position", id="far-away"),
        pytest.param({"normal": [0, 0, 0]}, "annotation.normal", id="zero-normal"),
        pytest.param({"title": {"en": "x" * 121}}, "annotation.title.en", id="long-title"),
        pytest.param({"body": {"vi": "y" * 2001}}, "annotation.body.vi", id="long-body"),
        pytest.param({"body": {"en": "<script>alert(1)</script>"}}, "annotation.body.en", id="markup"),
        pytest.param({"title": {"fr": "Couvercle"}}, "annotation.title", id="other-language"),
        pytest.param({"title": None}, "annotation.title", id="no-title"),
        pytest.param({"image": "javascript:alert(1)"}, "annotation.image", id="script-url"),
        pytest.param({"camera": {"orbit": [0, 200, 1]}}, "annotation.camera.orbit", id="bad-orbit"),
        pytest.param({"owner": "x"}, "annotation.owner", id="unknown-field"),
    ],
)
def test_bad_notes_are_refused_with_the_field(client, auth, artefact, change, field):
    body = json.loads(json.dumps({**NOTE, **change}).replace("Infinity", "1e309"))
    message = assert_error(client.post(url(artefact), json=body, headers=auth), 400, "invalid_annotation")
    assert message.startswith(field)


def test_count_limit(client, auth, artefact, monkeypatch):
    monkeypatch.setattr("service.api.notes.MAX_PER_ARTEFACT", 3)
    for _ in range(3):
        assert client.post(url(artefact), json=NOTE, headers=auth).status_code == 201
    message = assert_error(client.post(url(artefact), json=NOTE, headers=auth), 409, "conflict")
    assert "at most 3" in message


def test_another_institution_sees_and_touches_nothing(client, auth, artefact, app):
    note = client.post(url(artefact), json=NOTE, headers=auth).get_json()
    other = {"Authorization": f"Bearer {make_key(app, 'Bảo tàng Mỹ thuật')}"}
    assert_error(client.get(url(artefact), headers=other), 404, "artefact_not_found")
    assert_error(client.post(url(artefact), json=NOTE, headers=other), 404, "artefact_not_found")
    for method in ("get", "patch", "delete"):
        resp = getattr(client, method)(url(artefact, f"/{note['id']}"), json={"title": {"en": "x"}}, headers=other)
        assert_error(resp, 404, "artefact_not_found")
    # a note id of another artefact through one's own artefact
    mine = upload(client, other, _other_zip(app)).get_json()["id"]
    assert_error(client.get(url(mine, f"/{note['id']}"), headers=other), 404, "not_found")
    assert client.get(url(artefact, f"/{note['id']}"), headers=auth).get_json()["title"] == NOTE["title"]


def _other_zip(app):
    from pathlib import Path

    from tests.fixtures import textured_obj_zip

    return textured_obj_zip(Path(app.config["SETTINGS"].data_dir) / "other.zip")


def test_notes_follow_the_model_through_reprocessing(client, auth, artefact, app):
    # the box is 30 cm tall from its unit (cm); a point on the front face (z = +5 cm) of the 20 x 30 x 10 cm box, slightly off the surface
    note = client.post(url(artefact), json={**NOTE, "position": [0.02, 0.2, 0.056]}, headers=auth).get_json()
    # declare the box twice as tall, then re-process: the note must move with the surface
    assert client.patch(f"/api/v1/artefacts/{artefact}", json={"dimensions": {"height": 60, "unit": "cm"}},
                        headers=auth).status_code == 200
    resp = client.post(f"/api/v1/artefacts/{artefact}/reprocess", headers=auth)
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert_error(client.post(f"/api/v1/artefacts/{artefact}/reprocess", headers=auth), 409, "conflict")
    assert run_jobs(app) == 1
    art = client.get(f"/api/v1/artefacts/{artefact}", headers=auth).get_json()
    assert art["version"] == 2 and art["status"] == "ready"
    moved = client.get(url(artefact, f"/{note['id']}"), headers=auth).get_json()
    x, y, z = moved["position"]
    assert y == pytest.approx(0.4, abs=0.002) and x == pytest.approx(0.04, abs=0.002)
    assert z == pytest.approx(0.10, abs=0.001)  # on the front face of the doubled box
    assert moved["normal"] == pytest.approx([0, 0, 1], abs=1e-6)
