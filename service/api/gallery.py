"""
gallery.py
----------

The public gallery for creators, no sign-in: `/gallery` across institutions
and `/gallery/<institution>` for one, server-rendered in Vietnamese or
English (`?lang=`, else Accept-Language), with search, filters, two sort
orders and stable paginated URLs. Only published, non-withdrawn, listed
artefacts and their public fields appear. Pages are cacheable for a minute
(`Cache-Control: public`), so a CDN in front absorbs a popular gallery.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint
from flask import Response
from flask import render_template
from flask import request

from service.api import gallery_page
from service.api import viewer_page
from service.api.gallery_text import CATEGORY_NAMES
from service.api.gallery_text import FAMILY_NAMES
from service.api.gallery_text import KIND_NAMES
from service.api.gallery_text import SORT_NAMES
from service.api.gallery_text import TEXT
from service.api.gallery_text import names
from service.api.present import base_url
from service.api.viewer_kit import Files
from service.api.viewer_oembed import PROVIDER_NAME
from service.api.viewer_text import pick_lang
from service.db import get_db
from service.db.gallery import SEARCH_MAX
from service.db.gallery import count_event
from service.db.gallery import institution_by_slug
from service.db.gallery import institutions_shown
from service.db.gallery import search
from service.db.models import Institution

bp = Blueprint("gallery", __name__)

CACHE_SECONDS = 60


@bp.get("/gallery")
def index():
    """Every institution's published artefacts."""
    return _gallery(None)


@bp.get("/gallery/<slug>")
def institution(slug: str):
    """One institution's published artefacts."""
    found = institution_by_slug(get_db(), slug)
    if found is None:
        lang = pick_lang(request)
        words = TEXT[lang]
        body = render_template("viewer/status.html", lang=lang, state="missing",
                               title=words["not_found_title"], message=words["not_found_body"], refresh=None)
        return _secure(Response(body, status=404, mimetype="text/html"), [])
    return _gallery(found)


def _gallery(inst: Institution | None) -> Response:
    db = get_db()
    lang = pick_lang(request)
    asked_lang = lang if request.args.get("lang") else None
    words = TEXT[lang]
    root = base_url()
    path = f"/gallery/{inst.slug}" if inst is not None else "/gallery"
    query = gallery_page.read_query(request.args, inst)
    pairs, total = search(db, query, per_page=gallery_page.PER_PAGE)
    pager = gallery_page.pager(path, query, total, asked_lang)
    if query.page > pager["pages"]:
        return _redirect(gallery_page.url_of(path, replace(query, page=pager["pages"]), lang=asked_lang))
    if query.q and query.page == 1:
        count_event(db, "search")
        db.commit()
    cards, files = gallery_page.build_cards(pairs, lang, root)
    name = f"{words['gallery']} · {inst.name}" if inst is not None else words["gallery"]
    canonical = root + gallery_page.url_of(path, query, lang=lang)
    page = {
        "name": name,
        "cards": cards,
        "total": total,
        "query": query,
        "path": path,
        "pager": pager,
        "canonical": canonical,
        "alternates": {code: root + gallery_page.url_of(path, query, lang=code) for code in ("vi", "en")},
        "default": root + gallery_page.url_of(path, query),
        "other_lang": gallery_page.url_of(path, query, lang="en" if lang == "vi" else "vi"),
        "feed": f"{root}{path}/feed.atom",
        "json_ld": gallery_page.json_ld(cards, name, canonical, query),
        "meta": gallery_page.social_tags(name, words["tagline"], canonical, lang, cards, PROVIDER_NAME),
        "institution": inst,
        "institutions": institutions_shown(db),
        "options": {
            "category": names(CATEGORY_NAMES, lang), "kind": names(KIND_NAMES, lang),
            "licence": names(FAMILY_NAMES, lang), "sort": names(SORT_NAMES, lang),
        },
        "search_max": SEARCH_MAX,
        # search results are not pages of their own for search engines; filters and sorts are
        "noindex": bool(query.q),
    }
    body = render_template("gallery/index.html", t=words, lang=lang, page=page)
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    response.add_etag()  # a cache revalidates with If-None-Match and gets a 304 when nothing changed
    response.make_conditional(request)
    origins = viewer_page.file_origins(Files({n: u for f in files for n, u in f.urls.items()}), root)
    return _secure(response, origins)


def _redirect(target: str) -> Response:
    response = Response(status=302, headers={"Location": target})
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def _secure(response: Response, origins: list[str]) -> Response:
    response.headers["Content-Security-Policy"] = viewer_page.csp(origins, frame_ancestors="'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if not request.args.get("lang"):
        response.headers["Vary"] = "Accept-Language"
    return response

