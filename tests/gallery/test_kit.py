"""The creator kit ZIP and licences in plain words, for every SPDX id, on cards and share pages."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from service.api.kit import KIT_LIMIT
from service.db import get_db
from service.db.gallery import counts
from service.db.models import Artefact
from service.storage import derivative_key
from service.storage import get_store
from tests.conftest import _stop
from tests.gallery.helpers import FINE_ARTS
from tests.gallery.helpers import publish
from tests.viewer.helpers import decode_qr
from tests.viewer.helpers import parse

# what each licence must tell a creator, checked against the words on the page (not copied from the code)
LICENCES = {
    "CC0-1.0": ("free", "Free to use for anything, even commercially", "kể cả thương mại"),
    "PDM-1.0": ("free", "Public domain", "phạm vi công cộng"),
    "CC-BY-4.0": ("free", "Free to use in your videos, even commercially; credit the museum", "ghi công bảo tàng"),
    "CC-BY-SA-4.0": ("free", "share your work under the same licence", "cùng giấy phép"),
    "CC-BY-NC-4.0": ("restricted", "Not for commercial use", "Không dùng cho mục đích thương mại"),
    "CC-BY-NC-SA-4.0": ("restricted", "Not for commercial use", "Không dùng cho mục đích thương mại"),
    "CC-BY-ND-4.0": ("restricted", "no edits or remixes", "không được chỉnh sửa"),
    "CC-BY-NC-ND-4.0": ("restricted", "no edits, not for commercial use", "không dùng cho mục đích thương mại"),
    "all-rights-reserved": ("restricted", "ask the museum", "hãy hỏi bảo tàng"),
}
NAMES = {"CC0-1.0": "CC0 1.0", "PDM-1.0": "Public Domain Mark 1.0", "CC-BY-4.0": "CC BY 4.0",
         "CC-BY-SA-4.0": "CC BY-SA 4.0", "CC-BY-NC-4.0": "CC BY-NC 4.0", "CC-BY-NC-SA-4.0": "CC BY-NC-SA 4.0",
         "CC-BY-ND-4.0": "CC BY-ND 4.0", "CC-BY-NC-ND-4.0": "CC BY-NC-ND 4.0",
         "all-rights-reserved": "All rights reserved"}


@pytest.fixture(scope="module")
def licensed(tmp_path_factory):
    """One artefact per licence id, numbered LIC-<id> so a search finds each one."""
    from service import create_app
    from service.config import Settings

    root = tmp_path_factory.mktemp("licences")
    app = create_app(Settings(data_dir=str(root / "var"), testing=True, start_worker=False, previews=False))
    arts = {}
    for spdx in LICENCES:
        md = {"title": {"vi": f"Hiện vật {spdx}", "en": f"Artefact {spdx}"}, "licence": spdx,
              "creator": "Nghệ nhân A", "attribution": "Bảo tàng B", "accession_number": f"LIC-{spdx}"}
        arts[spdx] = publish(app, FINE_ARTS, md)
    yield app, app.test_client(), arts
    _stop(app)


@pytest.mark.parametrize("spdx", list(LICENCES))
def test_licence_line_on_card_and_share_page(licensed, spdx):
    app, client, arts = licensed
    family, en, vi = LICENCES[spdx]
    credit = {"en": f"“Artefact {spdx}” — Nghệ nhân A, Bảo tàng B ({NAMES[spdx]})",
              "vi": f"“Hiện vật {spdx}” — Nghệ nhân A, Bảo tàng B ({NAMES[spdx]})"}
    if spdx == "all-rights-reserved":
        credit = {lang: line.replace(", Bảo tàng B (All rights reserved)", " (© Bảo tàng B)")
                  for lang, line in credit.items()}
    for lang, phrase in (("en", en), ("vi", vi)):
        doc = parse(client.get("/gallery", query_string={"q": f"LIC-{spdx}", "lang": lang}))
        (card,) = doc.xpath("//li[@class='card']")
        (box,) = card.xpath(".//div[@class='licence-plain']")
        assert box.get("data-licence") == spdx and box.get("data-family") == family
        assert phrase.lower() in box.xpath("string(.//p[@class='plain'])").lower()
        assert box.xpath("string(.//span[@class='credit-text'])") == credit[lang]
        assert box.xpath(".//button")[0].get("data-copy") == credit[lang]
        share = parse(client.get(f"/ar/{arts[spdx]['slug']}", query_string={"lang": lang}))
        (box,) = share.xpath(f"//article[@data-l='{lang}']//div[@class='licence-plain']")  # one page, both languages
        other = vi if lang == "en" else en
        assert phrase.lower() in box.xpath("string(.//p[@class='plain'])").lower()
        assert other.lower() in box.xpath("string(.//p[contains(@class, 'plain-other')])").lower()
        assert box.xpath("string(.//span[@class='credit-text'])") == credit[lang]
    (zip_link,) = share.xpath(f"//div[@data-l='{lang}']//a[contains(@class, 'kit-zip')]")  # one kit block per language
    assert zip_link.get("href").endswith(f"/kit/{arts[spdx]['slug']}.zip")


def kit_of(client, slug: str) -> dict[str, bytes]:
    resp = client.get(f"/kit/{slug}.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip", resp.get_data(as_text=True)[:300]
    assert resp.is_streamed and resp.headers["Content-Disposition"].startswith('attachment; filename="')
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as zf:
        assert zf.testzip() is None
        return {name.split("/", 1)[1]: zf.read(name) for name in zf.namelist()}


def test_kit_holds_every_promised_file(gallery):
    art = gallery.arts["ao_dai"]
    files = kit_of(gallery.client, art["slug"])
    assert sorted(files) == ["README.txt", "caption-en.txt", "caption-vi.txt", "cover.jpg", "link.txt",
                             "poster.jpg", "qr.png", "video-vertical.mp4"]
    with gallery.app.app_context():
        store = get_store()
        assert files["cover.jpg"] == store.get(derivative_key(art["id"], 1, "cover.jpg"))
        assert files["video-vertical.mp4"] == store.get(derivative_key(art["id"], 1, "turntable.mp4"))
    share = f"https://ar.example.vn/ar/{art['slug']}"
    short = f"https://ar.example.vn/s/{art['short_code']}"
    assert decode_qr(files["qr.png"]) == share
    assert files["link.txt"].decode().split() == [short, share]
    vi, en = files["caption-vi.txt"].decode(), files["caption-en.txt"].decode()
    assert vi.startswith("Áo dài lụa tơ tằm — Nhà may Thái Tuấn") and en.startswith("Silk áo dài — Nhà may Thái Tuấn")
    assert "Nguồn: “Áo dài lụa tơ tằm” — Nhà may Thái Tuấn, Bảo tàng Dân tộc học Việt Nam (CC BY 4.0)" in vi
    assert "Credit: “Silk áo dài” — Nhà may Thái Tuấn, Bảo tàng Dân tộc học Việt Nam (CC BY 4.0)" in en
    assert vi.rstrip().endswith("#BanSacViet #DiSan") and en.rstrip().endswith("#BanSacViet #DiSan")
    assert short in vi and short in en
    readme = files["README.txt"].decode()
    for needle in ("CC BY 4.0 <https://creativecommons.org/licenses/by/4.0/>", "credit the museum",
                   "ghi công bảo tàng", share, short, "video-vertical.mp4"):
        assert needle in readme
    assert not [n for n, data in files.items() if b"GHI-CHU-NOI-BO" in data]  # private fields stay out


def test_kit_adds_the_annotated_video_when_there_is_one(tmp_path):
    from tests.gallery.conftest import make_gallery
    from tests.gallery.helpers import FAKE_MP4

    site = make_gallery(tmp_path / "var")
    try:
        art = publish(site.app, FINE_ARTS, {"title": {"vi": "Bình"}, "licence": "CC0-1.0"},
                      files={"turntable.mp4": FAKE_MP4, "turntable-annotated.mp4": FAKE_MP4 + b"notes"})
        files = kit_of(site.client, art["slug"])
        assert files["video-vertical-annotated.mp4"].endswith(b"notes")
        assert "cover.jpg" not in files  # only what the artefact has
    finally:
        _stop(site.app)


def test_kit_for_hidden_artefacts(gallery):
    for name in ("withdrawn", "processing"):
        resp = gallery.client.get(f"/kit/{gallery.arts[name]['slug']}.zip")
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert gallery.client.get("/kit/no-such-slug.zip").status_code == 404
    kit_of(gallery.client, gallery.arts["unlisted"]["slug"])  # out of the gallery, but its link works


def test_kit_downloads_are_counted_and_rate_limited(tmp_path):
    from tests.gallery.conftest import make_gallery

    site = make_gallery(tmp_path / "var")
    try:
        slug = site.arts["hat"]["slug"]
        limit = int(KIT_LIMIT.split()[0])
        for _ in range(limit):
            assert site.client.get(f"/kit/{slug}.zip").status_code == 200
        over = site.client.get(f"/kit/{slug}.zip")
        assert over.status_code == 429 and over.get_json()["error"]["code"] == "rate_limited" and int(over.headers["Retry-After"]) > 0
        with site.app.app_context():
            db = get_db()
            today = dt.date.today()
            assert counts(db, since=today, until=today) == {"search": 0, "kit": limit}
            assert db.get(Artefact, site.arts["hat"]["id"]).page_views == 1  # the fixture's, untouched
    finally:
        _stop(site.app)
