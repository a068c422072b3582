"""Published pages (byte-identical, ETag/304, PATCH, withdrawal) and batched counters (memory and Redis)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

from service import create_app
from service.api.viewer_publish import render_forms
from service.config import Settings
from service.counters import RedisCounts
from service.db import get_db
from service.db.models import Artefact
from service.db.queries import current_version
from service.publish import PREFIX
from service.storage import get_store
from tests.conftest import _stop
from tests.viewer.helpers import META
from tests.viewer.helpers import fetch
from tests.viewer.helpers import path_of

FORMS = ("share.html", "embed.html", "oembed-vi.json", "oembed-en.json", "qr-d.svg", "qr-d.png", "qr-240.svg",
         "qr-240-c.svg", "qr-1024-c.png")


def _slug(art) -> str:
    return art["links"]["share"].rsplit("/", 1)[1]


def _fresh(app, art_id: str) -> dict:
    """Every form rendered now, outside the publish path."""
    with app.test_request_context(base_url="http://localhost/"):
        db = get_db()
        artefact = db.get(Artefact, art_id)
        return {name: body for name, (body, *_rest) in render_forms(artefact, current_version(db, artefact),
                                                                     "http://localhost").items()}


def test_published_forms_are_byte_identical_to_a_fresh_render(ready):
    client, art, slug = ready.client, ready.art, _slug(ready.art)
    share = client.get(f"/ar/{slug}")
    assert share.status_code == 200 and share.mimetype == "text/html"
    fresh = _fresh(ready.app, art["id"])
    assert set(fresh) == set(FORMS)
    assert share.get_data() == fresh["share.html"]
    assert client.get(f"/embed/{slug}").get_data() == fresh["embed.html"]
    assert client.get(f"/oembed?url={art['links']['share']}&lang=en").get_data() == fresh["oembed-en.json"]
    assert client.get(f"/qr/{slug}.svg?size=240&caption=1").get_data() == fresh["qr-240-c.svg"]
    assert client.get(f"/qr/{slug}.png").get_data() == fresh["qr-d.png"]
    with ready.app.app_context():
        stored = get_store().keys(f"{PREFIX}a/{slug}/localhost/")
    assert {k.rsplit("/", 1)[1] for k in stored} == set(FORMS) | {f + ".meta.json" for f in FORMS}


def test_strong_etag_304_and_cdn_cache_control(ready):
    client, slug = ready.client, _slug(ready.art)
    for path in (f"/ar/{slug}", f"/embed/{slug}", f"/qr/{slug}.svg", f"/oembed?url={ready.art['links']['short']}"):
        first = client.get(path)
        etag = first.headers["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/"), path
        control = first.headers["Cache-Control"]
        assert "s-maxage=30" in control and "stale-while-revalidate=30" in control and "max-age=20" in control
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
        assert client.head(path).headers["Content-Length"] == str(len(first.get_data()))
    headers = client.get(f"/ar/{slug}").headers
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"] and "Vary" not in headers
    assert "frame-ancestors *" in client.get(f"/embed/{slug}").headers["Content-Security-Policy"]


def test_patch_rebuilds_the_page_at_once_and_other_processes_within_their_ttl(make_ready):
    one = make_ready()
    other = create_app(Settings(data_dir=one.app.config["SETTINGS"].data_dir, testing=True, start_worker=False,
                                previews=False, publish_ttl_seconds=1))
    try:
        share = path_of(one.art["links"]["share"])
        before = one.client.get(share).get_data(as_text=True)
        assert META["title"]["vi"] in other.test_client().get(share).get_data(as_text=True)  # cached there now
        resp = one.client.patch(path_of(one.art["links"]["self"]), json={"title": {"vi": "Hộp sơn son"}},
                                headers=one.auth)
        assert resp.status_code == 200
        after = one.client.get(share).get_data(as_text=True)
        assert after != before and "Hộp sơn son" in after and META["title"]["vi"] not in after
        time.sleep(1.2)  # the other process's memory copy expires (HERITAGE_AR_PUBLISH_TTL_SECONDS)
        assert "Hộp sơn son" in other.test_client().get(share).get_data(as_text=True)
        oembed = one.client.get(f"/oembed?url={one.art['links']['share']}").get_json()
        assert oembed["title"] == "Hộp sơn son"
    finally:
        _stop(other)


def test_private_fields_never_reach_published_forms(ready):
    resp = ready.client.patch(path_of(ready.art["links"]["self"]), json={"donor_phone": "0912 345 678"},
                              headers=ready.auth)
    assert resp.status_code == 200
    slug = _slug(ready.art)
    for path in (f"/ar/{slug}", f"/embed/{slug}", f"/oembed?url={ready.art['links']['share']}"):
        assert "0912 345 678" not in ready.client.get(path).get_data(as_text=True)


def test_withdrawal_removes_every_cached_form(ready):
    client, art, slug = ready.client, ready.art, _slug(ready.art)
    code = art["links"]["short"].rsplit("/", 1)[1]
    paths = [f"/ar/{slug}", f"/embed/{slug}", f"/qr/{slug}.svg", f"/qr/{slug}.png?size=1024&caption=1",
             f"/oembed?url={art['links']['share']}", f"/oembed?url={art['links']['short']}&maxwidth=300", f"/s/{code}"]
    assert [client.get(p).status_code for p in paths] == [200, 200, 200, 200, 200, 200, 302]
    assert client.delete(path_of(art["links"]["self"]), headers=ready.auth).status_code == 204
    assert [client.get(p).status_code for p in paths] == [410, 410, 404, 404, 404, 404, 410]
    with ready.app.app_context():
        assert get_store().keys(f"{PREFIX}a/{slug}/") == [] and get_store().keys(f"{PREFIX}s/{code}") == []
    assert client.post(f"/b/{slug}/view?p=abcdefgh12").status_code == 404


def _beacons(client, slug: str, loads: int, *, repeat: int = 1) -> int:
    """`loads` page loads sending view, load, ar and embed; every beacon sent `repeat` times. Returns beacons sent."""
    sent = 0
    for i in range(loads):
        page_load = f"load{i:08d}"
        for event in ("view", "load", "ar", "embed"):
            for _ in range(repeat):
                extra = "&r=www.Museum.vn" if event == "embed" else ""
                assert client.post(f"/b/{slug}/{event}?p={page_load}{extra}").status_code == 204
                sent += 1
    return sent


def _stats(client, art, auth, **query) -> dict:
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    args = "&".join(f"{k}={v}" for k, v in {"from": today, "to": today, **query}.items())
    resp = client.get(f"/api/v1/artefacts/{art['id']}/stats?{args}", headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_beacons_deduplicated_per_page_load_and_exact_after_a_flush(make_ready):
    ready = make_ready(ratelimit_beacon="1000/minute")  # one test client address sends them all
    client, art, slug = ready.client, ready.art, _slug(ready.art)
    client.get(f"/ar/{slug}")  # published: beacons take the hot path
    sent = _beacons(client, slug, 50, repeat=2)  # every beacon twice: the second of each is a duplicate
    for _ in range(3):
        assert client.post(f"/b/{slug}/view").status_code == 204  # no page-load id (an old page): counted
    code = art["links"]["short"].rsplit("/", 1)[1]
    for _ in range(7):
        assert client.get(f"/s/{code}?q").status_code == 302  # QR scans
    assert client.get(f"/s/{code}").status_code == 302  # a typed short link is not a scan
    assert sent == 400
    assert _stats(client, art, ready.auth)["totals"] == {"view": 0, "load": 0, "ar": 0, "qr": 0, "embed": 0}
    assert ready.app.extensions["flusher"].flush() == 50 * 4 + 3 + 7
    body = _stats(client, art, ready.auth)
    assert body["totals"] == {"view": 53, "load": 50, "ar": 50, "qr": 7, "embed": 50}
    assert body["series"] == [{"date": body["from"], **body["totals"]}]
    assert body["referrers"] == [{"host": "museum.vn", "embed": 50}]
    lifetime = client.get(path_of(art["links"]["self"]), headers=ready.auth).get_json()["stats"]
    assert lifetime == {"page_views": 53, "model_loads": 50, "ar_launches": 50}  # kept equal to the daily rows


def test_counts_survive_a_restart(make_ready):
    one = make_ready()
    slug = _slug(one.art)
    one.client.get(f"/ar/{slug}")
    _beacons(one.client, slug, 10)
    one.app.extensions["flusher"].stop()  # a graceful shutdown writes what is left
    data_dir = one.app.config["SETTINGS"].data_dir
    again = create_app(Settings(data_dir=data_dir, testing=True, start_worker=False, previews=False))
    try:
        assert _stats(again.test_client(), one.art, one.auth)["totals"]["view"] == 10
    finally:
        _stop(again)


def test_stats_api_range_institution_and_errors(ready):
    client, art, auth = ready.client, ready.art, ready.auth
    slug = _slug(art)
    client.get(f"/ar/{slug}")
    _beacons(client, slug, 3)
    ready.app.extensions["flusher"].flush()
    today = dt.datetime.now(dt.timezone.utc).date()
    start = (today - dt.timedelta(days=2)).isoformat()
    body = _stats(client, art, auth, **{"from": start})
    assert body["artefact_id"] == art["id"] and body["from"] == start and body["to"] == today.isoformat()
    assert [d["date"] for d in body["series"]] == [(today - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert [d["view"] for d in body["series"]] == [0, 0, 3]
    inst = client.get(f"/api/v1/stats?from={start}&to={today}", headers=auth).get_json()
    assert inst["totals"]["view"] == 3 and "artefact_id" not in inst and len(inst["series"]) == 3
    # the last two: dates whose default range would leave Python's calendar (schemathesis found a 500 there)
    for query, status in (("from=2026-13-01", 400), (f"from={today}&to={start}", 400), ("from=2020-01-01", 400),
                          ("to=0001-01-01", 400), ("from=9999-12-31&to=9999-12-31", 400)):
        resp = client.get(f"/api/v1/artefacts/{art['id']}/stats?{query}", headers=auth)
        assert resp.status_code == status and resp.get_json()["error"]["code"] == "bad_request", query
    assert client.get(f"/api/v1/artefacts/{art['id']}/stats").status_code == 401
    assert client.get("/api/v1/artefacts/nosuch/stats", headers=auth).status_code == 404


def test_redis_counts_are_shared_deduplicated_and_survive_a_lost_process(make_ready):
    """Two processes share Redis: one page load counted once wherever its beacons land; a crash loses nothing."""
    one = make_ready(ratelimit_enabled=False)
    other = create_app(Settings(data_dir=one.app.config["SETTINGS"].data_dir, testing=True, start_worker=False,
                                previews=False, counter="redis", ratelimit_enabled=False))
    try:
        prefix = f"test:{uuid.uuid4().hex}:"
        for app in (one.app, other):
            app.extensions["flusher"].counts = RedisCounts(one.app.config["SETTINGS"].redis_url, prefix=prefix)
        slug = _slug(one.art)
        two = other.test_client()
        for client in (one.client, two):
            client.get(f"/ar/{slug}")
        _beacons(one.client, slug, 20)
        _beacons(two, slug, 30)  # page loads 0-19 again: duplicates across processes
        # `one` dies here without flushing; its counts are in Redis, and `other` writes them
        assert other.extensions["flusher"].flush() == 30 * 4
        assert other.extensions["flusher"].flush() == 0
        totals = _stats(one.client, one.art, one.auth)["totals"]
        assert totals == {"view": 30, "load": 30, "ar": 30, "qr": 0, "embed": 30}
        redis = other.extensions["flusher"].counts.redis
        assert not list(redis.scan_iter(match=f"{prefix}counts*")) and not list(redis.scan_iter(match=f"{prefix}taken*"))
        for key in redis.scan_iter(match=f"{prefix}*"):
            redis.delete(key)
    finally:
        _stop(other)


def test_a_failed_flush_keeps_the_counts(ready, monkeypatch):
    client, slug = ready.client, _slug(ready.art)
    client.get(f"/ar/{slug}")
    _beacons(client, slug, 5)
    flusher = ready.app.extensions["flusher"]

    def down(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr("service.db.counts.write_batch", down)
    with pytest.raises(ConnectionError):
        flusher.flush()
    monkeypatch.undo()
    assert flusher.flush() == 20
    assert json.loads(json.dumps(_stats(client, ready.art, ready.auth)["totals"]))["view"] == 5


def test_model_files_answered_from_memory_until_withdrawn(ready):
    client, art = ready.client, ready.art
    url = path_of(art["derivatives"]["thumb.glb"]["url"])
    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 200 and first.get_data() == again.get_data()
    assert first.mimetype == "model/gltf-binary" and "immutable" in again.headers["Cache-Control"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert url in ready.app.extensions["file_memo"]._items  # the second answer came from memory
    assert client.get(url, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
    part = fetch(client, url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"glTF"  # ranges go through api/files.py
    assert client.get("/files/originals/x/y/z.obj").status_code == 404
    assert client.delete(path_of(art["links"]["self"]), headers=ready.auth).status_code == 204
    assert client.get(url).status_code == 404


def test_counts_upsert_on_postgresql(pg_schema):
    """The same batch writes on PostgreSQL (ON CONFLICT ... DO UPDATE adds to the day's row)."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm import sessionmaker

    from service.db import make_engine
    from service.db import upgrade
    from service.db.counts import series
    from service.db.counts import write_batch
    from service.db.queries import get_or_create_institution
    from tests.servers import pg_schema_url

    url = pg_schema_url(pg_schema)
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            art = Artefact(institution_id=get_or_create_institution(db, "Museum").id, extra={})
            db.add(art)
            db.commit()
            slug, art_id = art.slug, art.id
        day = dt.date(2026, 12, 4)
        for _ in range(2):
            written = write_batch(sessionmaker(engine), {(slug, day.isoformat(), "view"): 5,
                                                         (slug, day.isoformat(), "qr"): 2,
                                                         ("unknownslug1", day.isoformat(), "view"): 9},
                                  {(slug, day.isoformat(), "museum.vn"): 1})
            assert written == 7
        with Session(engine) as db:
            body = series(db, day, day, artefact_id=art_id)
            assert body["totals"] == {"view": 10, "load": 0, "ar": 0, "qr": 4, "embed": 0}
            assert db.get(Artefact, art_id).page_views == 10
    finally:
        engine.dispose()


@pytest.mark.parametrize("change", ["withdraw", "patch"])
def test_a_build_racing_a_change_leaves_nothing_stale(ready, change):
    """A request that read the artefact just before a DELETE or PATCH committed publishes old forms; they go."""
    from service.api.viewer_publish import publish_artefact

    client, art, slug = ready.client, ready.art, _slug(ready.art)
    with ready.app.test_request_context(base_url="http://localhost/"), ready.app.extensions["db_sessions"]() as db:
        stale = db.get(Artefact, art["id"])  # the other request's own session
        version = current_version(db, stale)
        _ = stale.institution.name, version.derivatives  # what the build reads, loaded before the change
        if change == "withdraw":
            assert client.delete(path_of(art["links"]["self"]), headers=ready.auth).status_code == 204
        else:
            resp = client.patch(path_of(art["links"]["self"]), json={"title": {"vi": "Tên mới"}}, headers=ready.auth)
            assert resp.status_code == 200
        assert publish_artefact(stale, version) is False
        left = get_store().keys(f"{PREFIX}a/{slug}/")
    if change == "withdraw":
        assert left == [] and client.get(f"/ar/{slug}").status_code == 410
    else:
        assert left == []  # dropped; the next request builds them from the new row
        assert "Tên mới" in client.get(f"/ar/{slug}").get_data(as_text=True)


def test_published_forms_live_in_the_bucket_with_s3(tmp_path, moto_server):
    """With S3 the forms are objects beside the derivatives (a CDN or the bucket can serve them); withdrawal deletes them."""
    from tests.conftest import make_key
    from tests.fixtures import textured_obj_zip
    from tests.servers import s3_settings
    from tests.viewer.helpers import ready_artefact

    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                              base_url="https://ar.example.museum", **s3_settings(moto_server)))
    try:
        client, auth = app.test_client(), {"Authorization": f"Bearer {make_key(app)}"}
        art = ready_artefact(app, client, auth, textured_obj_zip(tmp_path / "box.zip"))
        slug = _slug(art)
        page = client.get(f"/ar/{slug}")
        assert page.status_code == 200 and moto_server.url in page.get_data(as_text=True)  # files from the bucket
        assert moto_server.url in page.headers["Content-Security-Policy"]
        with app.app_context():
            store = get_store()
            assert store.get(f"{PREFIX}a/{slug}/_/share.html") == page.get_data()
            assert len(store.keys(f"{PREFIX}a/{slug}/_/")) == 2 * len(FORMS)
        assert client.delete(path_of(art["links"]["self"]), headers=auth).status_code == 204
        assert client.get(f"/ar/{slug}").status_code == 410
        with app.app_context():
            assert get_store().keys(f"{PREFIX}a/{slug}/") == []
    finally:
        _stop(app)


def test_the_hot_path_keeps_the_public_limits(make_ready):
    """Published QR codes, oEmbed answers and short links are answered before Flask, inside the same limits."""
    ready = make_ready(ratelimit_public="4/minute")
    client, slug = ready.client, _slug(ready.art)
    assert client.get(f"/ar/{slug}").status_code == 200  # pages themselves are not limited
    answers = [client.get(f"/qr/{slug}.svg").status_code for _ in range(3)]
    answers += [client.get(f"/oembed?url={ready.art['links']['share']}").status_code for _ in range(3)]
    assert answers == [200, 200, 200, 200, 429, 429]
    limited = client.get(f"/s/{ready.art['links']['short'].rsplit('/', 1)[1]}")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "rate_limited"
    other = client.get(f"/qr/{slug}.svg", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 200
