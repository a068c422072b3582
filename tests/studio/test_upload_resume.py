"""The studio's upload page over the resumable transport, in real Chromium: a signed-in registrar's upload
survives a cut connection and a pause, each part reaching the app about once; with S3 (moto server) the parts
go to the bucket, not through the app. (The transport itself is tested in tests/uploads/.)"""

from __future__ import annotations

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
from tests.uploads.test_browser import network
from tests.uploads.test_browser import scan  # noqa: F401  (7.5 MB of random bytes)
from tests.viewer.browser import launch
from tests.viewer.browser import origin

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def serve(tmp_path, **extra):
    # no worker: the test is about the bytes arriving, not about processing random bytes
    app = create_app(Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=False, previews=False,
                              max_upload_mb=64, **extra))
    calls = Calls(app.wsgi_app)
    app.wsgi_app = calls
    make_user(app, "lan@vnfam.vn", "editor")
    return LiveServer(app), calls


def upload_page(browser, live, scan):
    page = browser.new_context(locale="en-GB").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live.url + "/signin")
    page.get_by_label("Email").fill("lan@vnfam.vn")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live.url + "/studio/upload")
    page.get_by_label("Files", exact=True).set_input_files(str(scan))
    page.get_by_label("Title (English)").fill("Glazed jar")
    page.get_by_label("Title (Vietnamese)").fill("Bình gốm men")
    return page, errors


def test_cut_connection_and_pause_resume_from_where_they_stopped(tmp_path, scan):  # noqa: F811
    live, calls = serve(tmp_path, upload_part_mb=1)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page, errors = upload_page(browser, live, scan)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            network(cdp, upload=MB // 2)
            page.get_by_role("button", name="Upload", exact=True).click()
            wait_for(lambda: len(set(calls.stored_parts())) >= 2, timeout=30, interval=0.05)
            network(cdp, offline=True)  # the line drops mid-way
            time.sleep(2)
            network(cdp, upload=MB // 2)
            wait_for(lambda: len(set(calls.stored_parts())) >= 4, timeout=60, interval=0.05)
            page.get_by_role("button", name="Pause").click()
            expect(page.locator("#form-status")).to_have_text("Paused")
            time.sleep(1.5)  # parts in flight land; then nothing more is sent
            paused_at = len(calls.stored_parts())
            time.sleep(1.5)
            assert len(calls.stored_parts()) == paused_at
            network(cdp, upload=-1)
            page.get_by_role("button", name="Resume").click()
            page.wait_for_url("**/studio/artefacts/*", timeout=60_000)
            expect(page.locator("#art-status")).to_have_text("queued")
            browser.close()
        parts = calls.stored_parts()
        assert sorted(set(parts)) == list(range(1, 9))
        assert len(parts) <= 8 + 3, parts  # at most the parts in flight when the line dropped, twice
        assert errors == []
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
            page, errors = upload_page(browser, live, scan)
            puts: list[str] = []
            page.on("request", lambda r: puts.append(r.url) if "partNumber=" in r.url else None)
            page.get_by_role("button", name="Upload", exact=True).click()
            page.wait_for_url("**/studio/artefacts/*", timeout=60_000)
            expect(page.locator("#art-status")).to_have_text("queued")
            browser.close()
        assert len(puts) == 2 and {origin(u) for u in puts} == {moto_server.url}
        assert [c for c in calls.seen if c[0] == "PUT"] == []  # no bytes through the app
        assert errors == []
    finally:
        live.stop()
        _stop(live.app)
