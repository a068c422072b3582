"""Gallery pages without a browser: what is shown and hidden, search, filters, sorting, pages,
languages, public fields only, escaping, structured data, the listed flag through the API."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy import text

from service.api import gallery_page
from service.db import get_db
from service.db.gallery import counts
from tests.conftest import make_key
from tests.gallery.conftest import COLLECTION
from tests.gallery.conftest import EVIL
from tests.gallery.conftest import HIDDEN
from tests.gallery.helpers import FINE_ARTS
from tests.viewer.helpers import json_ld
from tests.viewer.helpers import meta_tags
from tests.viewer.helpers import parse

SHOWN = [name for name in COLLECTION if name not in HIDDEN]
EN = {name: (md["title"].get("en") or md["title"]["vi"]) for name, (_, md, _) in COLLECTION.items()}


def titles(resp) -> list[str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return [h.text_content() for h in parse(resp).xpath("//li[@class='card']//h2")]


def names_of(resp) -> list[str]:
    by_title = {title: name for name, title in EN.items()}
    return [by_title[t] for t in titles(resp)]


def test_gallery_shows_published_listed_artefacts_only(gallery):
    resp = gallery.client.get("/gallery?lang=en")
    assert sorted(names_of(resp)) == sorted(SHOWN)
    body = resp.get_data(as_text=True)
    for name in HIDDEN:
        assert EN[name] not in body and gallery.arts[name]["slug"] not in body
    assert parse(resp).xpath("string(//p[@class='count'])") == "5 artefacts"


def test_institution_gallery(gallery):
    slug = gallery.arts["dong_ho"]["institution"]
    assert slug == "bao-tang-my-thuat-viet-nam"
    assert sorted(names_of(gallery.client.get(f"/gallery/{slug}?lang=en"))) == ["dong_ho", "drum", "evil"]
    missing = gallery.client.get("/gallery/no-such-museum")
    assert missing.status_code == 404 and missing.mimetype == "text/html"


@pytest.mark.parametrize(("q", "expected"), [
    pytest.param("ao dai", ["ao_dai"], id="no-diacritics"),
    pytest.param("ÁO DÀI", ["ao_dai"], id="upper-case"),
    pytest.param("Silk", ["ao_dai"], id="english-title"),
    pytest.param("Thái Tuấn", ["ao_dai"], id="creator"),
    pytest.param("đông sơn", ["drum"], id="culture"),
    pytest.param("dong ho", ["dong_ho"], id="vi-title-and-culture"),
    pytest.param("DTH-2024-017", ["ao_dai"], id="accession"),
    pytest.param("dth", ["ao_dai", "hat"], id="accession-prefix"),
    pytest.param("LSb_100%", ["drum"], id="accession-with-like-wildcards"),
    pytest.param("%", ["drum"], id="percent-is-literal"),
    pytest.param("_1", ["drum"], id="underscore-is-literal"),
    pytest.param("bronze nón", [], id="all-words-must-match"),
    pytest.param("teapot", [], id="unlisted-not-found"),
    pytest.param("withdrawn", [], id="withdrawn-not-found"),
    pytest.param("' OR '1'='1", [], id="sql-quote"),
    pytest.param("x'); DROP TABLE artefacts; --", [], id="sql-drop"),
    pytest.param('" OR 1=1 UNION SELECT * FROM api_keys --', [], id="sql-union"),
])
def test_search(gallery, q, expected):
    assert sorted(names_of(gallery.client.get("/gallery", query_string={"q": q, "lang": "en"}))) == expected
    with gallery.app.app_context():
        assert {"artefacts", "api_keys"} <= set(inspect(get_db().get_bind()).get_table_names())


def test_search_is_length_limited_and_escaped(gallery):
    resp = gallery.client.get("/gallery", query_string={"q": "<b>x</b>" + "a" * 5000})
    assert resp.status_code == 200
    doc = parse(resp)
    (box,) = doc.xpath("//input[@id='q']")
    assert box.get("value") == ("<b>x</b>" + "a" * 5000)[:100] and box.get("maxlength") == "100"
    assert not doc.xpath("//b") and "<b>x</b>" not in resp.get_data(as_text=True)
    assert meta_tags(doc)["robots"] == "noindex, follow"  # search results are not pages for search engines


@pytest.mark.parametrize(("args", "expected"), [
    pytest.param({"category": "crafts"}, ["evil", "hat"], id="category"),
    pytest.param({"kind": "scan"}, ["ao_dai", "drum"], id="kind"),
    pytest.param({"licence": "free"}, ["ao_dai", "dong_ho", "evil"], id="free"),
    pytest.param({"licence": "restricted"}, ["drum", "hat"], id="restricted"),
    pytest.param({"licence": "free", "category": "crafts"}, ["evil"], id="combined"),
    pytest.param({"category": "nonsense", "kind": "<x>", "licence": "1=1"}, SHOWN, id="unknown-values-ignored"),
])
def test_filters(gallery, args, expected):
    resp = gallery.client.get("/gallery", query_string={**args, "lang": "en"})
    assert sorted(names_of(resp)) == sorted(expected)


def test_sort_newest_and_most_viewed(gallery):
    assert names_of(gallery.client.get("/gallery?lang=en")) == ["hat", "drum", "dong_ho", "ao_dai", "evil"]
    # views of the last 30 days in daily_counts (50, 20, 5, 1, 0; tests/gallery/helpers.py)
    popular = gallery.client.get("/gallery?sort=popular&lang=en")
    assert names_of(popular) == ["dong_ho", "drum", "ao_dai", "hat", "evil"]


def test_most_viewed_reads_daily_counts(tmp_path):
    from tests.gallery.conftest import make_gallery

    site = make_gallery(tmp_path / "var")
    try:
        with site.app.app_context():
            db = get_db()
            db.execute(text("DELETE FROM daily_counts"))  # the fixture's own rows (helpers.py)
            # recent views reverse the all-time page_views order; old and non-view rows do not count
            rows = [("evil", 0, "view", 90), ("hat", 1, "view", 70), ("ao_dai", 2, "view", 30),
                    ("dong_ho", 400, "view", 1000), ("dong_ho", 0, "load", 1000), ("drum", 3, "view", 10)]
            for name, days_ago, event, n in rows:
                db.execute(text("INSERT INTO daily_counts (artefact_id, day, event, count) VALUES (:a, date('now', :ago), :e, :n)"),
                           {"a": site.arts[name]["id"], "ago": f"-{days_ago} days", "e": event, "n": n})
            db.commit()
        assert names_of(site.client.get("/gallery?sort=popular&lang=en")) == ["evil", "hat", "ao_dai", "drum",
                                                                               "dong_ho"]
    finally:
        from tests.conftest import _stop

        _stop(site.app)


def test_pages_have_stable_urls(gallery, monkeypatch):
    monkeypatch.setattr(gallery_page, "PER_PAGE", 2)
    first = gallery.client.get("/gallery", query_string={"lang": "en", "sort": "popular"})
    doc = parse(first)
    assert names_of(first) == ["dong_ho", "drum"]
    assert doc.xpath("//a[@rel='next']")[0].get("href") == "/gallery?sort=popular&page=2&lang=en"
    assert doc.xpath("//link[@rel='canonical']")[0].get("href") == "https://ar.example.vn/gallery?sort=popular&lang=en"
    second = gallery.client.get("/gallery?sort=popular&page=2&lang=en")
    assert names_of(second) == ["ao_dai", "hat"]
    assert parse(second).xpath("//a[@rel='prev']")[0].get("href") == "/gallery?sort=popular&lang=en"
    third = parse(gallery.client.get("/gallery?sort=popular&page=3&lang=en"))
    assert not third.xpath("//a[@rel='next']") and third.xpath("string(//nav[@class='pager']/span)") == "Page 3 of 3"
    beyond = gallery.client.get("/gallery?sort=popular&page=9&lang=en")
    assert beyond.status_code == 302 and beyond.headers["Location"] == "/gallery?sort=popular&page=3&lang=en"
    # parameters in one order whatever order they came in
    assert gallery_page.url_of("/gallery", gallery_page.read_query(
        {"page": "2", "licence": "free", "q": "  áo   dài ", "sort": "newest"}, None), lang="vi") == \
        "/gallery?q=%C3%A1o+d%C3%A0i&licence=free&page=2&lang=vi"


def test_language_from_accept_language_or_query(gallery):
    en = gallery.client.get("/gallery", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Silk áo dài" in titles(en) and en.headers["Vary"] == "Accept-Language"
    vi = gallery.client.get("/gallery?lang=vi", headers={"Accept-Language": "en"})
    doc = parse(vi)
    assert doc.get("lang") == "vi" and "Áo dài lụa tơ tằm" in titles(vi) and "Vary" not in vi.headers
    links = {el.get("hreflang"): el.get("href") for el in doc.xpath("//link[@rel='alternate'][@hreflang]")}
    assert links == {"vi": "https://ar.example.vn/gallery?lang=vi", "en": "https://ar.example.vn/gallery?lang=en",
                     "x-default": "https://ar.example.vn/gallery"}
    # an English-only title keeps its language mark on a Vietnamese page
    evil_card = [h for h in doc.xpath("//li[@class='card']//h2") if h.get("lang") == "vi"]
    assert len(evil_card) == 5


def test_cards_show_public_fields_only_and_escape_everything(gallery):
    resp = gallery.client.get("/gallery?lang=en")
    body = resp.get_data(as_text=True)
    assert "GHI-CHU-NOI-BO" not in body and "secret_note" not in body
    doc = parse(resp)
    code = [s for s in doc.xpath("//script") if s.get("type") != "application/ld+json"]
    assert not [s for s in code if "__pwned" in (s.text or "")]
    assert "<script" not in doc.xpath("string(//script[@type='application/ld+json'])")  # tojson escapes <
    assert not doc.xpath("//img[@onerror]")
    assert EVIL in titles(resp)  # shown as text
    card = doc.xpath("//li[.//h2[text()='Silk áo dài']]")[0]
    assert card.xpath("string(.//p[@class='where'])") == "Nhà may Thái Tuấn · Bảo tàng Dân tộc học Việt Nam"
    assert card.xpath(".//a[@class='kit-link']")[0].get("href") == f"/kit/{gallery.arts['ao_dai']['slug']}.zip"
    assert card.xpath(".//img")[0].get("src").endswith("/thumb.jpg")
    assert card.xpath(".//button[@class='copy']")[0].text == "Copy"


def test_open_graph_and_item_list(gallery):
    doc = parse(gallery.client.get("/gallery?lang=en"))
    tags = meta_tags(doc)
    assert tags["og:title"] == "Open gallery" and tags["og:url"] == "https://ar.example.vn/gallery?lang=en"
    assert tags["og:image"].endswith("/poster.jpg") and "robots" not in tags
    data = json_ld(doc)
    assert data["@type"] == "ItemList" and data["numberOfItems"] == 5
    items = data["itemListElement"]
    assert [i["position"] for i in items] == [1, 2, 3, 4, 5]
    assert {i["url"] for i in items} == {f"https://ar.example.vn/ar/{gallery.arts[n]['slug']}" for n in SHOWN}
    drum = next(i["item"] for i in items if i["item"]["name"] == "Ngoc Lu bronze drum")
    assert drum["@type"] == "3DModel" and drum["license"] == "https://creativecommons.org/licenses/by-nc/4.0/"
    assert drum["creditText"] == "“Ngoc Lu bronze drum” — Người Việt cổ, Bảo tàng Mỹ thuật Việt Nam (CC BY-NC 4.0)"


def test_page_headers(gallery):
    resp = gallery.client.get("/gallery?lang=en")
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    again = gallery.client.get("/gallery?lang=en", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    for path in ("/sitemap.xml", "/gallery/feed.atom?lang=en"):
        etag = gallery.client.get(path).headers["ETag"]
        assert gallery.client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_searches_are_counted(tmp_path):
    from tests.conftest import _stop
    from tests.gallery.conftest import make_gallery

    site = make_gallery(tmp_path / "var")
    try:
        for q in ("ao dai", "trống", ""):
            site.client.get("/gallery", query_string={"q": q})
        site.client.get("/gallery", query_string={"q": "ao dai", "page": "2"})  # a further page is the same search
        with site.app.app_context():
            import datetime as dt

            today = dt.date.today()
            assert counts(get_db(), since=today, until=today) == {"search": 2, "kit": 0}
    finally:
        _stop(site.app)


def test_listed_is_set_through_the_api(tmp_path):
    from tests.conftest import _stop
    from tests.gallery.conftest import make_gallery

    site = make_gallery(tmp_path / "var")
    try:
        auth = {"Authorization": f"Bearer {make_key(site.app, FINE_ARTS)}"}
        drum = site.arts["drum"]
        resp = site.client.patch(f"/api/v1/artefacts/{drum['id']}", json={"listed": False}, headers=auth)
        assert resp.status_code == 200 and resp.get_json()["metadata"]["listed"] is False
        assert "drum" not in names_of(site.client.get("/gallery?lang=en"))
        assert site.client.get(f"/ar/{drum['slug']}").status_code == 200  # its link still works
        assert f"/ar/{drum['slug']}" not in site.client.get("/sitemap.xml").get_data(as_text=True)
        bad = site.client.patch(f"/api/v1/artefacts/{drum['id']}", json={"listed": "no"}, headers=auth)
        assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_metadata"
        assert "listed" in bad.get_json()["error"]["message"]
        back = site.client.patch(f"/api/v1/artefacts/{drum['id']}", json={"title": {"en": "Drum"}}, headers=auth)
        assert back.get_json()["metadata"]["listed"] is False  # a partial edit keeps it
        site.client.patch(f"/api/v1/artefacts/{drum['id']}", json={"listed": True}, headers=auth)
        assert "Drum" in titles(site.client.get("/gallery?lang=en"))
        assert "listed" not in site.client.get("/gallery").get_data(as_text=True)  # private: only its effect shows
    finally:
        _stop(site.app)


def test_empty_gallery(client):
    resp = client.get("/gallery?lang=vi")
    doc = parse(resp)
    assert resp.status_code == 200 and titles(resp) == []
    assert doc.xpath("string(//p[@class='empty'])").startswith("Không có hiện vật nào khớp")
    assert doc.xpath("string(//p[@class='count'])") == "0 hiện vật" and not doc.xpath("//nav[@class='pager']")
    assert client.get("/gallery?page=5").headers["Location"] == "/gallery"
    assert json_ld(doc)["numberOfItems"] == 0
