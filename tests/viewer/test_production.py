"""`heritage-ar serve --production`: granian workers answer published pages, and every worker writes its own
counts when it exits, so totals stay exact with several processes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import wait_for
from tests.viewer.helpers import path_of


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_production_workers_flush_their_own_counts_on_exit(make_ready, tmp_path):
    ready = make_ready()
    slug = path_of(ready.art["links"]["share"]).rsplit("/", 1)[1]
    port = _port()
    env = {**os.environ, "HERITAGE_AR_DATA_DIR": ready.app.config["SETTINGS"].data_dir,
           "HERITAGE_AR_START_WORKER": "false", "HERITAGE_AR_COUNT_FLUSH_SECONDS": "3600",  # only the exit flush
           "HERITAGE_AR_RATELIMIT_BEACON": "1000/minute"}  # one client address sends them all
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--production", "--port", str(port),
                             "--workers", "3", "--threads", "2"], env=env, start_new_session=True,
                            stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url), timeout=60)
        page = requests.get(f"{url}/ar/{slug}", timeout=30)
        assert page.status_code == 200 and "s-maxage=30" in page.headers["Cache-Control"]

        def send(i: int) -> int:  # a new connection each: the beacons spread over the workers
            return requests.post(f"{url}/b/{slug}/view?p=prod{i:06d}", timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(send, range(300))) == {204}
        # (no repeated page loads here: in memory, de-duplication is per worker; Redis shares it)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        log.close()
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    stats = ready.client.get(f"/api/v1/artefacts/{ready.art['id']}/stats?from={today}&to={today}",
                             headers=ready.auth).get_json()
    assert stats["totals"]["view"] == 300
    # the limits in memory are per worker: the server says so rather than leaving it to be found out
    assert "every limit is 3 x its setting" in (tmp_path / "server.log").read_text()


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
