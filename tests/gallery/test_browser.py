"""The gallery in real headless Chromium: search and filters through the form, hidden artefacts
never shown, axe-core finds no serious violation, phone width without sideways scrolling, the kit
downloaded with a tap, the credit line copied. HERITAGE_AR_GALLERY_SHOTS=<dir> keeps the screenshots
(docs/img/gallery-*.png come from it)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.conftest import _stop
from tests.fixtures import REPO
from tests.gallery.conftest import make_gallery
from tests.viewer.browser import PageLog
from tests.viewer.browser import not_blank
from tests.viewer.test_browser import browser  # noqa: F401  (the module-scoped Chromium fixture)

pytestmark = pytest.mark.slow

AXE = next(iter(sorted((REPO / "assets" / "vendor").glob("axe-core-*/axe.min.js"))), None)
READY = "() => document.documentElement.dataset.script === 'ready'"
HIDDEN_TITLES = ("Withdrawn jar", "Unlisted teapot", "Statue in processing", "Bình gốm đã rút", "Ấm trà không công khai")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    site = make_gallery(tmp_path_factory.mktemp("gallery-live") / "var")
    server = LiveServer(site.app)
    yield server, site
    server.stop()
    _stop(site.app)


def axe_serious(page, include: str | None = None) -> list[str]:
    """Serious and critical axe-core violations on the page (or inside `include`)."""
    if AXE is None:
        pytest.fail("axe-core is not vendored: run scripts/vendor-assets.sh (assets/vendor/axe-core-*/axe.min.js)")
    page.evaluate(AXE.read_text(encoding="utf-8"))  # through DevTools: the page's CSP stays on
    context = f"{{include: [{include!r}]}}" if include else "document"
    found = page.evaluate(f"async () => (await axe.run({context})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in found if v["impact"] in ("serious", "critical")]


def card_titles(page) -> list[str]:
    return page.locator("li.card h2").all_inner_texts()


def shot(page, name: str) -> None:
    png = page.screenshot(full_page=False)
    not_blank(png)
    keep = os.environ.get("HERITAGE_AR_GALLERY_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes(png)


def test_desktop_search_filters_and_axe(live, browser):
    server, _ = live
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    log = PageLog(page)
    page.goto(f"{server.url}/gallery")
    page.wait_for_function(READY)
    assert page.locator("html").get_attribute("lang") == "en"  # from Accept-Language
    assert len(card_titles(page)) == 5
    assert not [t for t in HIDDEN_TITLES if t in page.inner_text("body")]
    assert axe_serious(page) == []
    shot(page, "gallery-desktop")
    # the check can fail: an image without alt text is a critical violation
    page.evaluate("() => { const i = document.createElement('img'); i.id = 'bad'; document.body.append(i); }")
    assert [v for v in axe_serious(page) if v.startswith("image-alt")]
    page.evaluate("() => document.getElementById('bad').remove()")
    # search without diacritics, as people type on a phone
    page.fill("#q", "dong ho")
    page.press("#q", "Enter")
    page.wait_for_url(f"{server.url}/gallery?q=dong+ho&lang=en")  # only what was chosen: the stable URL
    assert card_titles(page) == ["Dong Ho print: The Mouse Wedding"]
    # filters through the form
    page.fill("#q", "")
    page.select_option("#f-licence", "restricted")
    page.click(".filters button[type=submit]")
    page.wait_for_url(f"{server.url}/gallery?licence=restricted&lang=en")
    assert card_titles(page) == ["Conical hat", "Ngoc Lu bronze drum"]
    page.select_option("#f-category", "crafts")
    page.click(".filters button[type=submit]")
    page.wait_for_url(f"{server.url}/gallery?category=crafts&licence=restricted&lang=en")
    assert card_titles(page) == ["Conical hat"]
    assert "All rights reserved: ask the museum" in page.inner_text("li.card .plain")
    assert axe_serious(page) == []
    # the credit line is one tap away
    page.wait_for_function(READY)
    page.click("li.card button.copy")
    page.wait_for_function("() => document.querySelector('li.card button.copy').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == "“Conical hat” (© Bảo tàng Dân tộc học Việt Nam)"
    assert log.console_errors == []
    context.close()


def test_phone_width_and_kit_download(live, browser, tmp_path):
    server, site = live
    context = browser.new_context(locale="vi-VN", accept_downloads=True, **PHONE)
    page = context.new_page()
    log = PageLog(page)
    page.goto(f"{server.url}/gallery")
    page.wait_for_function(READY)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    boxes = [page.locator("li.card").nth(i).bounding_box() for i in range(5)]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
    assert axe_serious(page) == []
    shot(page, "gallery-phone")
    with page.expect_download() as info:
        page.locator("li.card", has_text="Áo dài lụa tơ tằm").locator("a.kit-link").click()
    path = tmp_path / "kit.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        names = sorted(n.split("/", 1)[1] for n in zf.namelist())
        caption = zf.read(next(n for n in zf.namelist() if n.endswith("caption-vi.txt"))).decode()
    assert names == ["README.txt", "caption-en.txt", "caption-vi.txt", "cover.jpg", "link.txt", "poster.jpg",
                     "qr.png", "video-vertical.mp4"]
    assert "Nguồn: “Áo dài lụa tơ tằm” — Nhà may Thái Tuấn, Bảo tàng Dân tộc học Việt Nam (CC BY 4.0)" in caption
    # the share page's licence block passes axe too (viewer files skipped: the block is what is new)
    page.route("**/vendor/**", lambda route: route.abort())
    page.goto(f"{server.url}/ar/{site.arts['ao_dai']['slug']}")
    assert "ghi công bảo tàng" in page.inner_text(".licence-plain")
    assert axe_serious(page, ".licence-plain") == []
    assert [e for e in log.console_errors if "vendor" not in e and "ERR_FAILED" not in e] == []
    context.close()
