"""
viewer_oembed.py
----------------

oEmbed 1.0 (https://oembed.com/, §2.3) for share links: which of our URLs a
consumer may ask about, and the "rich" response whose html is an iframe of
`/embed/<slug>`, sized within the consumer's maxwidth/maxheight.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from service.api.viewer_kit import EMBED_SIZE
from service.api.viewer_kit import Files
from service.api.viewer_kit import embed_html
from service.errors import BadRequest
from service.pipeline.metadata import display_title

PROVIDER_NAME = "heritage-ar"
CACHE_AGE = 3600
THUMB_SIZE = {"poster": (1200, 630), "thumb": (512, 512)}
_PATHS = (
    (re.compile(r"^/(?:ar|embed)/([A-Za-z0-9_-]{8,64})/?$"), "slug"),
    (re.compile(r"^/s/([A-Za-z0-9]{4,12})/?$"), "short_code"),
)


def parse_url(url: str, own_hosts: set[str]) -> tuple[str, str] | None:
    """("slug" | "short_code", value) for one of our share, embed or short links, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in own_hosts:
        return None
    for pattern, kind in _PATHS:
        match = pattern.match(parts.path)
        if match:
            return kind, match.group(1)
    return None


def parse_max(name: str, raw: str | None) -> int | None:
    """maxwidth / maxheight as a positive whole number, or None."""
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(f"oembed: {name} must be a positive whole number of pixels, got {raw!r}")
    return int(raw)


def fit(maxwidth: int | None, maxheight: int | None) -> tuple[int, int]:
    """The embed size: EMBED_SIZE scaled down (keeping 4:3) to fit the consumer's limits."""
    width, height = EMBED_SIZE
    scale = 1.0
    if maxwidth:
        scale = min(scale, maxwidth / width)
    if maxheight:
        scale = min(scale, maxheight / height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def response(metadata: dict, files: Files, links: dict, *, lang: str, root: str,
             maxwidth: int | None, maxheight: int | None) -> dict:
    """The oEmbed 1.0 "rich" response for one ready artefact."""
    width, height = fit(maxwidth, maxheight)
    title = display_title(metadata, lang)
    body = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": PROVIDER_NAME,
        "provider_url": root + "/",
        "cache_age": CACHE_AGE,
        "html": embed_html(links["embed"], title, width=width, height=height),
        "width": width,
        "height": height,
    }
    author = metadata.get("institution") or metadata.get("creator")
    if author:
        body["author_name"] = author
    thumb = _thumbnail(files, maxwidth, maxheight)
    if thumb:
        body["thumbnail_url"], body["thumbnail_width"], body["thumbnail_height"] = thumb
    return body


def _thumbnail(files: Files, maxwidth: int | None, maxheight: int | None) -> tuple[str, int, int] | None:
    # spec: the thumbnail must respect maxwidth/maxheight too; pick the biggest that fits
    candidates = [(files.first("poster.jpg", "poster.webp"), *THUMB_SIZE["poster"]),
                  (files.first("thumb.jpg", "thumb.webp"), *THUMB_SIZE["thumb"])]
    for url, w, h in candidates:
        if url and (not maxwidth or w <= maxwidth) and (not maxheight or h <= maxheight):
            return url, w, h
    return None


def resize_hints(files: Files, links: dict, answer: dict) -> dict:
    """What `resize` needs to answer maxwidth/maxheight from the published answer (no database)."""
    candidates = [(files.first("poster.jpg", "poster.webp"), *THUMB_SIZE["poster"]),
                  (files.first("thumb.jpg", "thumb.webp"), *THUMB_SIZE["thumb"])]
    return {"embed": links["embed"], "title": answer["title"], "thumbs": [c for c in candidates if c[0]]}


def resize(answer: dict, hints: dict, maxwidth: int | None, maxheight: int | None) -> dict:
    """The published default answer, sized for a consumer's maxwidth/maxheight."""
    width, height = fit(maxwidth, maxheight)
    body = {k: v for k, v in answer.items() if not k.startswith("thumbnail_")}
    body.update(width=width, height=height, html=embed_html(hints["embed"], hints["title"], width=width, height=height))
    for url, w, h in hints["thumbs"]:
        if (not maxwidth or w <= maxwidth) and (not maxheight or h <= maxheight):
            body["thumbnail_url"], body["thumbnail_width"], body["thumbnail_height"] = url, w, h
            break
    return body
