"""Resumable uploads (docs/uploads.md) in both modes: local storage (parts PUT to the app) and S3 on the moto
server (parts PUT to presigned URLs in the bucket): resume after a cut connection, sizes, tenants, limits, and
an artefact made from finished uploads."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from service import create_app
from service.config import Settings
from service.db.models import Job
from service.db.models import Upload
from tests.conftest import LiveServer
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import run_jobs
from tests.servers import s3_settings

MB = 1024 * 1024
META = {"title": {"vi": "Hộp gỗ", "en": "Wooden box"}, "unit": "cm"}


def blob(size: int, seed: int = 1) -> bytes:
    """Bytes that differ part by part (a repeated pattern would hide a part written at the wrong offset)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 512
        counter += 1
    return bytes(out[:size])


class Api:
    """The protocol as a client speaks it, over the Flask test client; S3 parts go to the bucket with requests."""

    def __init__(self, client, auth) -> None:
        self.client = client
        self.auth = auth

    def create(self, filename: str, size: int, **extra):
        return self.client.post("/api/v1/uploads", json={"filename": filename, "size": size, **extra}, headers=self.auth)

    def get(self, upload_id: str):
        return self.client.get(f"/api/v1/uploads/{upload_id}", headers=self.auth)

    def send(self, info: dict, number: int, data: bytes) -> str:
        """Send part `number`; return its ETag."""
        if info["mode"] == "local":
            r = self.client.put(f"/api/v1/uploads/{info['id']}/parts/{number}", data=data, headers=self.auth,
                                content_type="application/octet-stream")
            assert r.status_code == 200, r.get_data(as_text=True)
            return r.get_json()["etag"]
        url = self.presign(info["id"], [number]).get_json()["urls"][str(number)]
        r = requests.put(url, data=data, timeout=30)
        assert r.status_code == 200, r.text
        return r.headers["ETag"].strip('"')

    def presign(self, upload_id: str, numbers: list[int]):
        return self.client.post(f"/api/v1/uploads/{upload_id}/presign", json={"numbers": numbers}, headers=self.auth)

    def complete(self, upload_id: str, parts: list[dict] | None = None):
        body = {"parts": parts} if parts is not None else {}
        return self.client.post(f"/api/v1/uploads/{upload_id}/complete", json=body, headers=self.auth)

    def upload(self, filename: str, data: bytes) -> dict:
        """A whole upload: create, every part, complete."""
        info = self.create(filename, len(data)).get_json()
        parts = []
        for n in range(1, info["parts_total"] + 1):
            chunk = data[(n - 1) * info["part_size"]: n * info["part_size"]]
            parts.append({"number": n, "etag": self.send(info, n, chunk)})
        done = self.complete(info["id"], parts)
        assert done.status_code == 200, done.get_data(as_text=True)
        return done.get_json()

    def artefact(self, upload_ids: list[str], metadata=META):
        return self.client.post("/api/v1/artefacts", json={"upload_ids": upload_ids, "metadata": metadata},
                                headers=self.auth)


def assert_error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]
    return error["message"]


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def mode(request):
    return request.param


@pytest.fixture
def settings(tmp_path, mode, request):
    """1 MB parts locally; S3 needs 5 MB parts (its minimum), on a fresh bucket of the moto server."""
    extra = {}
    if mode == "s3":
        extra = s3_settings(request.getfixturevalue("moto_server"))
    return Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                    upload_part_mb=1 if mode == "local" else 5, max_upload_mb=64, **extra)


@pytest.fixture
def api(client, auth):
    return Api(client, auth)


def test_create_answers_how_to_send_the_parts(api, mode, settings):
    size = int(2.5 * settings.upload_part_mb * MB)
    r = api.create("C:\\scans\\../bình gốm.ply", size, content_type="application/octet-stream")
    assert r.status_code == 201, r.get_data(as_text=True)
    body = r.get_json()
    assert body["filename"] == "bình gốm.ply"  # the basename only
    assert (body["size"], body["mode"], body["state"], body["parts"]) == (size, mode, "open", [])
    assert body["part_size"] == settings.upload_part_mb * MB and body["parts_total"] == 3
    assert body["expires_at"] > body["created_at"]
    again = api.get(body["id"]).get_json()
    assert again["parts"] == [] and again["id"] == body["id"]


def test_resume_after_an_interrupted_part(api, mode, settings):
    part = settings.upload_part_mb * MB
    data = blob(3 * part - 1000)
    info = api.create("scan.ply", len(data)).get_json()
    chunks = [data[i * part:(i + 1) * part] for i in range(3)]
    first = api.send(info, 1, chunks[0])
    api.send(info, 3, chunks[2])  # out of order is fine
    # part 2 never arrives (the connection dropped): the server lists what it has, the client sends the rest
    have = api.get(info["id"]).get_json()["parts"]
    assert [(p["number"], p["size"]) for p in have] == [(1, part), (3, len(chunks[2]))]
    assert have[0]["etag"] == first == hashlib.md5(chunks[0]).hexdigest()
    assert_error(api.complete(info["id"]), 409, "conflict")
    second = api.send(info, 2, chunks[1])
    api.send(info, 2, chunks[1])  # sent twice: replaced, not doubled
    parts = [{"number": 1, "etag": first}, {"number": 2, "etag": second}, {"number": 3, "etag": have[1]["etag"]}]
    done = api.complete(info["id"], parts)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json() == {"id": info["id"], "state": "complete", "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest()}
    assert api.complete(info["id"], parts).status_code == 200  # completing twice is harmless
    state = api.get(info["id"]).get_json()
    assert state["state"] == "complete" and len(state["parts"]) == 3


def test_parts_of_the_wrong_size_or_number_are_refused(api, mode, client, auth, settings):
    part = settings.upload_part_mb * MB
    info = api.create("scan.ply", 2 * part + 10).get_json()
    if mode == "local":
        url = f"/api/v1/uploads/{info['id']}/parts"
        assert "exactly" in assert_error(client.put(f"{url}/1", data=b"x" * 10, headers=auth), 400, "part_rejected")
        assert_error(client.put(f"{url}/3", data=b"x" * 11, headers=auth), 400, "part_rejected")
        assert_error(client.put(f"{url}/4", data=b"x" * 10, headers=auth), 400, "part_rejected")
        assert_error(api.presign(info["id"], [1]), 409, "conflict")  # local parts go to the app
    else:
        assert_error(api.presign(info["id"], [4]), 400, "part_rejected")
        assert_error(client.put(f"/api/v1/uploads/{info['id']}/parts/1", data=b"x" * part, headers=auth), 409,
                     "conflict")  # S3 parts go to the bucket
        # a short part in the bucket is refused at completion, and can be sent again
        api.send(info, 1, b"x" * (part - 1))
        api.send(info, 2, b"y" * part)
        api.send(info, 3, b"z" * 10)
        assert "wrong size" in assert_error(api.complete(info["id"]), 400, "part_rejected")
        api.send(info, 1, b"x" * part)
        assert api.complete(info["id"]).status_code == 200
    assert api.get(info["id"]).status_code == 200


def test_another_institutions_upload_is_not_found(api, app, client, mode, settings):
    mine = api.upload("mine.ply", blob(1000))
    theirs = {"Authorization": f"Bearer {make_key(app, 'Other Museum')}"}
    for method, url in [("get", ""), ("put", "/parts/1"), ("post", "/presign"), ("post", "/complete"), ("delete", "")]:
        kwargs = {"json": {"numbers": [1]}} if url == "/presign" else {}
        r = getattr(client, method)(f"/api/v1/uploads/{mine['id']}{url}", headers=theirs, **kwargs)
        assert_error(r, 404, "upload_not_found")
    assert_error(Api(client, theirs).artefact([mine["id"]]), 404, "upload_not_found")
    assert api.get(mine["id"]).get_json()["state"] == "complete"


@pytest.mark.parametrize(("filename", "status"), [
    pytest.param("../../etc/passwd", 201, id="path"),
    pytest.param("..", 400, id="dots"),
    pytest.param("a\x00b.ply", 400, id="nul"),
    pytest.param("x" * 300, 400, id="long"),
])
def test_file_names_keep_only_a_safe_basename(api, filename, status):
    r = api.create(filename, 10)
    assert r.status_code == status, r.get_data(as_text=True)
    if status == 201:
        assert r.get_json()["filename"] == "passwd"


def test_oversized_uploads_are_refused_with_one_sentence(api, settings):
    message = assert_error(api.create("huge.e57", settings.max_upload_mb * MB + 1), 413, "upload_too_large")
    assert "over the limit of 64 MB" in message and message.count(". ") == 0
    assert_error(api.create("empty.ply", 0), 400, "bad_request")


def test_an_artefact_from_uploads_is_queued_with_its_original_stored(api, app, obj_zip):
    data = obj_zip.read_bytes()
    done = api.upload("box.zip", data)
    r = api.artefact([done["id"]])
    assert r.status_code == 202, r.get_data(as_text=True)
    art_id = r.get_json()["id"]
    store = app.extensions["store"]
    digest = hashlib.sha256(data).hexdigest()
    assert store.keys(f"originals/{art_id}/") == [f"originals/{art_id}/{digest}/box.zip"]
    assert store.get(f"originals/{art_id}/{digest}/box.zip") == data
    assert store.keys("uploads/") == []  # S3: moved, not copied
    assert not list(Path(app.config["SETTINGS"].data_dir, "uploads").glob("*"))  # local: moved too
    state = api.get(done["id"]).get_json()
    assert (state["state"], state["artefact_id"]) == ("consumed", art_id)
    with app.extensions["db_sessions"]() as db:
        assert db.scalar(select(Job.state).where(Job.artefact_id == art_id)) == "queued"
    assert run_jobs(app) == 1
    art = api.client.get(f"/api/v1/artefacts/{art_id}", headers=api.auth).get_json()
    assert art["status"] == "ready" and art["derivatives"]["master.glb"]["faces"] == 12
    # the upload is used up: a second artefact cannot take it
    message = assert_error(api.artefact([done["id"]]), 409, "conflict")
    assert art_id in message
    assert_error(api.client.delete(f"/api/v1/uploads/{done['id']}", headers=api.auth), 409, "conflict")


def test_upload_ids_are_checked_before_anything_is_made(api, client, auth):
    opened = api.create("open.ply", 100).get_json()
    assert "not complete" in assert_error(api.artefact([opened["id"]]), 409, "conflict")
    assert_error(api.artefact(["0" * 32]), 404, "upload_not_found")
    assert_error(api.artefact([]), 400, "bad_request")
    done = api.upload("a.ply", blob(100))
    assert_error(api.artefact([done["id"], done["id"]]), 400, "bad_request")
    assert_error(api.artefact([done["id"]], metadata={"title": {}}), 400, "invalid_metadata")
    assert client.get("/api/v1/artefacts", headers=auth).get_json()["total"] == 0
    assert api.get(done["id"]).get_json()["state"] == "complete"  # still usable


def test_upload_ids_as_a_form_field(api, client, auth, obj_zip):
    done = api.upload("box.zip", obj_zip.read_bytes())
    r = client.post("/api/v1/artefacts", headers=auth, content_type="multipart/form-data",
                    data={"upload_ids": json.dumps([done["id"]]), "metadata": json.dumps(META)})
    assert r.status_code == 202, r.get_data(as_text=True)


def test_same_files_as_an_earlier_artefact_are_a_duplicate(api, client, auth, obj_zip):
    with open(obj_zip, "rb") as f:
        first = client.post("/api/v1/artefacts", headers=auth, content_type="multipart/form-data",
                            data={"file": (f, "box.zip"), "metadata": json.dumps(META)}).get_json()
    done = api.upload("box.zip", obj_zip.read_bytes())
    again = api.artefact([done["id"]])
    assert again.status_code == 200 and again.get_json() == {**again.get_json(), "id": first["id"], "duplicate": True}
    assert api.get(done["id"]).get_json()["state"] == "consumed"


def test_delete_aborts_and_frees_the_space(api, app, client, auth, mode):
    info = api.create("scan.ply", 2000).get_json()
    api.send(info, 1, blob(2000))
    assert client.delete(f"/api/v1/uploads/{info['id']}", headers=auth).status_code == 204
    assert_error(api.get(info["id"]), 404, "upload_not_found")
    assert_error(api.complete(info["id"]), 404, "upload_not_found")
    if mode == "local":
        assert not (Path(app.config["SETTINGS"].data_dir) / "uploads" / info["id"]).exists()
    else:
        store = app.extensions["store"]
        assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_stale_uploads_expire_when_the_next_one_is_created(api, app, mode):
    stale = api.create("old.ply", 2000).get_json()
    api.send(stale, 1, blob(2000))
    stuck = api.upload("stuck.ply", blob(100))  # taken by an artefact request that was killed
    fresh = api.upload("fresh.ply", blob(100))
    with app.extensions["db_sessions"]() as db:
        for upload_id, state in ((stale["id"], "open"), (stuck["id"], "consuming")):
            row = db.get(Upload, upload_id)
            row.expires_at, row.state = dt.datetime(2000, 1, 1), state
        db.commit()
    api.create("new.ply", 10)
    assert [api.get(u["id"]).get_json()["state"] for u in (stale, stuck, fresh)] == ["expired", "expired", "complete"]
    if mode == "local":
        assert not (Path(app.config["SETTINGS"].data_dir) / "uploads" / stale["id"]).exists()
    else:
        store = app.extensions["store"]
        assert store.keys("uploads/") == [f"uploads/{fresh['id']}/fresh.ply"]


@pytest.fixture
def live_local(tmp_path):
    settings = Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=False, previews=False,
                        upload_part_mb=1)
    server = LiveServer(create_app(settings))
    yield server
    server.stop()
    _stop(server.app)


def test_a_part_cut_off_mid_body_is_missing_until_sent_again(live_local):
    """Over a real socket: half a part, then the connection closes; the server keeps nothing of it."""
    auth = {"Authorization": f"Bearer {make_key(live_local.app)}"}
    data = blob(2 * MB)
    info = requests.post(f"{live_local.url}/api/v1/uploads", json={"filename": "a.ply", "size": len(data)},
                         headers=auth, timeout=10).json()
    target = urlsplit(live_local.url)
    with socket.create_connection((target.hostname, target.port), timeout=10) as sock:
        head = (f"PUT /api/v1/uploads/{info['id']}/parts/1 HTTP/1.1\r\nHost: {target.netloc}\r\n"
                f"Authorization: {auth['Authorization']}\r\nContent-Length: {MB}\r\n\r\n")
        sock.sendall(head.encode() + data[:MB // 2])
    parts = requests.get(f"{live_local.url}/api/v1/uploads/{info['id']}", headers=auth, timeout=10).json()["parts"]
    assert parts == []
    for n in (1, 2):
        r = requests.put(f"{live_local.url}/api/v1/uploads/{info['id']}/parts/{n}", headers=auth, timeout=10,
                         data=data[(n - 1) * MB: n * MB])
        assert r.status_code == 200, r.text
    done = requests.post(f"{live_local.url}/api/v1/uploads/{info['id']}/complete", headers=auth, timeout=30).json()
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    assert os.path.getsize(Path(live_local.app.config["SETTINGS"].data_dir) / "uploads" / info["id"]) == len(data)


def test_parts_have_their_own_rate_limit(tmp_path):
    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                              upload_part_mb=1, ratelimit_api_parts="2/minute", ratelimit_api_write="100/minute"))
    try:
        auth = {"Authorization": f"Bearer {make_key(app)}"}
        api = Api(app.test_client(), auth)
        info = api.create("a.ply", 3 * MB).get_json()
        for n in (1, 2):
            api.send(info, n, b"x" * MB)
        r = api.client.put(f"/api/v1/uploads/{info['id']}/parts/3", data=b"x" * MB, headers=auth)
        assert r.status_code == 429 and r.headers["Retry-After"]
        assert api.get(info["id"]).status_code == 200  # reads and other writes keep their own budgets
        assert api.create("b.ply", 10).status_code == 201
    finally:
        _stop(app)


@pytest.mark.integration
def test_the_whole_flow_on_postgresql(tmp_path, pg_schema, obj_zip):
    from tests.servers import pg_schema_url

    app = create_app(Settings(data_dir=str(tmp_path / "var"), database_url=pg_schema_url(pg_schema), testing=True,
                              start_worker=False, previews=False, upload_part_mb=1))
    try:
        api = Api(app.test_client(), {"Authorization": f"Bearer {make_key(app)}"})
        data = obj_zip.read_bytes() + b"\0" * (MB + 5)  # two parts; a zip tolerates trailing bytes
        info = api.create("box.zip", len(data)).get_json()
        api.send(info, 2, data[MB:])
        api.send(info, 2, data[MB:])
        api.send(info, 1, data[:MB])
        assert [p["number"] for p in api.get(info["id"]).get_json()["parts"]] == [1, 2]
        assert api.complete(info["id"]).get_json()["sha256"] == hashlib.sha256(data).hexdigest()
        r = api.artefact([info["id"]])
        assert r.status_code == 202, r.get_data(as_text=True)
        assert_error(api.artefact([info["id"]]), 409, "conflict")
    finally:
        _stop(app)
