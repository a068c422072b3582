"""
viewer.py
---------

Public pages and files for sharing, no API key needed (slugs are
unguessable): `/ar/<slug>` share page, `/s/<code>` short link, `/embed/<slug>`
for iframes, `/oembed`, `/qr/<slug>.svg|.png`, the first-party beacon
`/b/<slug>/<event>` and the vendored viewer files under `/vendor/`.
Artefacts that are processing, failed, deleted or unknown get a friendly
page with the right status, never a 500.

Ready artefacts' pages, embeds, oEmbed answers and QR images are published
(api/viewer_publish.py) and usually answered by api/hot.py before these
routes run; these routes check the database, publish what is missing, and
answer everything else.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file

from service.api import viewer_oembed
from service.api import viewer_page
from service.api.hot import BEACON_EVENTS
from service.api.present import base_url
from service.api.viewer_kit import links_of
from service.api.viewer_publish import QR_VARIANTS
from service.api.viewer_publish import published_or_build
from service.api.viewer_publish import qr_name
from service.api.viewer_publish import qr_target
from service.api.viewer_qr import CAPTION_MAX
from service.api.viewer_qr import QR_DEFAULTS
from service.api.viewer_qr import parse_size
from service.api.viewer_qr import qr_png
from service.api.viewer_qr import qr_svg
from service.api.viewer_text import TEXT
from service.api.viewer_text import pick_lang
from service.counters import clean_host
from service.counters import clean_page_load
from service.db import get_db
from service.db.models import Artefact
from service.db.queries import current_version
from service.db.queries import find_public
from service.db.queries import latest_version
from service.errors import BadRequest
from service.errors import NotFound
from service.publish import CACHE_CONTROL
from service.publish import flask_response

log = logging.getLogger(__name__)

bp = Blueprint("viewer", __name__)

VENDOR_DIR = Path(__file__).resolve().parents[2] / "assets" / "vendor"
PROCESSING_REFRESH_SECONDS = 10
# status page -> HTTP status: processing is accepted work, a failed scan cannot be shown
STATUS_CODES = {"processing": 202, "failed": 422, "deleted": 410, "missing": 404}


def _settings():
    return current_app.config["SETTINGS"]


def _state(artefact: Artefact | None):
    """(state, ready version): "ready", "processing", "failed", "deleted" or "missing"."""
    if artefact is None:
        return "missing", None
    if artefact.deleted_at is not None:
        return "deleted", None
    version = current_version(get_db(), artefact)
    if version is not None:
        return "ready", version  # a newer version still processing does not hide the current one
    latest = latest_version(get_db(), artefact)
    return ("failed" if latest is not None and latest.status == "failed" else "processing"), None


def _secure(response: Response, origins: list[str] | None = None, *, frame_ancestors: str = "'self'") -> Response:
    response.headers["Content-Security-Policy"] = viewer_page.csp(origins or [], frame_ancestors=frame_ancestors)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if request.args.get("lang") not in TEXT:
        response.headers["Vary"] = "Accept-Language"
    return response


def _status_page(state: str, lang: str, *, frame_ancestors: str = "'self'") -> Response:
    """A friendly page for an artefact that cannot be shown (yet)."""
    words = TEXT[lang]
    body = render_template(
        "viewer/status.html", t=words, lang=lang, state=state,
        title=words[f"{state}_title"], message=words[f"{state}_body"],
        refresh=PROCESSING_REFRESH_SECONDS if state == "processing" else None,
    )
    response = Response(body, status=STATUS_CODES[state], mimetype="text/html")
    response.headers["Cache-Control"] = "no-store" if state == "processing" else "public, max-age=60"
    if state == "processing":
        response.headers["Retry-After"] = str(PROCESSING_REFRESH_SECONDS)
    return _secure(response, frame_ancestors=frame_ancestors)


def _ready(slug: str):
    """(artefact, state, version) behind a share slug."""
    artefact = find_public(get_db(), slug=slug)
    state, version = _state(artefact)
    return artefact, state, version


def _page(name: str, slug: str, *, frame_ancestors: str) -> Response:
    """A published page (built and published now when missing), or the status page."""
    artefact, state, version = _ready(slug)
    if state != "ready":
        return _status_page(state, pick_lang(request), frame_ancestors=frame_ancestors)
    entry = published_or_build(slug, name, artefact, version)
    return flask_response(entry, request.headers.get("If-None-Match"))


@bp.get("/ar/<slug>")
def share(slug: str):
    """The share page: 3D viewer, AR, catalogue text, social tags and the creator kit."""
    return _page("share.html", slug, frame_ancestors="'self'")


@bp.get("/embed/<slug>")
def embed(slug: str):
    """The viewer alone, for iframes on any site."""
    return _page("embed.html", slug, frame_ancestors="*")


@bp.get("/s/<code>")
def short(code: str):
    """A short link (easy to type from a video) redirects to the share page; `?q` marks a QR scan."""
    artefact = find_public(get_db(), short_code=code)
    if artefact is None or artefact.deleted_at is not None:
        return _status_page("missing" if artefact is None else "deleted", pick_lang(request))
    if "q" in request.args:
        count(artefact.slug, "qr")
    target = f"/ar/{artefact.slug}"
    if request.args.get("lang") in TEXT:
        target += f"?lang={request.args['lang']}"
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"  # every scan must reach us to be counted
    return response


@bp.get("/oembed")
def oembed():
    """oEmbed 1.0 for our share, short and embed links (JSON only)."""
    fmt = request.args.get("format", "json")
    if fmt != "json":
        return _plain(501, f"oembed: format {fmt!r} is not supported; use format=json")
    url = request.args.get("url")
    if not url:
        return _plain(400, "oembed: the url parameter is required, e.g. /oembed?url=<share link>")
    try:
        maxwidth = viewer_oembed.parse_max("maxwidth", request.args.get("maxwidth"))
        maxheight = viewer_oembed.parse_max("maxheight", request.args.get("maxheight"))
    except BadRequest as e:
        return _plain(400, e.message)
    root = base_url()
    hosts = {request.host.lower(), root.split("://", 1)[-1].split("/", 1)[0].lower()}
    found = viewer_oembed.parse_url(url, hosts)
    artefact = find_public(get_db(), **{found[0]: found[1]}) if found else None
    state, version = _state(artefact)
    if state != "ready":
        return _plain(404, f"oembed: no embeddable artefact at {url!r}")
    entry = published_or_build(artefact.slug, f"oembed-{pick_lang(request)}.json", artefact, version)
    if maxwidth is None and maxheight is None:
        return flask_response(entry, request.headers.get("If-None-Match"))
    response = jsonify(viewer_oembed.resize(json.loads(entry.body), entry.extra, maxwidth, maxheight))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Language"
    return response


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.get("/qr/<slug>.<fmt>")
def qr(slug: str, fmt: str):
    """A QR code of the short link (?size=px, ?caption=1 for the short link or ?caption=text)."""
    if fmt not in ("svg", "png"):
        raise NotFound(f"qr: unknown format {fmt!r}; use /qr/<slug>.svg or .png")
    artefact, state, version = _ready(slug)
    if artefact is None or artefact.deleted_at is not None:
        raise NotFound(f"qr: no shared artefact {slug!r}")
    links = links_of(artefact, base_url())
    size = parse_size(request.args.get("size"))
    caption = request.args.get("caption") or None
    if caption in ("1", "true", "link"):
        caption = links["short"].split("://", 1)[-1]
    if caption is not None and len(caption) > CAPTION_MAX:
        raise BadRequest(f"qr: caption longer than {CAPTION_MAX} characters; shorten it")
    if state == "ready" and (fmt, None if size == QR_DEFAULTS["size"] else size, caption is not None) in QR_VARIANTS \
            and request.args.get("caption") in (None, "1"):
        name = qr_name(fmt, None if size == QR_DEFAULTS["size"] else size, caption is not None)
        return flask_response(published_or_build(slug, name, artefact, version), request.headers.get("If-None-Match"))
    make, mime = (qr_svg, "image/svg+xml") if fmt == "svg" else (qr_png, "image/png")
    response = Response(make(qr_target(links), size=size, caption=caption), mimetype=mime)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.post("/b/<slug>/<event>")
def beacon(slug: str, event: str):
    """First-party counter: a page view, a 3D model load, an AR launch or an embed (no cookies, no third party).

    The hot path (api/hot.py) answers beacons for published pages; this is the way in before the first page.
    """
    if event not in BEACON_EVENTS:
        raise NotFound(f"beacon: unknown event {event!r}; use one of {', '.join(BEACON_EVENTS)}")
    artefact, state, version = _ready(slug)
    if state != "ready":
        raise NotFound(f"beacon: no shared artefact {slug!r}")
    published_or_build(slug, "share.html", artefact, version)
    referrer = clean_host(request.args.get("r")) if event == "embed" else None
    count(slug, event, clean_page_load(request.args.get("p")), referrer)
    return "", 204


def count(slug: str, event: str, page_load: str | None = None, referrer: str | None = None) -> None:
    """Count one event in memory or Redis (written to daily_counts in batches)."""
    current_app.extensions["flusher"].counts.hit(slug, event, page_load, referrer)
    if not _settings().testing:
        current_app.extensions["flusher"].ensure_started()


def vendor_manifest() -> dict:
    """assets/vendor/vendor.json, written by scripts/vendor-assets.sh (read once per app)."""
    cached = current_app.extensions.get("viewer_vendor")
    if cached is None:
        path = VENDOR_DIR / "vendor.json"
        if not path.is_file():
            raise RuntimeError(f"viewer: {path} is missing; run scripts/vendor-assets.sh (scripts/setup.sh does)")
        cached = current_app.extensions["viewer_vendor"] = json.loads(path.read_text())
    return cached


_VENDOR_MIME = {".js": "text/javascript", ".wasm": "application/wasm"}


@bp.get("/vendor/<path:name>")
def vendor(name: str):
    """Vendored viewer files (versioned folders, so cached for a year), gzip when the browser accepts it."""
    path = (VENDOR_DIR / name).resolve()
    if VENDOR_DIR.resolve() not in path.parents or not path.is_file() or path.suffix not in _VENDOR_MIME:
        raise NotFound(f"vendor: {name!r} not found")
    gz = path.with_name(path.name + ".gz")
    use_gz = "gzip" in request.headers.get("Accept-Encoding", "") and gz.is_file()
    response = send_file(gz if use_gz else path, mimetype=_VENDOR_MIME[path.suffix], conditional=True,
                         etag=True, max_age=None)
    if use_gz:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
