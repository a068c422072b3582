"""The studio end to end in real headless Chromium: users made with the CLI sign in, upload a zipped
textured scan through the page, watch it reach `ready`, edit the title and see it on the share page, copy
the embed code and withdraw it, in English and in Vietnamese; a wrong password, a missing CSRF token and a
second institution are refused; axe-core finds no serious or critical violation on any studio page, at
desktop and phone width, and no page scrolls sideways on a phone.

Set HERITAGE_AR_STUDIO_SHOTS=docs/img to (re)write the screenshots docs/studio.md shows.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from PIL import Image
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright

from service.cli import cli
from service.config import Settings
from tests.conftest import _stop
from tests.conftest import start_live
from tests.conftest import wait_for
from tests.fixtures import REPO
from tests.fixtures import textured_obj_zip
from tests.viewer.browser import launch

pytestmark = pytest.mark.slow

AXE = next(iter(sorted((REPO / "assets" / "vendor").glob("axe-core-*/axe.min.js"))), None)
PASSWORD = "a long enough password"
DESKTOP = {"viewport": {"width": 1200, "height": 850}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SHOTS = os.environ.get("HERITAGE_AR_STUDIO_SHOTS")
JOB_TIMEOUT_MS = 180_000


def cli_user(data_dir: str, *args: str, password: str | None = PASSWORD) -> str:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HERITAGE_AR_DATA_DIR", data_dir)
        args = ("users", "create", *args) + (("--password-stdin",) if password else ())
        result = CliRunner().invoke(cli, list(args), input=(password + "\n") if password else None)
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio-live")
    data_dir = str(root / "live")
    live = start_live(Settings(data_dir=data_dir, testing=True, start_worker=True, previews=False))
    cli_user(data_dir, "--institution", "Bảo tàng Mỹ thuật Việt Nam", "--email", "lan@vnfam.vn", "--role", "admin")
    cli_user(data_dir, "--institution", "Bảo tàng Cổ vật Huế", "--email", "minh@hue.vn", "--role", "editor")
    cli_user(data_dir, "--institution", "Bảo tàng Khác", "--email", "khach@other.vn", "--role", "admin")
    scan = textured_obj_zip(root / "box.zip")
    with sync_playwright() as pw:
        browser = launch(pw)
        yield live, browser, scan
        browser.close()
    live.stop()
    _stop(live.app)


def axe_serious(page) -> list[str]:
    """Serious and critical axe-core violations (frames skipped: the phone preview is the share page's own test)."""
    if AXE is None:
        pytest.fail("axe-core is not vendored: run scripts/vendor-assets.sh (assets/vendor/axe-core-*/axe.min.js)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document, {iframes: false})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][:3]}" for v in found if v["impact"] in ("serious", "critical")]


def check_page(page, name: str, *, shoot: bool = True) -> None:
    """axe, no sideways scrolling, and a screenshot when asked for (English pages only)."""
    assert axe_serious(page) == [], name
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, (name, width)
    if SHOTS and shoot and page.evaluate("document.documentElement.lang") == "en":
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        kind = "phone" if page.viewport_size["width"] < 600 else "desktop"
        # 128-colour PNG: a flat interface loses nothing visible and the file is a third of the size
        shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB").quantize(colors=128)
        shot.save(Path(SHOTS) / f"studio-{name}-{kind}.png", optimize=True)


def new_page(browser, locale: str, **kw):
    context = browser.new_context(locale=locale, **{**DESKTOP, **kw})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())  # confirm() before withdrawing (PageLog would dismiss it)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def sign_in(page, url: str, email: str, words: dict) -> None:
    page.goto(url + "/")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    expect(page.locator("h1")).to_have_text(words["collection"])


EN = {"email": "Email", "password": "Password", "sign_in": "Sign in", "collection": "Collection", "upload": "Upload",
      "files": "Files", "title_en": "Title (English)", "title_vi": "Title (Vietnamese)", "ready": "ready",
      "save": "Save", "saved": "Saved.", "share_page": "Open the share page", "share": "Share",
      "copy_embed": re.compile(r"^Copy\W*Embed code$"), "withdraw": "Withdraw", "statistics": "Statistics",
      "withdraw_selected": "Withdraw selected", "height": "Height", "up_axis": "Up axis of the file",
      "reprocess": "Process again", "positive": "expected a positive number",
      "bad": "The email or password is not right"}
VI = {"email": "Email", "password": "Mật khẩu", "sign_in": "Đăng nhập", "collection": "Bộ sưu tập", "upload": "Tải lên",
      "files": "Tệp", "title_en": "Tên (tiếng Anh)", "title_vi": "Tên (tiếng Việt)", "ready": "sẵn sàng",
      "save": "Lưu", "saved": "Đã lưu.", "share_page": "Mở trang chia sẻ", "share": "Chia sẻ",
      "copy_embed": re.compile(r"^Sao chép\W*Mã nhúng$"), "withdraw": "Gỡ bỏ", "statistics": "Thống kê",
      "withdraw_selected": "Gỡ các mục đã chọn", "height": "Cao", "up_axis": "Trục hướng lên của tệp",
      "reprocess": "Xử lý lại", "positive": "cần một số lớn hơn 0",
      "bad": "Email hoặc mật khẩu không đúng"}


def run_flow(site, locale: str, words: dict, email: str, titles: tuple[str, str], new_title: str, *,
             bulk: bool = False) -> str:
    """Sign in, upload, wait for ready, edit, share, copy, withdraw; returns the withdrawn artefact's id."""
    live, browser, scan = site
    context, page, errors = new_page(browser, locale)
    # a wrong password is refused, on the sign-in page itself
    page.goto(live.url + "/")
    check_page(page, "signin")
    page.get_by_label(words["email"]).fill(email)
    page.get_by_label(words["password"], exact=True).fill("not my password")
    page.get_by_role("button", name=words["sign_in"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["bad"])
    sign_in(page, live.url, email, words)
    check_page(page, "collection-empty", shoot=False)

    page.get_by_role("navigation").get_by_role("link", name=words["upload"], exact=True).click()
    check_page(page, "upload")
    page.get_by_label(words["files"], exact=True).set_input_files(str(scan))
    page.get_by_label(words["title_en"]).fill(titles[0])
    page.get_by_label(words["title_vi"]).fill(titles[1])
    # checked inline with the API's rules, under the field, before anything is sent
    page.get_by_label(words["height"], exact=True).fill("-3")
    page.get_by_label(words["height"], exact=True).press("Tab")
    expect(page.locator("#err-height")).to_contain_text(words["positive"])
    page.get_by_label(words["height"], exact=True).fill("30")
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url("**/studio/artefacts/*")
    art_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#art-status")).to_have_text(words["ready"], timeout=JOB_TIMEOUT_MS)
    share = page.get_by_role("link", name=words["share_page"])
    share_url = share.get_attribute("href")
    assert "/ar/" in share_url
    check_page(page, "artefact")
    page.goto(live.url + "/")
    check_page(page, "collection")
    page.goto(f"{live.url}/studio/artefacts/{art_id}")

    # the notes editor opens with the session: no API key to type
    if not bulk:
        page.get_by_role("link", name="Add notes on the model").click()
        expect(page.locator("#editor-status")).to_contain_text("Click the model to add one", timeout=60_000)
        assert page.locator("#key-form").is_hidden()
        page.go_back()

    # edit the English title; the share page shows it
    edit = page.locator("#edit-form")
    edit.get_by_label(words["title_en"]).fill(new_title)
    edit.get_by_role("button", name=words["save"]).click()
    expect(page.locator("#edit-status")).to_have_text(words["saved"])
    wait_for(lambda: new_title in requests.get(share_url + "?lang=en", timeout=30).text, timeout=30)

    # process again with another up axis: a second version, shown in the history when ready
    if not bulk:
        page.locator("#reprocess-form").get_by_label(words["up_axis"]).select_option("+Z")
        page.get_by_role("button", name=words["reprocess"]).click()
        versions = page.locator("section[aria-labelledby=h-versions] tbody tr")
        expect(versions).to_have_count(2, timeout=30_000)
        expect(versions.first).to_contain_text(words["ready"], timeout=JOB_TIMEOUT_MS)

    # a write with the session but without the page's CSRF token is refused
    refused = page.request.patch(f"{live.url}/api/v1/artefacts/{art_id}", data={"title": {"en": "forged"}})
    assert refused.status == 403 and refused.json()["error"]["code"] == "csrf_failed"

    # the artefact's pages at phone width, with the same session
    phone = browser.new_context(locale=locale, storage_state=context.storage_state(), **PHONE)
    small = phone.new_page()
    for name, path in (("artefact", ""), ("share", "/share"), ("stats", "/stats"), ("collection", None)):
        small.goto(live.url + "/" if path is None else f"{live.url}/studio/artefacts/{art_id}{path}")
        check_page(small, name)
    phone.close()

    # share: copy the embed code
    page.get_by_role("link", name=words["share"], exact=True).click()
    page.get_by_role("button", name=words["copy_embed"]).click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("<iframe") and "/embed/" in copied
    check_page(page, "share")

    page.goto(f"{live.url}/studio/artefacts/{art_id}/stats")
    assert page.locator("svg.chart").count() == 3
    check_page(page, "stats")

    # withdraw, from the artefact page or ticked in the collection: the link stops
    if bulk:
        page.goto(live.url + "/")
        page.get_by_role("checkbox", name=titles[1]).check()  # the Vietnamese page names it by its vi title
        page.get_by_role("button", name=words["withdraw_selected"]).click()
        expect(page.locator("table.list")).to_have_count(0, timeout=30_000)
    else:
        page.goto(f"{live.url}/studio/artefacts/{art_id}")
        page.get_by_role("button", name=words["withdraw"], exact=True).click()
        expect(page.locator("h1")).to_have_text(words["collection"], timeout=30_000)
    assert requests.get(share_url, timeout=30).status_code in (404, 410)
    assert errors == []
    context.close()
    return art_id


def test_english_flow(site):
    live, browser, _ = site
    art_id = run_flow(site, "en-GB", EN, "lan@vnfam.vn", ("Lacquered box", "Hộp sơn mài"), "Lacquered box, Đông Hồ")
    # the other institution sees nothing of it, not even by its id
    context, page, _ = new_page(browser, "en-GB")
    sign_in(page, live.url, "khach@other.vn", EN)
    assert page.locator("table.list").count() == 0
    resp = page.goto(f"{live.url}/studio/artefacts/{art_id}")
    assert resp.status == 404
    assert page.request.get(f"{live.url}/api/v1/artefacts").json()["total"] == 0
    context.close()


def test_vietnamese_flow(site):
    run_flow(site, "vi-VN", VI, "minh@hue.vn", ("Wooden box", "Hộp gỗ chạm khắc"), "Carved wooden box", bulk=True)


def test_one_time_link_lets_a_new_user_choose_a_password(site):
    live, browser, _ = site
    link = cli_user(live.app.config["SETTINGS"].data_dir, "--institution", "Bảo tàng Mỹ thuật Việt Nam",
                    "--email", "hoa@vnfam.vn", "--role", "viewer", password=None)
    assert link.startswith("http") and "/welcome/" in link
    context, page, errors = new_page(browser, "en-GB")
    page.goto(live.url + "/welcome/" + link.rsplit("/welcome/", 1)[1])
    check_page(page, "welcome", shoot=False)
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Save and sign in").click()
    expect(page.locator("h1")).to_have_text("Collection")
    assert page.get_by_role("link", name="Upload").count() == 0  # a viewer does not upload
    assert errors == []
    context.close()


@pytest.mark.parametrize("name", ["signin", "collection", "upload", "users", "keys", "settings"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_page_at_width(site, name, width):
    live, browser, _ = site
    context, page, _ = new_page(browser, "en-GB", **(PHONE if width == "phone" else {}))
    if name != "signin":
        sign_in(page, live.url, "lan@vnfam.vn", EN)
        page.goto(live.url + {"collection": "/", "upload": "/studio/upload", "users": "/studio/users",
                               "keys": "/studio/keys", "settings": "/studio/settings"}[name])
    else:
        page.goto(live.url + "/signin")
    check_page(page, name, shoot=name != "collection")  # the flows show it with an artefact in it
    context.close()


def test_sign_in_and_reach_the_upload_page_with_the_keyboard_alone(site):
    live, browser, _ = site
    context, page, errors = new_page(browser, "en-GB")
    page.goto(live.url + "/")
    assert page.evaluate("document.activeElement.id") == "email"  # the form is where the cursor starts
    page.keyboard.type("lan@vnfam.vn")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Collection")
    for _ in range(10):  # skip link, brand, Collection, Upload
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Upload":
            break
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Upload an artefact")
    page.keyboard.press("Tab")  # the skip link comes first on every page
    assert page.evaluate("document.activeElement.className") == "skip"
    assert errors == []
    context.close()
