"""Acceptance in real headless Chromium: a processed corpus scan on its share page and in an iframe
on another origin, in-app browser guidance, a QR code read off the screen, escaped titles."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.fixtures import CORPUS
from tests.fixtures import textured_obj_zip
from tests.viewer.browser import LOAD_TIMEOUT_MS
from tests.viewer.browser import LOADED
from tests.viewer.browser import PageLog
from tests.viewer.browser import PageServer
from tests.viewer.browser import launch
from tests.viewer.browser import not_blank
from tests.viewer.browser import origin
from tests.viewer.helpers import decode_qr

pytestmark = pytest.mark.slow

EVIL = '<script>window.__pwned = 1; alert("x")</script><img src=x onerror="window.__pwned = 2">'
UA = {
    "tiktok-android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
                      "Chrome/126.0.0.0 Mobile Safari/537.36 trill_350402 JsSdk/1.0 NetType/WIFI Channel/googleplay "
                      "AppName/musical_ly app_version/35.4.2 ByteLocale/vi-VN",
    "instagram-ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                     "Mobile/15E148 Instagram 339.0.3.12.91 (iPhone15,2; iOS 17_5; vi_VN; vi; scale=3.00)",
    "zalo-android": "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
                    "Chrome/125.0.0.0 Mobile Safari/537.36 Zalo android/12090 ZaloTheme/light ZaloLanguage/vi",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A live app with the corpus Duck processed, and a box whose title is an attack."""
    corpus = CORPUS
    root = tmp_path_factory.mktemp("viewer-live")
    live = start_live(Settings(data_dir=str(root / "live"), testing=True, start_worker=True, previews=False))
    flusher = live.app.extensions["flusher"]
    flusher.interval = 0.2  # counts reach the database in batches; tests do not wait 5 s for one
    flusher.start()
    auth = {"Authorization": f"Bearer {make_key(live.app)}"}
    uploads = {
        "duck": (corpus / "formats" / "Duck.glb", {"title": {"vi": "Con vịt", "en": "Duck"}, "licence": "CC-BY-4.0"}),
        "evil": (textured_obj_zip(root / "evil.zip"), {"title": {"vi": EVIL}, "description": EVIL, "unit": "cm"}),
    }
    arts = {}
    for name, (path, meta) in uploads.items():
        with open(path, "rb") as f:
            resp = requests.post(f"{live.url}/api/v1/artefacts", files={"file": (path.name, f)},
                                 data={"metadata": json.dumps(meta)}, headers=auth, timeout=60)
        assert resp.status_code == 202, resp.text
        arts[name] = resp.json()["id"]

    def ready(art_id):
        body = requests.get(f"{live.url}/api/v1/artefacts/{art_id}", headers=auth, timeout=30).json()
        assert body["status"] != "failed", body
        return body if body["status"] == "ready" else None

    arts = {name: wait_for(lambda i=art_id: ready(i), timeout=180) for name, art_id in arts.items()}
    yield live, auth, arts
    live.stop()
    _stop(live.app)


def without_viewer(page) -> None:
    """Skip the 1 MB viewer and the model in tests about the page around them (faster on 2 cores)."""
    page.route("**/vendor/**", lambda route: route.abort())
    page.route("**/*.glb", lambda route: route.abort())


SCRIPT_READY = "() => document.documentElement.dataset.script === 'ready'"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def test_share_page_loads_the_model_from_our_origin_only(site, browser):
    live, auth, arts = site
    duck = arts["duck"]
    context = browser.new_context(viewport={"width": 480, "height": 720}, locale="vi-VN")
    page = context.new_page()
    log = PageLog(page)
    page.goto(duck["links"]["share"])
    page.wait_for_function(LOADED, timeout=LOAD_TIMEOUT_MS)
    # model-viewer sets `loaded` just before it dispatches `load`, which share.js records
    page.wait_for_function("() => document.documentElement.dataset.model", timeout=10_000)
    assert page.evaluate("document.documentElement.dataset.model") in ("first", "upgraded")
    page.wait_for_timeout(500)  # one more frame after `load`
    shot = page.locator("model-viewer").screenshot()
    not_blank(shot)
    assert page.inner_text("h1") == "Con vịt"
    assert log.console_errors == []
    app_origin = origin(live.url)
    foreign = [u for u in log.requests if not u.startswith("data:") and origin(u) != app_origin]
    assert foreign == [], f"requests left the app's origin: {foreign}"
    made = duck["derivatives"]
    assert made["thumb.glb"]["url"] in log.requests  # thumb level first
    assert made["thumb.glb"]["compression"] == "KHR_draco_mesh_compression"
    assert any("/vendor/model-viewer-" in u for u in log.requests)
    assert any("/vendor/draco-three-" in u for u in log.requests)  # our Draco decoder, not Google's CDN
    # then the web level for this screen (480 px wide, DPR 1: the 1024 level) replaces it
    levels = json.loads(page.text_content("#hv-config"))["levels"]
    assert levels, f"the pipeline made no web level: {sorted(made)}"
    page.wait_for_function("() => document.documentElement.dataset.model === 'upgraded'", timeout=LOAD_TIMEOUT_MS)
    assert levels[min(levels, key=int)] in log.requests
    assert made["master.glb"]["url"] not in log.requests  # the master is for download, not viewing
    assert log.console_errors == []
    # a tap on the AR button hands the AR file to model-viewer within the tap (AR itself cannot run headless)
    page.evaluate("""() => {
        const mv = document.querySelector('model-viewer');
        mv.activateAR = () => { window.arSrc = mv.getAttribute('src'); };
        document.querySelector('.ar-button').click();
    }""")
    assert page.evaluate("() => window.arSrc") == made["ar.glb"]["url"]
    # first-party counters arrived through the beacon
    stats = wait_for(lambda: (s := requests.get(duck["links"]["self"], headers=auth, timeout=30).json()["stats"])
                     ["model_loads"] >= 1 and s, timeout=10)
    assert stats["page_views"] >= 1
    wait_for(lambda: requests.get(duck["links"]["self"], headers=auth, timeout=30).json()["stats"]["ar_launches"] == 1,
             timeout=10)
    context.close()


def test_embed_works_in_an_iframe_on_another_origin(site, browser):
    live, _, arts = site
    embed = arts["duck"]["links"]["embed"]
    host = PageServer(
        "<!doctype html><title>Blog</title><h1>Bài viết</h1>"
        f'<iframe id="viewer" src="{embed}" width="400" height="300" allow="xr-spatial-tracking; fullscreen" '
        "allowfullscreen></iframe>"
    )
    try:
        context = browser.new_context(viewport={"width": 560, "height": 480}, locale="en-US")
        page = context.new_page()
        log = PageLog(page)
        page.goto(host.url)
        assert origin(host.url) != origin(live.url)
        frame = page.frame_locator("#viewer")
        wait_for(lambda: any(f.url == embed for f in page.frames), timeout=30)
        (inner,) = [f for f in page.frames if f.url == embed]
        inner.wait_for_function(LOADED, timeout=LOAD_TIMEOUT_MS)
        page.wait_for_timeout(500)
        not_blank(page.locator("#viewer").screenshot())
        assert frame.locator("a.embed-title:visible").inner_text().startswith("Duck")  # lang.js: en-US
        assert log.console_errors == []
        # the embed counted itself, with the host of the page that framed it
        wait_for(lambda: requests.get(arts["duck"]["links"]["self"] + "/stats", headers=site[1], timeout=30)
                 .json()["totals"]["embed"] >= 1, timeout=10)
        stats = requests.get(arts["duck"]["links"]["self"] + "/stats", headers=site[1], timeout=30).json()
        assert {"host": urlsplit(host.url).hostname, "embed": stats["totals"]["embed"]} in stats["referrers"]
        context.close()
    finally:
        host.stop()


@pytest.mark.parametrize("client_name", list(UA))
def test_in_app_browsers_get_open_in_browser_guidance(site, browser, client_name):
    _, _, arts = site
    share = arts["duck"]["links"]["share"]
    mobile = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True}
    context = browser.new_context(user_agent=UA[client_name], locale="vi-VN", **mobile)
    page = context.new_page()
    without_viewer(page)
    page.goto(share, wait_until="commit")
    page.wait_for_selector("#inapp", state="visible", timeout=30_000)
    ios = client_name.endswith("ios")
    assert page.is_visible("#inapp .ios-only") is ios
    assert page.is_visible("#inapp .android-only") is not ios
    assert not page.is_visible(".ar-button")  # the in-app WebView cannot start AR
    if not ios:
        href = page.get_attribute(".open-browser", "href")
        assert href.startswith("intent://") and "package=com.android.chrome" in href
    # the QR shown to the visitor decodes, as rendered by the browser, to the short link marked as a scan
    qr = page.locator("#inapp img.qr")
    qr.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#inapp img.qr').naturalWidth > 0", timeout=30_000)
    assert decode_qr(qr.screenshot()) == arts["duck"]["links"]["short"] + "?q"
    context.close()


@pytest.mark.parametrize(
    ("locale", "query", "title"),
    [
        pytest.param("en-GB", "", "Duck", id="browser-english"),
        pytest.param("vi-VN", "", "Con vịt", id="browser-vietnamese"),
        pytest.param("de-DE", "", "Con vịt", id="other-language-vietnamese"),
        pytest.param("en-GB", "?lang=vi", "Con vịt", id="query-wins"),
    ],
)
def test_the_page_script_picks_the_language(site, browser, locale, query, title):
    _, _, arts = site
    context = browser.new_context(locale=locale)
    page = context.new_page()
    without_viewer(page)
    share = arts["duck"]["links"]["share"]
    page.goto(share + query, wait_until="commit")
    page.wait_for_function(SCRIPT_READY, timeout=30_000)
    assert page.inner_text("h1:visible") == title
    assert page.evaluate("document.documentElement.lang") == ("en" if title == "Duck" else "vi")
    if query:  # the choice is remembered on this device
        page.goto(share, wait_until="commit")
        page.wait_for_function(SCRIPT_READY, timeout=30_000)
        assert page.inner_text("h1:visible") == title
    context.close()


def test_a_normal_browser_gets_no_in_app_notice(site, browser):
    _, _, arts = site
    context = browser.new_context()
    page = context.new_page()
    without_viewer(page)
    page.goto(arts["duck"]["links"]["share"], wait_until="commit")
    page.wait_for_function(SCRIPT_READY, timeout=30_000)
    assert page.is_hidden("#inapp") and page.is_visible(".ar-button")
    context.close()


def test_a_title_with_script_is_shown_as_text(site, browser):
    _, _, arts = site
    context = browser.new_context()
    page = context.new_page()
    log = PageLog(page)
    without_viewer(page)
    page.goto(arts["evil"]["links"]["share"], wait_until="commit")
    page.wait_for_function(SCRIPT_READY, timeout=30_000)  # every script of the page has run
    assert page.inner_text("h1") == EVIL
    assert page.inner_text("p.description") == EVIL
    assert page.title().startswith(EVIL)
    assert page.evaluate("window.__pwned") is None and log.dialogs == []
    context.close()
