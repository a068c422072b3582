"""Webhooks: signed, delivered after the version is published, retried when the receiver fails."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.cli import cli
from service.db import make_engine
from service.db.models import Institution
from service.jobs.webhooks import SIGNATURE_HEADER
from service.jobs.webhooks import deliver
from service.jobs.webhooks import verify
from tests.conftest import run_jobs
from tests.conftest import wait_for


class Receiver:
    """A local HTTP endpoint that records requests and fails the first `fail` of them."""

    def __init__(self, fail: int = 0) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = 503 if outer.fail > 0 else 200
                outer.fail -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_ready_event_is_signed_and_delivered(app, client, auth, obj_zip, tmp_path, monkeypatch):
    receiver = Receiver()
    try:
        monkeypatch.setenv("HERITAGE_AR_DATA_DIR", app.config["SETTINGS"].data_dir)
        result = CliRunner().invoke(cli, ["webhooks", "set", "--institution", "Bảo tàng Lịch sử Quốc gia",
                                          "--url", receiver.url])
        assert result.exit_code == 0, result.output
        secret = result.output.strip()
        data = {"file": (open(obj_zip, "rb"), "box.zip"), "metadata": json.dumps({"title": {"en": "Box"}})}
        created = client.post("/api/v1/artefacts", data=data, headers=auth).get_json()
        run_jobs(app)
        wait_for(lambda: receiver.requests, timeout=20)
        headers, body = receiver.requests[0]
        assert verify(secret, headers[SIGNATURE_HEADER], body)
        assert not verify(secret + "x", headers[SIGNATURE_HEADER], body)
        event = json.loads(body)
        assert event["event"] == "artefact.ready" and event["artefact_id"] == created["id"]
        assert event["status"] == "ready" and event["version"] == 1
        engine = make_engine(app.config["SETTINGS"].database_url)
        with Session(engine) as db:
            assert db.scalar(select(Institution.webhook_secret)) == secret
        engine.dispose()
    finally:
        receiver.close()


def test_delivery_retries_until_accepted():
    receiver = Receiver(fail=2)
    try:
        ok = deliver(receiver.url, "s3cret", {"event": "artefact.failed", "artefact_id": "x"}, delays=(0, 0.1, 0.1))
        assert ok and len(receiver.requests) == 3
    finally:
        receiver.close()


def test_delivery_gives_up_after_the_last_retry():
    receiver = Receiver(fail=10)
    try:
        assert not deliver(receiver.url, "s3cret", {"event": "artefact.ready"}, delays=(0, 0.05))
        assert len(receiver.requests) == 2
    finally:
        receiver.close()
