"""The upload API: create, read, list, patch, delete, and every bad input as a 4xx JSON error."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from tests.conftest import make_key
from tests.conftest import run_jobs

META = {"title": {"vi": "Hộp gỗ sơn", "en": "Painted box"}, "unit": "cm", "licence": "CC-BY-4.0",
        "accession_number": "BT-2024-001"}


def upload(client, auth, path, metadata=META, **extra):
    data = {"file": (open(path, "rb"), path.name), "metadata": json.dumps(metadata), **extra}
    return client.post("/api/v1/artefacts", data=data, headers=auth, content_type="multipart/form-data")


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


def test_upload_process_and_read(client, auth, obj_zip, app):
    resp = upload(client, auth, obj_zip)
    assert resp.status_code == 202
    body = resp.get_json()
    assert body["status"] == "queued"
    job = client.get(body["job_url"], headers=auth).get_json()
    assert job["state"] == "queued" and job["progress"] == 0
    assert run_jobs(app) == 1
    art = client.get(f"/api/v1/artefacts/{body['id']}", headers=auth).get_json()
    assert art["status"] == "ready"
    assert art["metadata"]["title"] == META["title"]
    assert art["metadata"]["accession_number"] == "BT-2024-001"
    master = art["derivatives"]["master.glb"]
    assert master["faces"] == 12 and master["mime"] == "model/gltf-binary"
    job = client.get(body["job_url"], headers=auth).get_json()
    assert (job["state"], job["progress"], job["error"]) == ("done", 100, None)
    with client.get(master["url"].replace("http://localhost", "")) as got:
        assert got.status_code == 200 and got.data[:4] == b"glTF"
        assert hashlib.sha256(got.data).hexdigest() == master["sha256"]


def test_same_upload_twice_returns_the_first(client, auth, obj_zip):
    first = upload(client, auth, obj_zip).get_json()
    again = upload(client, auth, obj_zip)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"] and again.get_json()["duplicate"] is True


def test_list_filters_and_paginates(client, auth, tmp_path):
    from tests.fixtures import textured_obj_zip

    ids = []
    for i in range(3):
        path = textured_obj_zip(tmp_path / f"b{i}.zip")
        with open(path, "ab") as f:  # different bytes -> a different artefact
            f.write(b"\0" * i)
        ids.append(upload(client, auth, path, metadata={**META, "accession_number": f"A{i}"}).get_json()["id"])
    page1 = client.get("/api/v1/artefacts?per_page=2", headers=auth).get_json()
    page2 = client.get("/api/v1/artefacts?per_page=2&page=2", headers=auth).get_json()
    assert page1["total"] == 3 and page1["pages"] == 2
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1
    assert {a["id"] for a in page1["items"] + page2["items"]} == set(ids)
    assert client.get("/api/v1/artefacts?status=ready", headers=auth).get_json()["total"] == 0
    assert client.get("/api/v1/artefacts?status=queued", headers=auth).get_json()["total"] == 3


def test_patch_and_delete(client, auth, obj_zip, app):
    art_id = upload(client, auth, obj_zip).get_json()["id"]
    run_jobs(app)
    resp = client.patch(f"/api/v1/artefacts/{art_id}", json={"title": {"en": "Lacquered box"}, "date": "18th c."},
                        headers=auth)
    assert resp.status_code == 200
    md = resp.get_json()["metadata"]
    assert md["title"] == {"vi": "Hộp gỗ sơn", "en": "Lacquered box"} and md["date"] == "18th c."
    url = resp.get_json()["derivatives"]["master.glb"]["url"].replace("http://localhost", "")
    with client.get(url) as got:
        assert got.status_code == 200
    assert client.delete(f"/api/v1/artefacts/{art_id}", headers=auth).status_code == 204
    assert_error(client.get(f"/api/v1/artefacts/{art_id}", headers=auth), 404, "artefact_not_found")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({}, "unauthorized", id="no-key"),
        pytest.param({"Authorization": "Bearer har_wrong"}, "unauthorized", id="wrong-key"),
        pytest.param({"Authorization": "Basic abc"}, "unauthorized", id="wrong-scheme"),
    ],
)
def test_keys_are_required(client, headers, code):
    assert_error(client.get("/api/v1/artefacts", headers=headers), 401, code)


def test_other_institutions_artefacts_are_invisible(client, auth, app, obj_zip):
    art_id = upload(client, auth, obj_zip).get_json()["id"]
    job_url = client.get(f"/api/v1/artefacts/{art_id}", headers=auth).get_json()["links"]["job"]
    other = {"Authorization": f"Bearer {make_key(app, 'Another Museum')}"}
    assert_error(client.get(f"/api/v1/artefacts/{art_id}", headers=other), 404, "artefact_not_found")
    assert_error(client.patch(f"/api/v1/artefacts/{art_id}", json={"date": "x"}, headers=other), 404,
                 "artefact_not_found")
    assert_error(client.delete(f"/api/v1/artefacts/{art_id}", headers=other), 404, "artefact_not_found")
    assert_error(client.get(job_url, headers=other), 404, "not_found")
    assert client.get("/api/v1/artefacts", headers=other).get_json()["total"] == 0


@pytest.mark.parametrize(
    ("metadata", "code", "match"),
    [
        pytest.param("{not json", "invalid_metadata", "not valid JSON", id="malformed"),
        pytest.param("[1, 2]", "invalid_metadata", "expected a JSON object", id="not-object"),
        pytest.param('{"date": "1500"}', "invalid_metadata", "title", id="no-title"),
        pytest.param('{"title": {"en": "x"}, "licence": "free"}', "invalid_metadata", "unknown licence", id="licence"),
        pytest.param('{"title": {"en": "x"}, "dimensions": {"height": -3}}', "invalid_metadata", "positive",
                     id="dimensions"),
    ],
)
def test_bad_metadata(client, auth, obj_zip, metadata, code, match):
    data = {"file": (open(obj_zip, "rb"), "box.zip"), "metadata": metadata}
    message = assert_error(client.post("/api/v1/artefacts", data=data, headers=auth), 400, code)
    assert match in message


def test_no_file(client, auth):
    data = {"metadata": json.dumps(META)}
    assert "file" in assert_error(client.post("/api/v1/artefacts", data=data, headers=auth), 400, "bad_request")


def test_empty_file(client, auth):
    data = {"file": (io.BytesIO(b""), "scan.obj"), "metadata": json.dumps(META)}
    assert_error(client.post("/api/v1/artefacts", data=data, headers=auth), 400, "missing_file")


@pytest.mark.parametrize(
    ("name", "payload", "code", "match"),
    [
        pytest.param("scan.obj", b"Notes about the scan, not a mesh.\n" * 10, "unsupported_format", "no 3D file",
                     id="text-renamed-obj"),
        pytest.param("model.glb", b"glTF\x02\x00\x00\x00" + b"\x00" * 40, "invalid_scan", "could not be read",
                     id="truncated-glb"),
        pytest.param("scan.zip", b"PK\x03\x04broken", "unsupported_format", "zip", id="broken-zip"),
    ],
)
def test_bad_files_fail_the_job_with_a_reason(client, auth, app, name, payload, code, match):
    data = {"file": (io.BytesIO(payload), name), "metadata": json.dumps(META)}
    resp = client.post("/api/v1/artefacts", data=data, headers=auth)
    assert resp.status_code == 202
    run_jobs(app)
    art = client.get(f"/api/v1/artefacts/{resp.get_json()['id']}", headers=auth).get_json()
    assert art["status"] == "failed"
    assert art["error"]["code"] == code and match in art["error"]["message"]
    assert art["derivatives"] == {}
    job = client.get(resp.get_json()["job_url"], headers=auth).get_json()
    assert job["state"] == "failed" and job["error"]["code"] == code
    assert client.get("/healthz").status_code == 200


def test_health_and_ready(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["checks"] == {"database": "ok", "storage": "ok", "viewer": "ok"}
