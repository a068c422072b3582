"""
gallery_feeds.py
----------------

What makes the gallery findable: `/sitemap.xml` (gallery pages and the share
page of every listed artefact, sitemaps.org 0.9), `/robots.txt` (pages open,
API, beacons and downloads closed, the sitemap named) and Atom feeds of new
artefacts, `/gallery/feed.atom` and `/gallery/<institution>/feed.atom`.
Only what the gallery shows is listed.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request

from service.api.gallery_text import TEXT
from service.api.licence_text import licence_line
from service.api.present import base_url
from service.api.viewer_kit import files_of
from service.api.viewer_text import pick_lang
from service.db import get_db
from service.db.gallery import all_shown
from service.db.gallery import institution_by_slug
from service.db.gallery import institutions_shown
from service.db.gallery import newest
from service.db.queries import metadata_of
from service.errors import NotFound
from service.pipeline.metadata import display_title
from service.pipeline.metadata import public_metadata

bp = Blueprint("gallery_feeds", __name__)

SITEMAP_MAX = 50_000  # sitemaps.org: at most 50,000 URLs per file
FEED_ENTRIES = 50
ROBOTS = """User-agent: *
Allow: /
Disallow: /api/
Disallow: /b/
Disallow: /kit/
Disallow: /embed/
Disallow: /oembed
Disallow: /qr/

Sitemap: {root}/sitemap.xml
"""


def _stamp(when: dt.datetime | None) -> str:
    """RFC 3339 in UTC (the database keeps naive UTC)."""
    return (when or dt.datetime(2020, 1, 1)).replace(microsecond=0).isoformat() + "Z"


@bp.get("/robots.txt")
def robots():
    """Crawlers: pages yes, API and downloads no, and where the sitemap is."""
    response = Response(ROBOTS.format(root=base_url()), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sitemap.xml")
def sitemap():
    """The gallery, each institution's gallery and every listed share page."""
    db = get_db()
    root = base_url()
    institutions = institutions_shown(db)
    artefacts = all_shown(db, limit=SITEMAP_MAX - 1 - len(institutions))
    latest = max((a.updated_at for a in artefacts), default=None)
    urls = [(f"{root}/gallery", _stamp(latest), "daily")]
    urls += [(f"{root}/gallery/{inst.slug}", None, "daily") for inst in institutions]
    urls += [(f"{root}/ar/{a.slug}", _stamp(a.updated_at), None) for a in artefacts]
    response = Response(render_template("gallery/sitemap.xml", urls=urls), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/gallery/feed.atom")
def feed_all():
    """New artefacts from every institution."""
    return _feed(None)


@bp.get("/gallery/<slug>/feed.atom")
def feed_institution(slug: str):
    """New artefacts from one institution."""
    inst = institution_by_slug(get_db(), slug)
    if inst is None:
        raise NotFound(f"feed: no institution {slug!r} in the gallery")
    return _feed(inst)


def _feed(inst):
    db = get_db()
    lang = pick_lang(request)
    root = base_url()
    pairs = newest(db, institution_id=inst.id if inst is not None else None, limit=FEED_ENTRIES)
    entries = []
    for artefact, version in pairs:
        md = public_metadata(metadata_of(artefact))
        licence = licence_line(md, lang, institution=artefact.institution.name)
        files = files_of(version, root)
        entries.append({
            "id": f"{root}/ar/{artefact.slug}",
            "title": display_title(md, lang),
            "link": f"{root}/ar/{artefact.slug}?lang={lang}",
            "published": _stamp(artefact.created_at),
            "updated": _stamp(artefact.updated_at),
            "author": artefact.institution.name,
            "summary": f"{licence['plain']} {licence['credit_label']}: {licence['credit']}",
            "image": files.poster,
            "licence": licence["url"],
        })
    path = f"/gallery/{inst.slug}" if inst is not None else "/gallery"
    title = TEXT[lang]["gallery"] + (f" · {inst.name}" if inst is not None else "")
    updated = max((e["updated"] for e in entries), default=_stamp(None))
    body = render_template("gallery/feed.xml", lang=lang, title=title, entries=entries, updated=updated,
                           self_url=f"{root}{path}/feed.atom", page_url=f"{root}{path}?lang={lang}")
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)
