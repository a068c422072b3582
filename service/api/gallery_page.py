"""
gallery_page.py
---------------

What a gallery page shows: the request's query read and checked (unknown
filter values are dropped, the search is cut to 100 characters), stable
URLs (parameters always in one order, defaults left out), one card per
artefact from its public fields only, the pager, Open Graph tags and the
schema.org ItemList of 3DModels. Templates only print these values; Jinja
escapes all text.
"""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from service.api.gallery_text import CATEGORY_NAMES
from service.api.gallery_text import FAMILY_NAMES
from service.api.gallery_text import KIND_NAMES
from service.api.gallery_text import SORT_NAMES
from service.api.gallery_text import TEXT
from service.api.licence_text import licence_line
from service.api.viewer_kit import Files
from service.api.viewer_kit import files_of
from service.db.gallery import SEARCH_MAX
from service.db.gallery import GalleryQuery
from service.db.models import Artefact
from service.db.models import Institution
from service.db.models import Version
from service.db.queries import metadata_of
from service.pipeline.metadata import display_title
from service.pipeline.metadata import public_metadata

PER_PAGE = 24
# the order parameters always appear in, so one view of the gallery has one URL
PARAMS = ("q", "category", "kind", "licence", "sort", "page", "lang")


def read_query(args: MultiDict, institution: Institution | None) -> GalleryQuery:
    """A GalleryQuery from request arguments; unknown values are ignored, never an error."""
    q = " ".join((args.get("q") or "").split())[:SEARCH_MAX]
    page = args.get("page") or "1"
    return GalleryQuery(
        q=q,
        institution_id=institution.id if institution is not None else None,
        category=args.get("category") if args.get("category") in CATEGORY_NAMES else None,
        kind=args.get("kind") if args.get("kind") in KIND_NAMES else None,
        family=args.get("licence") if args.get("licence") in FAMILY_NAMES else None,
        sort=args.get("sort") if args.get("sort") in SORT_NAMES else "newest",
        page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
    )


def url_of(path: str, query: GalleryQuery, *, lang: str | None = None, **changes) -> str:
    """The stable URL of `query` (with `changes`) at `path`: fixed order, defaults left out."""
    values = {
        "q": query.q, "category": query.category, "kind": query.kind, "licence": query.family,
        "sort": None if query.sort == "newest" else query.sort,
        "page": None if query.page == 1 else query.page, "lang": lang,
    }
    values.update(changes)
    if values["page"] == 1:
        values["page"] = None
    pairs = [(k, values[k]) for k in PARAMS if values.get(k) not in (None, "")]
    return path + ("?" + urlencode(pairs) if pairs else "")


def card(artefact: Artefact, version: Version, files: Files, lang: str, root: str) -> dict:
    """One poster of the grid: public fields only."""
    md = public_metadata(metadata_of(artefact))
    title = display_title(md, lang) if md.get("title") else TEXT[lang]["untitled"]
    title_lang = lang if (md.get("title") or {}).get(lang) else ("vi" if lang == "en" else "en")
    institution = artefact.institution
    pair = CATEGORY_NAMES.get(md.get("category") or "")
    return {
        "title": title,
        "title_lang": title_lang,
        "institution": institution.name,
        "institution_url": f"/gallery/{institution.slug}?lang={lang}" if institution.slug else None,
        "category": pair[0 if lang == "vi" else 1] if pair else None,
        "image": files.thumbnail or files.poster_screen,
        "poster": files.poster,
        "model": files.model,
        "share": f"{root}/ar/{artefact.slug}",
        "share_lang": f"/ar/{artefact.slug}?lang={lang}",
        "kit": f"/kit/{artefact.slug}.zip",
        "licence": licence_line(md, lang, institution=institution.name),
        "byline": md.get("creator") or md.get("culture"),
    }


def build_cards(pairs: list[tuple[Artefact, Version]], lang: str, root: str) -> tuple[list[dict], list[Files]]:
    """Cards for (artefact, version) pairs, with their files (for the page's CSP)."""
    cards, files = [], []
    for artefact, version in pairs:
        found = files_of(version, root)
        files.append(found)
        cards.append(card(artefact, version, found, lang, root))
    return cards, files


def pager(path: str, query: GalleryQuery, total: int, lang: str | None) -> dict:
    """Page numbers and the previous/next URLs."""
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return {
        "page": query.page,
        "pages": pages,
        "prev": url_of(path, query, lang=lang, page=query.page - 1) if query.page > 1 else None,
        "next": url_of(path, query, lang=lang, page=query.page + 1) if query.page < pages else None,
    }


def json_ld(cards: list[dict], name: str, url: str, query: GalleryQuery) -> dict:
    """schema.org ItemList whose items are the cards' 3DModels."""
    items = []
    for i, c in enumerate(cards, start=1 + (query.page - 1) * PER_PAGE):
        model = {"@type": "3DModel", "name": c["title"], "url": c["share"],
                 "provider": {"@type": "Organization", "name": c["institution"]}}
        if c["model"]:
            model["encoding"] = [{"@type": "MediaObject", "contentUrl": c["model"],
                                  "encodingFormat": "model/gltf-binary"}]
        if c["image"]:
            model["thumbnailUrl"] = c["image"]
        if c["licence"]["url"]:
            model["license"] = c["licence"]["url"]
        model["creditText"] = c["licence"]["credit"]
        items.append({"@type": "ListItem", "position": i, "url": c["share"], "item": model})
    return {"@context": "https://schema.org/", "@type": "ItemList", "name": name, "url": url,
            "numberOfItems": len(items), "itemListElement": items}


def social_tags(title: str, description: str, url: str, lang: str, cards: list[dict],
                provider: str) -> list[tuple[str, str, str]]:
    """Open Graph and Twitter tags; the first card's poster is the page's image."""
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", provider),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:locale", "vi_VN" if lang == "vi" else "en_GB"),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    poster = next((c["poster"] for c in cards if c["poster"]), None)
    if poster:
        tags += [("property", "og:image", poster), ("name", "twitter:image", poster)]
    return tags
