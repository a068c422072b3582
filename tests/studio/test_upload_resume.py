"""The studio's upload page over the resumable transport, in real Chromium: a signed-in registrar's upload
survives a cut connection and a pause, each part reaching the app about once; with S3 (moto server) the parts
go to the bucket, not through the app. (The transport itself is tested in tests/uploads/.)"""

from __future__ import annotations

import math
import os
import time

import pytest
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from service import create_app
from service.config import Settings
from tests.conftest import LiveServer
from tests.conftest import _stop
from tests.conftest import wait_for
from tests.servers import s3_settings
from tests.studio.helpers import PASSWORD
from tests.studio.helpers import make_user
from tests.uploads.test_browser import Calls
from tests.uploads.test_browser import devtools
from tests.uploads.test_browser import network
from tests.uploads.test_browser import scan  # noqa: F401  (a file of random bytes, several parts long)
from tests.viewer.browser import launch
from tests.viewer.browser import origin

pytestmark = pytest.mark.slow

MB = 1024 * 1024


@pytest.fixture
def long_scan(tmp_path):
    """30 parts of 1 MB: enough that the cut, the pause and the closed tab all fall mid-way however fast the
    machine is (with 13 parts a quiet machine had sent them all before the tab closed)."""
    path = tmp_path / "bình gốm.ply"
    path.write_bytes(os.urandom(30 * MB))
    return path


def serve(tmp_path, part_delay: float = 0, **extra):
    # no worker: the test is about the bytes arriving, not about processing random bytes
    app = create_app(Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=False, previews=False,
                              max_upload_mb=64, **extra))
    calls = Calls(app.wsgi_app, part_delay)  # a slow line, so the test can act mid-way
    app.wsgi_app = calls
    make_user(app, "lan@vnfam.vn", "editor")
    return LiveServer(app), calls


def upload_page(context, live, scan, *, sign_in: bool = True):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if sign_in:
        page.goto(live.url + "/signin")
        page.get_by_label("Email").fill("lan@vnfam.vn")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    page.goto(live.url + "/studio/upload")
    page.get_by_label("Files", exact=True).set_input_files(str(scan))
    page.get_by_label("Title (English)").fill("Glazed jar")
    page.get_by_label("Title (Vietnamese)").fill("Bình gốm men")
    page.get_by_role("button", name="Upload", exact=True).click()
    return page, errors


def test_cut_connection_pause_and_closed_tab_resume_where_they_stopped(tmp_path, long_scan):
    scan = long_scan
    live, calls = serve(tmp_path, part_delay=0.6, upload_part_mb=1)
    total = math.ceil(scan.stat().st_size / MB)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(locale="en-GB")
            page, errors = upload_page(context, live, scan)
            cdp = devtools(context, page)
            wait_for(lambda: len(set(calls.stored_parts())) >= 1, timeout=30, interval=0.02)
            network(cdp, offline=True)  # the line drops mid-way
            time.sleep(1.5)
            network(cdp)
            wait_for(lambda: len(set(calls.stored_parts())) >= 3, timeout=60, interval=0.02)
            page.get_by_role("button", name="Pause").click()
            expect(page.locator("#form-status")).to_have_text("Paused")
            time.sleep(1.5)  # parts already on the line land; then nothing more is sent
            paused_at = len(calls.stored_parts())
            time.sleep(1.5)
            assert len(calls.stored_parts()) == paused_at
            page.get_by_role("button", name="Resume").click()
            resumed_from = len(set(calls.stored_parts()))
            wait_for(lambda: len(set(calls.stored_parts())) > resumed_from, timeout=60, interval=0.02)
            page.close()  # the tab is closed mid-way
            time.sleep(1.5)
            before = calls.stored_parts()
            assert len(set(before)) < total
            # the registrar opens the upload page again and chooses the same file: it continues
            page, errors2 = upload_page(context, live, scan, sign_in=False)
            page.wait_for_url("**/studio/artefacts/*", timeout=90_000)
            expect(page.locator("#art-status")).to_have_text("queued")
            browser.close()
        after = calls.stored_parts()
        assert sorted(set(after)) == list(range(1, total + 1))
        assert not set(after[len(before):]) & set(before), (before, after)  # only what was missing, after the tab
        assert len(after) <= total + 6, after  # at most the parts on the line at the cut and the pause, twice
        assert errors == errors2 == []
        assert [c for c in calls.seen if c[:2] == ("POST", "/api/v1/uploads")] == [("POST", "/api/v1/uploads", 201)]
        made = [c for c in calls.seen if c[:2] == ("POST", "/api/v1/artefacts")]
        assert [c[2] for c in made] == [202]
    finally:
        live.stop()
        _stop(live.app)


@pytest.mark.integration
def test_s3_parts_go_to_the_bucket_not_through_the_app(tmp_path, scan, moto_server):  # noqa: F811
    live, calls = serve(tmp_path, upload_part_mb=5, **s3_settings(moto_server))
    try:
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(locale="en-GB")
            puts: list[str] = []
            context.on("request", lambda r: puts.append(r.url) if "partNumber=" in r.url else None)
            page, errors = upload_page(context, live, scan)
            page.wait_for_url("**/studio/artefacts/*", timeout=60_000)
            expect(page.locator("#art-status")).to_have_text("queued")
            browser.close()
        assert len(puts) == math.ceil(scan.stat().st_size / (5 * MB))
        assert {origin(u) for u in puts} == {moto_server.url}
        assert [c for c in calls.seen if c[0] == "PUT"] == []  # no bytes through the app
        assert errors == []
    finally:
        live.stop()
        _stop(live.app)
