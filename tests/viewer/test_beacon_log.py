"""Beacons answered by nginx and counted from its log (`heritage-ar count-log`)."""

from __future__ import annotations

import datetime as dt

from service.beacon_log import LogCounter
from service.beacon_log import parse_line
from tests.viewer.helpers import path_of


def _totals(ready) -> dict:
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    resp = ready.client.get(f"/api/v1/artefacts/{ready.art['id']}/stats?from={today}&to={today}", headers=ready.auth)
    return resp.get_json()["totals"]


def test_parse_line():
    assert parse_line("POST /b/abcdefgh12/view p=load0001") == ("abcdefgh12", "view", "load0001", None)
    assert parse_line("POST /b/abcdefgh12/embed p=load0001&r=www.Blog.example") == (
        "abcdefgh12", "embed", "load0001", "blog.example")
    assert parse_line("POST /b/abcdefgh12/ar -") == ("abcdefgh12", "ar", None, None)
    for bad in ("GET /b/abcdefgh12/view -", "POST /b/abcdefgh12/click -", "POST /ar/abcdefgh12 -", "", "POST"):
        assert parse_line(bad) is None, bad


def test_log_counted_once_across_restarts_and_rotation(ready, tmp_path):
    slug = path_of(ready.art["links"]["share"]).rsplit("/", 1)[1]
    sessions = ready.app.extensions["db_sessions"]
    log = tmp_path / "beacons.log"
    lines = [f"POST /b/{slug}/{event} p=load{i:04d}" for i in range(40) for event in ("view", "load", "ar")]
    lines += [f"POST /b/{slug}/view p=load0001", "GET /b/x/view -", f"POST /b/{slug}/view -"]
    log.write_text("\n".join(lines) + "\n" + f"POST /b/{slug}/view p=half")  # nginx mid-write: not a line yet
    first = LogCounter(log, sessions)
    assert first.read() == 121  # 120 + the line without an id; the repeated page load is not counted
    assert first.flush() == 121
    assert _totals(ready) == {"view": 41, "load": 40, "ar": 40, "qr": 0, "embed": 0}
    # a restart continues where the last flush ended: the half line completes, nothing is counted twice
    with open(log, "a") as f:
        f.write(f"way0001\nPOST /b/{slug}/embed p=load0002&r=museum.vn\n")
    again = LogCounter(log, sessions)
    assert again.offset == first.offset and again.read() == 2  # the completed line and the embed
    again.flush()
    assert _totals(ready)["embed"] == 1 and _totals(ready)["view"] == 42
    log.write_text(f"POST /b/{slug}/view p=rotated1\n")  # logrotate: a new, shorter file
    assert again.read() == 1 and again.flush() == 1
    assert _totals(ready)["view"] == 43
