"""uploader.js in real headless Chromium: a multi-MB file uploaded through a cut connection and a closed tab
completes from where it stopped, each part reaching the server about once; with S3 (moto server) the parts go
to the bucket and never through the app."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time

import pytest
from playwright.sync_api import sync_playwright

from service import create_app
from service.config import Settings
from tests.conftest import LiveServer
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import wait_for
from tests.servers import s3_settings
from tests.viewer.browser import PageLog
from tests.viewer.browser import launch
from tests.viewer.browser import origin

pytestmark = pytest.mark.slow

MB = 1024 * 1024
LOCAL_PARTS = 13  # the test file in 1 MB parts
PAGE = """<!doctype html><meta charset="utf-8"><title>upload test</title>
<input type="file" id="file"><script src="/static/uploads/uploader.js"></script>
<script>
window.run = function (key) {
  const file = document.getElementById("file").files[0];
  window.states = [];
  window.sent = 0;
  const up = new HeritageUploads.Upload(file, {
    headers: () => ({Authorization: "Bearer " + key}), backoffMs: 200, maxBackoffMs: 1000,
    onProgress: (sent, total) => { window.sent = sent; }, onState: (s) => window.states.push(s)});
  window.up = up;
  return up.start();
};
</script>"""
TEST_PAGE = "/__uploader_test"


class Calls:
    """WSGI middleware: every request that reaches the app, as (method, path, status).

    `part_delay` holds each part PUT that long before the app sees it: a slow line, so that the test can
    act mid-way (DevTools throttling only delays what the page is told; the bytes reach the server at once).
    """

    def __init__(self, wsgi, part_delay: float = 0) -> None:
        self.wsgi = wsgi
        self.part_delay = part_delay
        self.seen: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "PUT" and "/parts/" in environ["PATH_INFO"]:
            time.sleep(self.part_delay)

        def recorded(status, headers, exc_info=None):
            with self.lock:
                self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], int(status[:3])))
            return start_response(status, headers, exc_info)

        return self.wsgi(environ, recorded)

    def stored_parts(self) -> list[int]:
        """Part numbers the app accepted (200), one entry per accepted PUT, in order."""
        out = []
        for method, path, status in list(self.seen):
            m = re.search(r"/parts/(\d+)$", path)
            if method == "PUT" and m and status == 200:
                out.append(int(m.group(1)))
        return out


def serve(tmp_path, part_delay: float = 0, **extra):
    settings = Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=False, previews=False,
                        max_upload_mb=64, **extra)
    app = create_app(settings)
    # the test page is served by the app itself (same origin as the API; a page Playwright made up would sit
    # in no address space, and Chromium would then refuse its requests to a bucket on loopback)
    app.add_url_rule(TEST_PAGE, "uploader_test", lambda: PAGE)
    calls = Calls(app.wsgi_app, part_delay)
    app.wsgi_app = calls
    return LiveServer(app), calls


@pytest.fixture
def scan(tmp_path):
    """A 12.5 MB file of random bytes on disk (set into an <input type=file>, as a person would pick it)."""
    path = tmp_path / "vò gốm.ply"
    path.write_bytes(os.urandom(int(12.5 * MB)))
    return path


def open_page(context, live, scan):
    page = context.new_page()
    page.goto(live.url + TEST_PAGE)
    page.set_input_files("#file", str(scan))
    return page


def devtools(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    return cdp


def network(cdp, *, offline: bool = False, upload: int = -1) -> None:
    """Slow the page's uploads (bytes per second), or cut it off (Chrome DevTools network emulation)."""
    cdp.send("Network.emulateNetworkConditions", {"offline": offline, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": upload})


def test_local_upload_survives_a_cut_connection_and_a_closed_tab(tmp_path, scan):
    live, calls = serve(tmp_path, part_delay=0.6, upload_part_mb=1)
    key = make_key(live.app)
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context()
            # tab 1: the connection drops for a while mid-way, then the tab is closed
            page = open_page(context, live, scan)
            log = PageLog(page)
            cdp = devtools(context, page)
            page.evaluate("key => { window.run(key); }", key)
            wait_for(lambda: len(set(calls.stored_parts())) >= 1, timeout=30, interval=0.02)
            network(cdp, offline=True)
            page.wait_for_function("window.states.includes('retrying')", timeout=30_000)
            time.sleep(1)
            network(cdp)
            wait_for(lambda: len(set(calls.stored_parts())) >= 4, timeout=60, interval=0.02)
            page.close()
            time.sleep(1)  # parts already on their way when the tab closed are stored too
            before = calls.stored_parts()
            assert len(set(before)) < LOCAL_PARTS  # closed before the end: the rest is for tab 2
            # tab 2: the same file again; the upload id comes from localStorage and only missing parts are sent
            page = open_page(context, live, scan)
            upload_id = page.evaluate("key => window.run(key)", key)
            states = page.evaluate("window.states")
            browser.close()
        after = calls.stored_parts()
        assert sorted(set(after)) == list(range(1, LOCAL_PARTS + 1))
        assert len(after) <= LOCAL_PARTS + 3, (before, after)  # at most the parts in flight when the line dropped, twice
        assert not set(after[len(before):]) & set(before), (before, after)  # tab 2 sent only what was missing
        assert states[0] == "uploading" and states[-1] == "complete"
        assert log.errors == []
        state = live.app.test_client().get(f"/api/v1/uploads/{upload_id}",
                                           headers={"Authorization": f"Bearer {key}"}).get_json()
        assert (state["state"], state["size"], state["sha256"]) == ("complete", scan.stat().st_size, digest)
        creates = [c for c in calls.seen if c[:2] == ("POST", "/api/v1/uploads")]
        assert len(creates) == 1  # tab 2 resumed the same upload
    finally:
        live.stop()
        _stop(live.app)


@pytest.mark.integration
def test_s3_parts_go_to_the_bucket_not_through_the_app(tmp_path, scan, moto_server):
    live, calls = serve(tmp_path, upload_part_mb=5, **s3_settings(moto_server))
    key = make_key(live.app)
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_context().new_page()
            log = PageLog(page)
            cut = []

            def drop_first_try(route):
                # the first PUT of part 2 loses its connection; the retry must go through
                if "partNumber=2" in route.request.url and not cut:
                    cut.append(route.request.url)
                    route.abort("connectionreset")
                else:
                    route.continue_()

            page.route(moto_server.url + "/**", drop_first_try)
            page.goto(live.url + TEST_PAGE)
            page.set_input_files("#file", str(scan))
            upload_id = page.evaluate("key => window.run(key)", key)
            states = page.evaluate("window.states")
            browser.close()
        assert cut and "retrying" in states and states[-1] == "complete"
        puts = [u for u in log.requests if "partNumber=" in u]
        assert {origin(u) for u in puts} == {moto_server.url}
        assert len(puts) == 3 + 1  # three parts and one retry
        assert [c for c in calls.seen if c[0] == "PUT"] == []  # no bytes through the app
        assert [e for e in log.console_errors if "ERR_CONNECTION_RESET" not in e] == []  # only the cut we made
        presigns = [c for c in calls.seen if c[1].endswith("/presign")]
        assert len(presigns) <= 2  # one batch, and one fresh URL for the retried part at most
        state = live.app.test_client().get(f"/api/v1/uploads/{upload_id}",
                                           headers={"Authorization": f"Bearer {key}"}).get_json()
        assert (state["state"], state["sha256"]) == ("complete", digest)
        store = live.app.extensions["store"]
        head = store.head(f"uploads/{upload_id}/v_g_m.ply")
        assert head["ContentLength"] == scan.stat().st_size
    finally:
        live.stop()
        _stop(live.app)


COLLECT = """async () => {
  // a dropped folder as Chromium hands it over: entries, and a reader answering in batches until empty
  const file = (name) => new File([name], name, {lastModified: 1});
  const fileEntry = (name) => ({isFile: true, name, file: (ok) => ok(file(name))});
  const dir = (name, children, batch) => ({isDirectory: true, name, createReader: () => {
    let i = 0;
    return {readEntries: (ok) => { const out = children.slice(i, i + batch); i += batch; setTimeout(() => ok(out)); }};
  }});
  const scan = dir("scan", [fileEntry("model.obj"), fileEntry("model.mtl"),
                            dir("textures", [fileEntry("wood.jpg"), fileEntry("gold.png")], 1)], 2);
  const item = (entry) => ({kind: "file", webkitGetAsEntry: () => entry});
  const dropped = await HeritageUploads.collect({items: [item(scan), item(fileEntry("notes.txt"))], files: []});
  const picked = await HeritageUploads.collect({files: [file("a.ply")]});
  return {dropped: dropped.map((f) => [f.name, f.relativePath]).sort(), picked: picked.map((f) => f.name)};
}"""


def test_pause_resume_and_dropped_folders(tmp_path, scan):
    live, calls = serve(tmp_path, part_delay=0.6, upload_part_mb=1)
    key = make_key(live.app)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context()
            page = open_page(context, live, scan)
            log = PageLog(page)
            collected = page.evaluate(COLLECT)
            assert collected == {"dropped": [["gold.png", "scan/textures/gold.png"], ["model.mtl", "scan/model.mtl"],
                                             ["model.obj", "scan/model.obj"], ["notes.txt", "notes.txt"],
                                             ["wood.jpg", "scan/textures/wood.jpg"]],
                                 "picked": ["a.ply"]}
            page.evaluate("key => { window.done = window.run(key); }", key)
            wait_for(lambda: len(calls.stored_parts()) >= 1, timeout=30, interval=0.02)
            page.evaluate("window.up.pause()")
            time.sleep(1)  # parts already on their way are stored
            paused = len(calls.stored_parts())
            time.sleep(1.5)
            assert len(calls.stored_parts()) == paused < LOCAL_PARTS  # nothing is sent while paused
            assert page.evaluate("window.up.state") == "paused"
            upload_id = page.evaluate("window.up.resume()")
            states = page.evaluate("window.states")
            browser.close()
        assert states[:2] == ["uploading", "paused"] and states[-1] == "complete"
        stored = calls.stored_parts()
        assert sorted(set(stored)) == list(range(1, LOCAL_PARTS + 1)) and len(stored) <= LOCAL_PARTS + 3
        assert log.console_errors == []
        state = live.app.test_client().get(f"/api/v1/uploads/{upload_id}",
                                           headers={"Authorization": f"Bearer {key}"}).get_json()
        assert state["sha256"] == hashlib.sha256(scan.read_bytes()).hexdigest()
    finally:
        live.stop()
        _stop(live.app)
