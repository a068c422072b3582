"""Curators' notes in real headless Chromium: hotspots where the model's points are on screen, the note
in the visitor's language, the tour moving the camera, keyboard-only use, and `?annotations=0`."""

from __future__ import annotations

import json
import math

import pytest
import requests
from playwright.sync_api import sync_playwright

from service.config import Settings
from tests.conftest import _stop
from tests.conftest import make_key
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.fixtures import textured_obj_zip
from tests.viewer.browser import LOAD_TIMEOUT_MS
from tests.viewer.browser import LOADED
from tests.viewer.browser import PageLog
from tests.viewer.browser import launch

pytestmark = pytest.mark.slow

# the test box is 20 x 30 x 10 cm, base centre at the origin: points on its front (+Z), side (+X) and top faces
NOTES = [
    {"position": [0.05, 0.2, 0.05], "normal": [0, 0, 1], "title": {"vi": "Mặt trước", "en": "Front face"},
     "body": {"vi": "Hoa văn sơn mài.", "en": "Lacquer pattern, see https://example.org/lacquer"}},
    {"position": [0.1, 0.1, 0.0], "normal": [1, 0, 0], "title": {"vi": "Mặt bên", "en": "Side face"},
     "camera": {"orbit": [90, 80, 0.7], "target": [0.1, 0.1, 0.0], "fov": 30}},
    {"position": [-0.05, 0.3, 0.0], "normal": [0, 1, 0], "title": {"en": "Lid"}, "body": {"en": "Only in English."}},
]

# where model-viewer's camera puts a point on the canvas, computed here from its own camera state
PROJECT = """([x, y, z]) => {
  const mv = document.querySelector('model-viewer');
  const o = mv.getCameraOrbit(), t = mv.getCameraTarget();
  const fov = mv.getFieldOfView() * Math.PI / 180;
  const cam = [t.x + o.radius * Math.sin(o.phi) * Math.sin(o.theta), t.y + o.radius * Math.cos(o.phi),
               t.z + o.radius * Math.sin(o.phi) * Math.cos(o.theta)];
  const sub = (a, b) => a.map((v, i) => v - b[i]);
  const norm = (a) => { const n = Math.hypot(...a); return a.map((v) => v / n); };
  const cross = (a, b) => [a[1]*b[2]-a[2]*b[1], a[2]*b[0]-a[0]*b[2], a[0]*b[1]-a[1]*b[0]];
  const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
  const f = norm(sub([t.x, t.y, t.z], cam)), r = norm(cross(f, [0, 1, 0])), u = cross(r, f);
  const p = sub([x, y, z], cam);
  const rect = mv.getBoundingClientRect();
  const k = (rect.height / 2) / Math.tan(fov / 2);
  return [rect.left + rect.width / 2 + k * dot(p, r) / dot(p, f), rect.top + rect.height / 2 - k * dot(p, u) / dot(p, f)];
}"""
CENTRE = """(el) => { const b = el.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; }"""
# the camera glides to a note: settled when neither its orbit nor its target moved in 300 ms
SETTLED = """() => { const mv = document.querySelector('model-viewer');
  const at = () => { const o = mv.getCameraOrbit(), t = mv.getCameraTarget(); return [o.theta, o.phi, o.radius, t.x, t.y, t.z]; };
  const a = at(); return new Promise((done) => setTimeout(() => {
  const b = at(); done(a.every((v, i) => Math.abs(v - b[i]) < 1e-4)); }, 300)); }"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("notes-live")
    live = start_live(Settings(data_dir=str(root / "live"), testing=True, start_worker=True, previews=False))
    key = live.app.config["TEST_KEY"] = make_key(live.app)
    auth = {"Authorization": f"Bearer {key}"}
    path = textured_obj_zip(root / "box.zip")
    meta = {"title": {"vi": "Hộp gỗ", "en": "Wooden box"}, "unit": "cm", "licence": "CC-BY-4.0"}
    with open(path, "rb") as f:
        resp = requests.post(f"{live.url}/api/v1/artefacts", files={"file": (path.name, f)},
                             data={"metadata": json.dumps(meta)}, headers=auth, timeout=60)
    art_id = resp.json()["id"]

    def ready():
        body = requests.get(f"{live.url}/api/v1/artefacts/{art_id}", headers=auth, timeout=30).json()
        assert body["status"] != "failed", body
        return body if body["status"] == "ready" else None

    art = wait_for(ready, timeout=180)
    for note in NOTES:
        r = requests.post(f"{live.url}/api/v1/artefacts/{art_id}/annotations", json=note, headers=auth, timeout=30)
        assert r.status_code == 201, r.text
    with sync_playwright() as pw:
        browser = launch(pw)
        yield live, art, browser
        browser.close()
    live.stop()
    _stop(live.app)


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 900, "height": 800})
    log = PageLog(page)
    page.goto(url)
    page.wait_for_function(LOADED, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(SETTLED)
    return page, log


def test_hotspots_sit_on_their_points_and_open_the_note(site):
    live, art, browser = site
    page, log = open_page(browser, art["links"]["share"] + "?lang=en")
    spots = page.locator("model-viewer .hotspot")
    assert spots.count() == 3
    assert [spots.nth(i).get_attribute("aria-label") for i in range(3)] == \
        ["Note 1: Front face", "Note 2: Side face", "Note 3: Lid"]
    for i, note in enumerate(NOTES):
        want = page.evaluate(PROJECT, note["position"])
        got = spots.nth(i).evaluate(CENTRE)
        assert math.dist(want, got) <= 3, (i, want, got)
    spots.nth(0).click()
    assert page.locator("#note-title").inner_text() == "Front face"
    link = page.locator("#note-body a")
    assert link.get_attribute("href") == "https://example.org/lacquer"
    assert log.console_errors == []
    page.close()


def test_vietnamese_page_shows_vietnamese_notes(site):
    live, art, browser = site
    page, _ = open_page(browser, art["links"]["share"] + "?lang=vi")
    page.locator("model-viewer .hotspot").nth(0).click()
    assert page.locator("#note-title").inner_text() == "Mặt trước"
    assert page.locator("#note-body").inner_text() == "Hoa văn sơn mài."
    page.locator("model-viewer .hotspot").nth(2).click()  # only in English: shown in English
    assert page.locator("#note-title").inner_text() == "Lid"
    page.close()


def test_tour_moves_the_camera_with_the_keyboard_alone(site):
    live, art, browser = site
    page, log = open_page(browser, art["links"]["share"] + "?lang=en")
    # keyboard only: Tab to the tour button and start it
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "tour-start":
            break
    assert page.evaluate("document.activeElement.id") == "tour-start"
    page.keyboard.press("Enter")
    assert page.locator("#note-title").inner_text() == "Front face"
    page.wait_for_function(SETTLED)
    target = page.evaluate("() => { const t = document.querySelector('model-viewer').getCameraTarget(); return [t.x, t.y, t.z]; }")
    assert target == pytest.approx(NOTES[0]["position"], abs=1e-3)
    page.keyboard.press("ArrowRight")
    assert page.locator("#note-title").inner_text() == "Side face"
    page.wait_for_function(SETTLED)
    orbit = page.evaluate("() => { const o = document.querySelector('model-viewer').getCameraOrbit(); "
                          "return [o.theta * 180 / Math.PI, o.phi * 180 / Math.PI, o.radius]; }")
    assert orbit == pytest.approx([90, 80, 0.7], abs=0.5)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # wraps round to the first
    assert page.locator("#note-title").inner_text() == "Front face"
    page.keyboard.press("ArrowLeft")
    assert page.locator("#note-title").inner_text() == "Lid"
    page.keyboard.press("Escape")
    assert page.locator("#note-panel").is_hidden()
    # a hotspot is a button reached by Tab and opened by Enter
    page.locator("model-viewer .hotspot").nth(1).focus()
    page.keyboard.press("Enter")
    assert page.locator("#note-title").inner_text() == "Side face"
    assert log.console_errors == []
    page.close()


def test_embed_can_hide_the_notes(site):
    live, art, browser = site
    page, _ = open_page(browser, art["links"]["embed"] + "?annotations=0")
    assert page.locator(".hotspot").count() == 0 and page.locator("#tour-start").count() == 0
    page.close()
    page, _ = open_page(browser, art["links"]["embed"])
    assert page.locator("model-viewer .hotspot").count() == 3
    page.close()


def test_curator_pins_edits_moves_reorders_and_deletes_notes(site):
    live, art, browser = site
    key = live.app.config.get("TEST_KEY")
    assert key, "the site fixture keeps its key for the editor test"
    page = browser.new_page(viewport={"width": 900, "height": 900})
    log = PageLog(page)
    page.goto(f"{live.url}/annotate/{art['id']}")
    page.get_by_label("API key").fill("har_wrong")
    page.get_by_role("button", name="Open").click()
    page.wait_for_function("() => document.getElementById('editor-status').textContent.includes('Could not open')")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Open").click()
    page.wait_for_function(LOADED, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(SETTLED)
    assert page.locator("#notes > li").count() == 3
    # click the middle of the model: a note is pinned on the front face (z = +5 cm)
    box = page.locator("model-viewer").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelectorAll('#notes > li').length === 4")
    api = f"{live.url}/api/v1/artefacts/{art['id']}/annotations"
    headers = {"Authorization": f"Bearer {key}"}
    new = requests.get(api, headers=headers, timeout=30).json()["items"][-1]
    assert new["position"][2] == pytest.approx(0.05, abs=0.002) and new["normal"] == pytest.approx([0, 0, 1], abs=1e-3)
    item = page.locator(f'#notes > li[data-note="{new["id"]}"]')
    item.get_by_label("Title (English)").fill("Maker's mark")
    item.get_by_label("Text (Vietnamese)").fill("Dấu của người thợ.")
    item.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_function("() => document.getElementById('editor-status').textContent === 'Saved.'")
    got = requests.get(f"{api}/{new['id']}", headers=headers, timeout=30).json()
    assert got["title"] == {"vi": "Ghi chú 4", "en": "Maker's mark"} and got["body"] == {"vi": "Dấu của người thợ."}
    # drag the new point up the front face
    spot = page.locator(f'model-viewer .hotspot[data-note="{new["id"]}"]')
    page.evaluate("window.scrollTo(0, 0)")  # the editor focused the new note's fields further down
    page.wait_for_function("""(id) => { const s = document.querySelector(`.hotspot[data-note="${id}"]`).getBoundingClientRect();
      const m = document.querySelector('model-viewer').getBoundingClientRect();
      return s.top > m.top && s.bottom < m.bottom && s.left > m.left && s.right < m.right; }""", arg=new["id"])
    page.wait_for_function(SETTLED)
    x, y = spot.evaluate(CENTRE)
    assert math.dist((x, y), page.evaluate(PROJECT, new["position"])) <= 3
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 40, steps=5)
    page.mouse.up()
    page.wait_for_function("() => document.getElementById('editor-status').textContent === 'Point moved.'")
    moved = requests.get(f"{api}/{new['id']}", headers=headers, timeout=30).json()
    assert moved["position"][1] > new["position"][1] + 0.01 and moved["position"][2] == pytest.approx(0.05, abs=0.002)
    # move it to the top of the list, then delete it
    for _ in range(3):
        page.locator(f'#notes > li[data-note="{new["id"]}"]').get_by_role("button", name="Move up").click()
        page.wait_for_function("() => document.getElementById('editor-status').textContent === 'Order saved.'")
        page.evaluate("() => { document.getElementById('editor-status').textContent = ''; }")
    assert requests.get(api, headers=headers, timeout=30).json()["items"][0]["id"] == new["id"]
    page.locator(f'#notes > li[data-note="{new["id"]}"]').get_by_role("button", name="Delete").click()
    page.wait_for_function("() => document.querySelectorAll('#notes > li').length === 3")
    assert [n["title"]["en"] for n in requests.get(api, headers=headers, timeout=30).json()["items"]] == \
        ["Front face", "Side face", "Lid"]
    assert page.locator("#preview").get_attribute("href") == art["links"]["share"]
    assert [e for e in log.console_errors if "401" not in e] == []
    page.close()
