"""The HTTP client: streamed multipart uploads, retries with backoff on 5xx and lost connections, final 4xx."""

from __future__ import annotations

import json
import threading

import pytest
import requests
from werkzeug.serving import make_server

from service.batch.client import Api
from service.batch.client import MultipartFile
from service.batch.progress import QuietDisplay
from service.batch.run import BatchConfig
from service.batch.run import run_batch
from service.errors import ServerUnreachable
from service.errors import UploadRejected
from tests.batch.conftest import server_artefacts
from tests.conftest import make_key

META = {"title": {"vi": "Hộp gỗ", "en": "Box"}, "licence": "CC0-1.0"}


class Flaky:
    """WSGI middleware for a bad network: the first `failures` POSTs read the body and answer 503 (a proxy
    restarting); the next `lost` POSTs reach the app but the answer is lost (502 instead)."""

    def __init__(self, app, failures: int, lost: int = 0) -> None:
        self.app = app
        self.failures = failures
        self.lost = lost
        self.posts = 0

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            self.posts += 1
            if self.posts <= self.failures:
                environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"upstream restarting"]
            if self.posts <= self.failures + self.lost:
                answer = self.app(environ, lambda *a, **k: None)
                b"".join(answer)
                answer.close()  # WSGI: lets Flask close the request's temporary upload files
                start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
                return [b"connection reset by peer"]
        return self.app(environ, start_response)


@pytest.fixture
def flaky(app):
    middleware = Flaky(app, failures=2)
    server = make_server("127.0.0.1", 0, middleware, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    middleware.url = f"http://127.0.0.1:{server.server_port}"
    yield middleware
    server.shutdown()
    thread.join(timeout=10)


def test_upload_retries_5xx_with_backoff_and_creates_one_artefact(flaky, app, obj_zip):
    key = make_key(app)
    api = Api(flaky.url, key, retries=3, backoff=0.05)
    sent = []
    answer = api.upload([("hộp gỗ.zip", obj_zip)], META, on_bytes=sent.append, on_retry=lambda: sent.clear())
    assert flaky.posts == 3
    assert answer["status"] == "queued" and answer["duplicate"] is False
    assert sum(sent) == len(MultipartFile([("hộp gỗ.zip", obj_zip)], META))
    again = api.upload([("hộp gỗ.zip", obj_zip)], META)
    assert again["id"] == answer["id"] and again["duplicate"] is True
    items = server_artefacts(flaky.url, key)
    assert len(items) == 1 and items[0]["metadata"]["title"] == META["title"]


def test_multipart_body_is_what_a_browser_sends(obj_zip):
    body = MultipartFile([("a.zip", obj_zip)], META)
    data = b""
    while chunk := body.read(1000):
        data += chunk
    assert len(data) == len(body)
    assert b'name="file"; filename="a.zip"' in data and obj_zip.read_bytes() in data
    assert json.dumps(META, ensure_ascii=False).encode() in data
    assert data.endswith(f"--{body.boundary}--\r\n".encode())


def test_gives_up_with_an_actionable_message():
    api = Api("http://127.0.0.1:9", "k", retries=2, backoff=0.01)
    with pytest.raises(ServerUnreachable, match="gave up after 3 attempts.*run the same command again"):
        api.get("/api/v1/artefacts")


def test_a_wrong_key_stops_the_run(flaky, collection, tmp_path):
    flaky.failures = 0
    with pytest.raises(UploadRejected, match="401") as e:
        run_batch(BatchConfig(source=collection, server=flaky.url, key="wrong", report_dir=tmp_path / "r"),
                  QuietDisplay())
    assert e.value.context["http_status"] == 401


def test_an_answer_lost_on_the_way_back_is_not_a_second_artefact(flaky, app, obj_zip):
    flaky.failures, flaky.lost = 0, 1
    key = make_key(app)
    answer = Api(flaky.url, key, retries=2, backoff=0.01).upload([("a.zip", obj_zip)], META)
    assert flaky.posts == 2 and answer["duplicate"] is True
    assert [a["id"] for a in server_artefacts(flaky.url, key)] == [answer["id"]]


def test_network_down_then_back_resumes(flaky, app, collection, tmp_path):
    key = make_key(app)
    flaky.failures = 10**6
    config = BatchConfig(source=collection, server=flaky.url, key=key, retries=1, backoff=0.01, wait=False,
                         report_dir=tmp_path / "r", concurrency=2)
    down = run_batch(config, QuietDisplay())
    assert down.counts == {"interrupted": 5}
    assert "run the same command again" in down.rows[0]["error"]
    assert server_artefacts(flaky.url, key) == []
    flaky.failures, flaky.posts = 0, 0
    up = run_batch(config, QuietDisplay())
    assert up.counts == {"queued": 5} and flaky.posts == 5
    again = run_batch(config, QuietDisplay())
    assert again.counts == {"queued": 5} and flaky.posts == 5  # nothing sent twice
    assert len(server_artefacts(flaky.url, key)) == 5


def test_an_artefact_deleted_on_the_server_is_uploaded_anew(flaky, app, obj_zip, tmp_path):
    from tests.batch.collection import write_csv
    from tests.conftest import run_jobs

    flaky.failures = 0
    key = make_key(app)
    manifest = write_csv([{"accession_number": "X-1", "title_vi": "Hộp", "licence": "CC0-1.0",
                           "files": str(obj_zip)}], tmp_path / "m.csv")
    config = BatchConfig(source=manifest, server=flaky.url, key=key, wait=False, poll=0.05, timeout=10,
                         report_dir=tmp_path / "r")
    first = run_batch(config, QuietDisplay()).rows[0]
    assert requests.delete(f"{flaky.url}/api/v1/artefacts/{first['artefact_id']}",
                           headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 204
    assert run_jobs(app) == 1  # the worker finds the artefact gone and fails its job at once
    config.wait = True
    gone = run_batch(config, QuietDisplay()).rows[0]
    assert gone["status"] == "interrupted" and "gone from the server" in gone["error"]
    config.wait = False
    again = run_batch(config, QuietDisplay()).rows[0]
    assert again["status"] == "queued" and again["artefact_id"] not in ("", first["artefact_id"])
    assert [a["id"] for a in server_artefacts(flaky.url, key)] == [again["artefact_id"]]
