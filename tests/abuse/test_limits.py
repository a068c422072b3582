"""Rate limits: per key for the API, per address for public endpoints and failed authentication; quotas."""

from __future__ import annotations

import io
import json
import os

import pytest
from werkzeug.test import EnvironBuilder

from service import create_app
from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key


@pytest.fixture
def make_app(tmp_path):
    """make_app(**settings) -> (app, client); apps are stopped afterwards."""
    apps = []

    def make(**overrides):
        app = create_app(Settings(data_dir=str(tmp_path / f"var{len(apps)}"), testing=True, start_worker=False,
                                  previews=False, **overrides))
        apps.append(app)
        return app, app.test_client()

    yield make
    for app in apps:
        _stop(app)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_limited(response, code: str = "rate_limited") -> int:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 3600
    return retry


def test_reads_are_limited_per_key(make_app):
    app, client = make_app(ratelimit_api_read="3/minute")
    key, other = make_key(app), make_key(app, "Other museum")
    for _ in range(3):
        r = client.get("/api/v1/artefacts", headers=bearer(key))
        assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "3"
    retry = assert_limited(client.get("/api/v1/artefacts", headers=bearer(key)))
    assert retry <= 60
    assert client.get("/api/v1/jobs/x", headers=bearer(key)).status_code == 429  # one budget for all reads
    assert client.get("/api/v1/artefacts", headers=bearer(other)).status_code == 200  # per key, not global


def test_writes_and_uploads_have_their_own_budgets(make_app):
    app, client = make_app(ratelimit_api_write="2/minute", ratelimit_api_upload="1/minute")
    key = bearer(make_key(app))
    for _ in range(2):
        assert client.patch("/api/v1/artefacts/nope", json={"title": {"en": "x"}}, headers=key).status_code == 404
    assert_limited(client.delete("/api/v1/artefacts/nope", headers=key))
    assert client.post("/api/v1/artefacts", data={}, headers=key).status_code == 400  # upload budget untouched
    assert_limited(client.post("/api/v1/artefacts", data={}, headers=key))
    assert client.get("/api/v1/artefacts", headers=key).status_code == 200  # reads untouched


def test_public_endpoints_are_limited_per_address(make_app):
    app, client = make_app(ratelimit_public="2/minute")
    assert client.get("/s/nothing").status_code == 404
    assert client.get("/qr/nothing.svg").status_code == 404
    assert_limited(client.get("/oembed?url=http://localhost/ar/x"))
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/s/nothing", environ_base=other).status_code == 404


@pytest.mark.parametrize("path", ["/iiif/nothing/manifest.json", "/edm/nothing.xml", "/voyager/nothing/scene.svx.json",
                                  "/verify"])
def test_exports_and_verify_share_the_public_budget(make_app, path):
    app, client = make_app(ratelimit_public="2/minute")
    here = {"REMOTE_ADDR": f"198.51.100.{len(path)}"}  # an address of its own: the limiter outlives one app
    assert client.get("/s/nothing", environ_base=here).status_code == 404
    assert client.get(path, environ_base=here).status_code in (200, 404)
    assert_limited(client.get(path, environ_base=here))


def test_failed_authentication_is_limited_per_address(make_app):
    app, client = make_app(ratelimit_auth_failures="3/minute")
    good = bearer(make_key(app))
    for i in range(3):
        assert client.get("/api/v1/artefacts", headers=bearer(f"har_guess{i}")).status_code == 401
    assert_limited(client.get("/api/v1/artefacts", headers=bearer("har_guess9")))
    # the address is blocked for a while, whatever key it sends; other addresses are not
    assert client.get("/api/v1/artefacts", headers=good).status_code == 429
    assert client.get("/api/v1/artefacts", headers=good, environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_app):
    for proxies, distinct in ((0, False), (1, True)):
        app, client = make_app(ratelimit_public="1/minute", trusted_proxies=proxies)
        assert client.get("/s/x", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 404
        second = client.get("/s/x", headers={"X-Forwarded-For": "192.0.2.2"})
        assert (second.status_code == 404) is distinct, proxies


def test_limits_can_be_switched_off(make_app):
    app, client = make_app(ratelimit_public="1/minute", ratelimit_enabled=False)
    assert [client.get("/s/x").status_code for _ in range(3)] == [404, 404, 404]


def upload(client, key, name: str, data: bytes):
    builder = EnvironBuilder(path="/api/v1/artefacts", method="POST", headers=key, data={
        "file": (io.BytesIO(data), name), "metadata": json.dumps({"title": {"en": name}})})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:  # the test client spools large bodies to a temporary file nobody else closes
        environ["wsgi.input"].close()
        builder.close()


def test_queued_jobs_beyond_the_limit_get_429(make_app, obj_zip):
    app, client = make_app(max_queued_jobs=1)
    key = bearer(make_key(app))
    assert upload(client, key, "box.zip", obj_zip.read_bytes()).status_code == 202
    r = upload(client, key, "box2.zip", obj_zip.read_bytes() + b"\0")
    assert_limited(r, "queue_full")
    assert r.get_json()["error"]["details"] == {"queued": 1, "max_queued": 1}
    usage = client.get("/api/v1/usage", headers=key).get_json()
    assert usage["jobs"] == {"queued": 1, "running": 0, "max_queued": 1, "max_running": 2}
    assert usage["storage"]["used_bytes"] == obj_zip.stat().st_size


def test_storage_quota_is_enforced_and_visible(make_app):
    app, client = make_app(storage_quota_mb=1)
    key = bearer(make_key(app))
    r = upload(client, key, "huge.ply", os.urandom(1024 * 1024 + 10))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "storage_quota_exceeded"
    usage = client.get("/api/v1/usage", headers=key).get_json()
    assert usage["storage"] == {"used_bytes": 0, "quota_bytes": 1024 * 1024}


@pytest.mark.integration
def test_counters_live_in_redis_at_scale(make_app):
    import random

    import redis

    redis_url = f"redis://127.0.0.1:6379/{random.randint(8, 15)}"
    app, client = make_app(queue="celery", redis_url=redis_url, ratelimit_public="2/minute")
    assert app.config["SETTINGS"].ratelimit_storage == redis_url
    address = {"REMOTE_ADDR": f"192.0.2.{random.randint(1, 254)}"}
    assert [client.get("/s/x", environ_base=address).status_code for _ in range(3)] == [404, 404, 429]
    # a second app process on the same Redis sees the same counters
    _, second = make_app(queue="celery", redis_url=redis_url, ratelimit_public="2/minute")
    assert second.get("/s/x", environ_base=address).status_code == 429
    assert any(b"heritage-ar" in k for k in redis.Redis.from_url(redis_url).keys("*"))


def test_requests_are_served_when_the_limit_storage_is_down(make_app, caplog):
    app, client = make_app(ratelimit_storage="redis://127.0.0.1:9/0", ratelimit_public="1/minute")
    assert [client.get("/s/x").status_code for _ in range(2)] == [404, 404]
    assert client.get("/api/v1/artefacts", headers=bearer("har_wrong")).status_code == 401
    assert client.get("/api/v1/artefacts", headers=bearer(make_key(app))).status_code == 200
    assert "limits: storage unreachable" in caplog.text
