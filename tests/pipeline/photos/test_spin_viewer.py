"""The spin viewer (service/static/spin/) in real headless Chromium, without WebGL."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from service.pipeline.flows import process
from service.pipeline.metadata import validate_metadata
from tests.pipeline.flows.test_ring import write_ring
from tests.viewer.browser import launch

STATIC = Path(__file__).resolve().parents[3] / "service" / "static" / "spin"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>spin test</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="spin/spin.css"></head>
<body style="margin:0">
<div id="still" style="width:400px" data-spin-src="set/spin.json" data-autoplay="false" aria-label="Vase"></div>
<div id="auto" style="width:200px" data-spin-src="set/spin.json" data-seconds="1.2"></div>
<script src="spin/spin.js"></script>
</body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A local site: the viewer's files, a spin set made by the ring flow, a test page."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(STATIC, root / "spin")
    paths = write_ring(root / "photos", n=12)
    md = validate_metadata({"title": {"en": "Vase"}, "kind": "ring"})
    process(
        paths,
        root / "set",
        metadata=md,
        options={"spin": {"sizes": (96, 256), "video_side": 128, "video_seconds": 1}},
    )
    (root / "index.html").write_text(PAGE)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p, "--disable-webgl")  # the viewer must work without WebGL
        yield b
        b.close()


@pytest.mark.slow
def test_drag_turns_the_spin_without_webgl(site, browser):
    page = browser.new_page(viewport={"width": 800, "height": 700})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(site + "index.html")
    assert page.evaluate("!document.createElement('canvas').getContext('webgl')")  # really no WebGL
    still = page.locator("#still")
    page.wait_for_selector("#still[data-state=ready]", timeout=10_000)
    assert still.get_attribute("data-frame") == "0"
    first = page.eval_on_selector("#still img", "img => img.src")
    assert first.endswith("spin-96-000.jpg") or first.endswith("spin-256-000.jpg")
    # progressive: the 400 px box gets the 256 px level once it is loaded
    page.wait_for_selector("#still[data-size='256']", timeout=10_000)
    assert page.eval_on_selector("#still img", "img => img.src").endswith("spin-256-000.jpg")

    box = still.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 100, y, steps=5)  # a quarter of the width: about 3 of 12 frames
    page.mouse.up()
    frame = int(still.get_attribute("data-frame"))
    assert frame == 3
    src = page.eval_on_selector("#still img", "img => img.src")
    assert src.endswith("spin-256-003.jpg")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 100, y, steps=5)  # and back
    page.mouse.up()
    assert still.get_attribute("data-frame") == "0"

    page.focus("#still")
    page.keyboard.press("ArrowLeft")
    assert still.get_attribute("data-frame") == "11"
    assert still.get_attribute("data-playing") == "false"
    assert errors == []
    page.close()


@pytest.mark.slow
def test_autoplay_turns_until_touched(site, browser):
    page = browser.new_page(viewport={"width": 800, "height": 700})
    page.goto(site + "index.html")
    page.wait_for_selector("#auto[data-playing=true]", timeout=10_000)
    seen = set()
    for _ in range(12):
        seen.add(page.get_attribute("#auto", "data-frame"))
        page.wait_for_timeout(100)
    assert len(seen) >= 4  # it turns by itself
    page.click("#auto .heritage-spin__play")  # pause button
    assert page.get_attribute("#auto", "data-playing") == "false"
    held = page.get_attribute("#auto", "data-frame")
    page.wait_for_timeout(400)
    assert page.get_attribute("#auto", "data-frame") == held
    page.close()


@pytest.mark.slow
def test_reduced_motion_does_not_autoplay(site, browser):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(site + "index.html")
    page.wait_for_selector("#auto[data-state=ready]", timeout=10_000)
    page.wait_for_timeout(300)
    assert page.get_attribute("#auto", "data-playing") == "false"
    context.close()
