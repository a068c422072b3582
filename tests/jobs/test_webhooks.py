"""Webhooks: durable delivery rows, signed, retried with backoff, no redirects, no private addresses."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from service import create_app
from service.cli import cli
from service.config import Settings
from service.db import make_engine
from service.db.models import Institution
from service.db.models import WebhookDelivery
from service.db.models import utcnow
from service.jobs import webhooks
from service.jobs.webhooks import SIGNATURE_HEADER
from service.jobs.webhooks import UnsafeDestination
from service.jobs.webhooks import process_due
from service.jobs.webhooks import record
from service.jobs.webhooks import resolve_safe
from service.jobs.webhooks import verify
from tests.conftest import _stop
from tests.conftest import run_jobs
from tests.conftest import wait_for

MUSEUM = "Bảo tàng Lịch sử Quốc gia"


class Receiver:
    """A local HTTP endpoint that records requests; fails the first `fail`, or redirects when `redirect` is set."""

    def __init__(self, fail: int = 0, redirect: str | None = None) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                if redirect:
                    self.send_response(307)
                    self.send_header("Location", redirect)
                else:
                    self.send_response(503 if outer.fail > 0 else 200)
                outer.fail -= 1
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def local_settings(settings: Settings, **kw) -> Settings:
    """Settings that allow http and loopback receivers (the operator's development allowance)."""
    settings.webhook_allow_http = True
    settings.webhook_allow_private = True
    for k, v in kw.items():
        setattr(settings, k, v)
    return settings


def set_hook(app, url: str, secret: str = "whsec_test") -> None:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        inst = db.scalar(select(Institution).where(Institution.name == MUSEUM)) or Institution(name=MUSEUM)
        inst.webhook_url, inst.webhook_secret = url, secret
        db.add(inst)
        db.commit()
    engine.dispose()


def add_delivery(app, event: dict) -> str:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        inst = db.scalar(select(Institution).where(Institution.name == MUSEUM))
        delivery = record(db, inst, event)
        db.commit()
        delivery_id = delivery.id
    engine.dispose()
    return delivery_id


def deliveries(app) -> list[WebhookDelivery]:
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine, expire_on_commit=False) as db:
        rows = list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))
    engine.dispose()
    return rows


def make_due(app) -> None:
    """Move every pending delivery's next attempt to now (instead of waiting out the backoff)."""
    engine = make_engine(app.config["SETTINGS"].database_url)
    with Session(engine) as db:
        db.execute(update(WebhookDelivery).where(WebhookDelivery.state == "pending")
                   .values(next_attempt_at=utcnow()))
        db.commit()
    engine.dispose()


def send_due(app) -> int:
    ctx = app.extensions["job_context"]
    return process_due(ctx.sessions, app.config["SETTINGS"])


@pytest.fixture
def settings(tmp_path) -> Settings:
    return local_settings(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False))


def test_ready_event_is_signed_and_delivered(app, client, auth, obj_zip, monkeypatch):
    receiver = Receiver()
    try:
        monkeypatch.setenv("HERITAGE_AR_DATA_DIR", app.config["SETTINGS"].data_dir)
        monkeypatch.setenv("HERITAGE_AR_WEBHOOK_ALLOW_HTTP", "true")
        result = CliRunner().invoke(cli, ["webhooks", "set", "--institution", MUSEUM, "--url", receiver.url])
        assert result.exit_code == 0, result.output
        secret = result.output.strip()
        data = {"file": (open(obj_zip, "rb"), "box.zip"), "metadata": json.dumps({"title": {"en": "Box"}})}
        created = client.post("/api/v1/artefacts", data=data, headers=auth).get_json()
        run_jobs(app)
        [row] = deliveries(app)
        assert row.state == "pending" and row.event == "artefact.ready"  # recorded with the job's outcome
        assert send_due(app) == 1
        headers, body = receiver.requests[0]
        assert verify(secret, headers[SIGNATURE_HEADER], body)
        assert not verify(secret + "x", headers[SIGNATURE_HEADER], body)
        assert headers["X-Heritage-AR-Delivery"] == row.id
        event = json.loads(body)
        assert event["event"] == "artefact.ready" and event["artefact_id"] == created["id"]
        assert event["status"] == "ready" and event["version"] == 1
        listed = client.get("/api/v1/webhooks/deliveries", headers=auth).get_json()
        assert [(d["id"], d["state"], d["last_status"]) for d in listed["items"]] == [(row.id, "delivered", 200)]
    finally:
        receiver.close()


def test_failed_attempts_back_off_then_succeed(app, monkeypatch):
    receiver = Receiver(fail=2)
    monkeypatch.setattr(webhooks, "BACKOFF", (0, 0, 0, 0))
    try:
        set_hook(app, receiver.url)
        delivery_id = add_delivery(app, {"event": "artefact.failed", "artefact_id": "x"})
        for _ in range(3):
            send_due(app)
        [row] = deliveries(app)
        assert (row.id, row.state, row.attempts, row.last_status) == (delivery_id, "delivered", 3, 200)
        assert len(receiver.requests) == 3
    finally:
        receiver.close()


def test_backoff_schedules_the_next_attempt_and_gives_up(app, monkeypatch):
    receiver = Receiver(fail=100)
    try:
        set_hook(app, receiver.url)
        add_delivery(app, {"event": "artefact.ready", "artefact_id": "x"})
        assert send_due(app) == 1
        assert send_due(app) == 0  # the next attempt waits BACKOFF[1] seconds
        [row] = deliveries(app)
        assert row.state == "pending" and row.last_status == 503 and row.next_attempt_at > row.last_attempt_at
        monkeypatch.setattr(webhooks, "BACKOFF", (0, 0))
        make_due(app)
        send_due(app)
        [row] = deliveries(app)
        assert row.state == "failed" and row.attempts == 2 and len(receiver.requests) == 2
    finally:
        receiver.close()


def test_redirect_is_not_followed(app):
    target = Receiver()
    redirector = Receiver(redirect=target.url)
    try:
        set_hook(app, redirector.url)
        add_delivery(app, {"event": "artefact.ready", "artefact_id": "x"})
        send_due(app)
        [row] = deliveries(app)
        assert row.state == "pending" and row.last_status == 307 and "redirects are not followed" in row.last_error
        assert len(redirector.requests) == 1 and target.requests == []
    finally:
        target.close()
        redirector.close()


def test_loopback_destination_is_refused_without_the_operator_allowance(app):
    receiver = Receiver()
    app.config["SETTINGS"].webhook_allow_private = False
    try:
        set_hook(app, receiver.url)
        add_delivery(app, {"event": "artefact.ready", "artefact_id": "x"})
        send_due(app)
        [row] = deliveries(app)
        assert row.state == "pending" and row.last_status is None and "127.0.0.1" in row.last_error
        assert receiver.requests == []
    finally:
        receiver.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "192.168.0.1", "::1",
                                  "::ffff:127.0.0.1", "0.0.0.0"])
def test_private_addresses_are_refused(host):
    with pytest.raises(UnsafeDestination):
        resolve_safe(host, 443, allow_private=False)
    assert resolve_safe(host, 443, allow_private=True)


def test_plain_http_needs_the_development_setting():
    with pytest.raises(UnsafeDestination, match="https"):
        webhooks.check_url("http://example.org/hook", allow_http=False)
    with pytest.raises(UnsafeDestination):
        webhooks.check_url("ftp://example.org/hook", allow_http=True)
    webhooks.check_url("https://example.org/hook", allow_http=False)


def test_pending_delivery_is_delivered_after_a_restart(settings):
    receiver = Receiver()
    try:
        first = create_app(settings)  # no worker: the delivery stays pending, as when a process dies
        set_hook(first, receiver.url)
        add_delivery(first, {"event": "artefact.ready", "artefact_id": "before-restart"})
        _stop(first)
        assert receiver.requests == []
        restarted = create_app(local_settings(Settings(data_dir=settings.data_dir, testing=True, start_worker=True,
                                                       previews=False)))
        try:
            wait_for(lambda: receiver.requests, timeout=20)
            assert json.loads(receiver.requests[0][1])["artefact_id"] == "before-restart"
            wait_for(lambda: deliveries(restarted)[0].state == "delivered", timeout=10)
        finally:
            _stop(restarted)
    finally:
        receiver.close()


def test_resend_creates_a_new_delivery(app, client, auth):
    receiver = Receiver()
    try:
        set_hook(app, receiver.url)
        first = add_delivery(app, {"event": "artefact.ready", "artefact_id": "x"})
        send_due(app)
        r = client.post(f"/api/v1/webhooks/deliveries/{first}/resend", headers=auth)
        assert r.status_code == 202 and r.get_json()["state"] == "pending" and r.get_json()["id"] != first
        send_due(app)
        assert len(receiver.requests) == 2
        assert json.loads(receiver.requests[1][1]) == json.loads(receiver.requests[0][1])
        assert client.post("/api/v1/webhooks/deliveries/nope/resend", headers=auth).status_code == 404
        one = client.get(f"/api/v1/webhooks/deliveries/{first}", headers=auth).get_json()
        assert one["state"] == "delivered" and one["attempts"] == 1
    finally:
        receiver.close()
