"""
viewer_publish.py
-----------------

Builds and publishes every public form of one ready artefact (share page,
embed, oEmbed answer, the QR images the page links to, the short link) with
`service.publish`, and removes them all when it is withdrawn.

Keys (under `published/` in the Store)::

    a/<slug>/<site>/share.html | embed.html | oembed-<vi|en>.json | qr-<size|d>[-c].<svg|png>
    s/<code>                   the slug a short link points at

`<site>` is `_` when HERITAGE_AR_BASE_URL is set; otherwise the request's host
(pages hold absolute links, and a forged Host header must not poison the
page other visitors get). One page holds both languages: its script picks one.

When: the first request after a version becomes ready builds them (the job
drops the old ones, `drop_pages`); PATCH rebuilds them at once; DELETE
removes every form. Pages only ever see `public_metadata`.
"""

from __future__ import annotations

import json
import re
import threading

from flask import current_app
from flask import render_template
from flask import request
from sqlalchemy import select

from service.annotations import annotation_json
from service.api import viewer_oembed
from service.api import viewer_page
from service.api.present import base_url
from service.api.viewer_kit import files_of
from service.api.viewer_kit import links_of
from service.api.viewer_qr import qr_png
from service.api.viewer_qr import qr_svg
from service.api.viewer_text import LANGS
from service.api.viewer_text import TEXT
from service.db import get_db
from service.db.models import Artefact
from service.db.models import Version
from service.db.queries import current_version
from service.db.queries import metadata_of
from service.db.queries import notes_of
from service.pipeline.metadata import public_metadata
from service.publish import Published
from service.publish import PublishedCache
from service.publish import publish
from service.publish import unpublish
from service.storage import get_store
from service.storage.base import Store

DEFAULT_LANG = "vi"
# the QR images the page and the creator kit link to: (format, size or None, caption)
QR_VARIANTS = (("svg", None, False), ("png", None, False), ("svg", 240, False), ("svg", 240, True),
               ("png", 1024, True))
_HOST = re.compile(r"[^a-z0-9.:-]")
_building = threading.Lock()


def get_cache() -> PublishedCache:
    """This process's cache of published entries."""
    return current_app.extensions["published"]


def init_app(app) -> None:
    ttl = app.config["SETTINGS"].publish_ttl_seconds
    app.extensions["published"] = PublishedCache(app.extensions["store"], ttl=ttl)
    # public files /files/ answered with 200 (api/hot.py), remembered as briefly as pages
    app.extensions["file_memo"] = PublishedCache(None, ttl=ttl, size=4096, max_bytes=256 << 20)


def site_of(base: str, host: str) -> str:
    """`_` when the public origin is configured, else the (cleaned) request host."""
    return "_" if base else (_HOST.sub("", host.lower())[:100] or "_")


def page_key(slug: str, site: str, name: str) -> str:
    return f"a/{slug}/{site}/{name}"


def qr_name(fmt: str, size: int | None, caption: bool) -> str:
    return f"qr-{size or 'd'}{'-c' if caption else ''}.{fmt}"


def page_metadata(artefact: Artefact) -> dict:
    """What pages may show: the public fields, plus the holding institution's name."""
    metadata = public_metadata(metadata_of(artefact))
    metadata["institution"] = artefact.institution.name
    return metadata


def _page_headers(origins: list[str], frame_ancestors: str) -> dict:
    return {
        "Content-Security-Policy": viewer_page.csp(origins, frame_ancestors=frame_ancestors),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def render_forms(artefact: Artefact, version: Version, root: str) -> dict[str, tuple[bytes, str, dict, dict]]:
    """{name: (body, content type, headers, extra)} of every published form of a ready artefact."""
    from service.api.viewer import vendor_manifest

    settings = current_app.config["SETTINGS"]
    metadata = page_metadata(artefact)
    notes = [annotation_json(n) for n in notes_of(get_db(), artefact.id)]  # curators' notes, both languages
    pages = {lang: viewer_page.build(artefact, metadata, version, lang=lang, root=root, hashtags=settings.hashtags,
                                     provider=viewer_oembed.PROVIDER_NAME, notes=notes) for lang in LANGS}
    page = pages[DEFAULT_LANG]
    context = {"texts": [(lang, TEXT[lang]) for lang in LANGS], "pages": pages, "page": page, "lang": DEFAULT_LANG,
               "vendor": viewer_page.vendor_paths(vendor_manifest())}
    html = "text/html; charset=utf-8"
    forms = {
        "share.html": (render_template("viewer/share.html", **context).encode(), html,
                       _page_headers(page["origins"], "'self'"), {}),
        "embed.html": (render_template("viewer/embed.html", **context).encode(), html,
                       _page_headers(page["origins"], "*"), {}),
    }
    files, links = files_of(version, root), links_of(artefact, root)
    for lang in LANGS:  # oEmbed consumers are servers: they get the title in the language they ask for
        answer = viewer_oembed.response(metadata, files, links, lang=lang, root=root, maxwidth=None, maxheight=None)
        forms[f"oembed-{lang}.json"] = (json.dumps(answer).encode() + b"\n", "application/json",
                                        {"Access-Control-Allow-Origin": "*", "Vary": "Accept-Language"},
                                        viewer_oembed.resize_hints(files, links, answer))
    qr_headers = {"Access-Control-Allow-Origin": "*", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    target = qr_target(links)
    for fmt, size, caption in QR_VARIANTS:
        text = links["short"].split("://", 1)[-1] if caption else None
        make, mime = (qr_svg, "image/svg+xml") if fmt == "svg" else (qr_png, "image/png")
        body = make(target, caption=text) if size is None else make(target, size=size, caption=text)
        forms[qr_name(fmt, size, caption)] = (body, mime, qr_headers, {})
    return forms


def qr_target(links: dict) -> str:
    """What a QR code holds: the short link marked as a scan (`?q`), so scans are counted apart."""
    return links["short"] + "?q"


def publish_artefact(artefact: Artefact, version: Version | None = None) -> bool:
    """Build and publish every form of a ready, shared artefact (request context); False when not ready.

    A withdrawal, a PATCH or a new version committed while this one was building would leave
    stale forms behind, so the artefact's row is read again (fresh transaction) once the forms
    are written, and they are dropped when it changed: the next request builds them again.
    """
    version = version or current_version(get_db(), artefact)
    if artefact.deleted_at is not None or version is None:
        return False
    stamp = (artefact.deleted_at, artefact.current_version, artefact.updated_at)
    root = base_url()
    site = site_of(current_app.config["SETTINGS"].base_url, request.host)
    store, cache = get_store(), get_cache()
    for name, (body, ctype, headers, extra) in render_forms(artefact, version, root).items():
        key = page_key(artefact.slug, site, name)
        cache.put(key, publish(store, key, body, ctype, headers=headers, extra=extra))
    short = f"s/{artefact.short_code}"
    cache.put(short, publish(store, short, artefact.slug.encode(), "text/plain; charset=utf-8",
                             headers={"Cache-Control": "private, no-store"}))
    with current_app.extensions["db_sessions"]() as fresh:
        now = fresh.execute(select(Artefact.deleted_at, Artefact.current_version, Artefact.updated_at)
                            .where(Artefact.id == artefact.id)).one()
    if tuple(now) != stamp:
        if now[0] is not None:
            withdraw(artefact)
        else:
            drop_pages(store, artefact.slug)
            cache.evict(f"a/{artefact.slug}/")
        return False
    return True


def published_or_build(slug: str, name: str, artefact: Artefact, version: Version) -> Published | None:
    """The published form `name` of a ready artefact, building every form first when missing."""
    site = site_of(current_app.config["SETTINGS"].base_url, request.host)
    key = page_key(slug, site, name)
    cache = get_cache()
    entry = cache.get(key)
    if entry is None:
        with _building:  # one build per process when a burst of first requests arrives
            entry = cache.get(key)
            if entry is None:
                publish_artefact(artefact, version)
                entry = cache.get(key)
    return entry


def withdraw(artefact: Artefact) -> None:
    """Remove every published form of the artefact (storage and this process's cache)."""
    drop_pages(get_store(), artefact.slug)
    unpublish(get_store(), f"s/{artefact.short_code}")
    cache = get_cache()
    cache.evict(f"a/{artefact.slug}/")
    cache.evict(f"s/{artefact.short_code}")
    current_app.extensions["file_memo"].evict(f"/files/derivatives/{artefact.id}/")


def drop_pages(store: Store, slug: str) -> None:
    """Remove an artefact's published pages (a new version: the next request builds them again)."""
    unpublish(store, f"a/{slug}/")
