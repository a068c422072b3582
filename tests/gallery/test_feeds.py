"""Discoverability: sitemap.xml against the sitemaps.org schema, Atom feeds read by feedparser,
robots.txt; only what the gallery shows is listed."""

from __future__ import annotations

import re
from importlib import resources

import feedparser
from lxml import etree

from tests.gallery.conftest import HIDDEN

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# W3C Datetime as sitemaps.org allows it (the schema packaged below keeps lastmod a plain string)
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")


def sitemap_schema() -> etree.XMLSchema:
    """sitemaps.org's 0.9 schema as the sitemap-verify package ships it."""
    xsd = resources.files("sitemap_verify.schemas").joinpath("sitemap.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(xsd))


def test_sitemap_validates_and_lists_what_the_gallery_shows(gallery):
    resp = gallery.client.get("/sitemap.xml")
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    doc = etree.fromstring(resp.data)
    schema = sitemap_schema()
    assert schema.validate(doc), schema.error_log
    locs = [u.findtext(f"{SITEMAP_NS}loc") for u in doc.iter(f"{SITEMAP_NS}url")]
    root = "https://ar.example.vn"
    shown = {f"{root}/ar/{a['slug']}" for name, a in gallery.arts.items() if name not in HIDDEN}
    assert set(locs) == {f"{root}/gallery", f"{root}/gallery/bao-tang-my-thuat-viet-nam",
                         f"{root}/gallery/bao-tang-dan-toc-hoc-viet-nam"} | shown
    assert len(locs) == len(set(locs))
    # what the schema leaves to the protocol's text: absolute URLs under 2,048 characters, W3C dates
    assert all(loc.startswith(root + "/") and len(loc) < 2048 for loc in locs)
    lastmods = [el.text for el in doc.iter(f"{SITEMAP_NS}lastmod")]
    assert lastmods and all(W3C_DATETIME.match(v) for v in lastmods)


def test_sitemap_schema_refuses_a_broken_sitemap():
    schema = sitemap_schema()
    broken = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><lastmod>x</lastmod></url></urlset>'
    assert not schema.validate(etree.fromstring(broken))  # no <loc>: the check can fail


def test_atom_feeds_parse(gallery):
    resp = gallery.client.get("/gallery/feed.atom?lang=en")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = feedparser.parse(resp.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Open gallery"
    titles = [e.title for e in feed.entries]
    assert titles[:4] == ["Conical hat", "Ngoc Lu bronze drum", "Dong Ho print: The Mouse Wedding", "Silk áo dài"]
    assert len(titles) == 5  # nothing withdrawn, unlisted or processing
    drum = feed.entries[1]
    assert drum.link == f"https://ar.example.vn/ar/{gallery.arts['drum']['slug']}?lang=en"
    assert drum.author == "Bảo tàng Mỹ thuật Việt Nam" and "Not for commercial use" in drum.summary
    assert any(link.rel == "enclosure" and link.href.endswith("/poster.jpg") for link in drum.links)
    assert drum.published_parsed and drum.updated_parsed
    evil = next(e for e in feed.entries if "__pwned" in e.title)
    assert evil.title.startswith("<script>")  # text, escaped in the XML
    assert b"GHI-CHU-NOI-BO" not in resp.data


def test_institution_feed(gallery):
    slug = gallery.arts["ao_dai"]["institution"]
    feed = feedparser.parse(gallery.client.get(f"/gallery/{slug}/feed.atom?lang=vi").data)
    assert not feed.bozo and [e.title for e in feed.entries] == ["Nón lá", "Áo dài lụa tơ tằm"]
    assert feed.feed.title == "Bộ sưu tập mở · Bảo tàng Dân tộc học Việt Nam"
    missing = gallery.client.get("/gallery/nowhere/feed.atom")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_robots_txt(gallery):
    resp = gallery.client.get("/robots.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    lines = resp.get_data(as_text=True).splitlines()
    assert "Sitemap: https://ar.example.vn/sitemap.xml" in lines
    assert {"Disallow: /api/", "Disallow: /kit/", "Disallow: /b/"} <= set(lines) and "Allow: /" in lines
