"""
hot.py
------

The hot path, in front of Flask: a WSGI middleware that answers the URLs a
viral link sends traffic to from published entries in memory, with no
routing, templates or database work:

    GET  /ar/<slug>  /embed/<slug>  /qr/<slug>.svg|.png  /oembed?url=  /s/<code>
    POST /b/<slug>/<event>?p=<page load>[&r=<host>]     (204, counted in memory or Redis)

Anything it cannot answer (not yet published, an artefact that is not
ready, odd parameters, errors) goes on to the Flask app, which builds and
publishes what is missing or answers the status page / JSON error.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from urllib.parse import parse_qs

from service.api import viewer_oembed
from service.api.viewer_publish import QR_VARIANTS
from service.api.viewer_publish import page_key
from service.api.viewer_publish import qr_name
from service.api.viewer_publish import site_of
from service.api.viewer_qr import QR_DEFAULTS
from service.api.viewer_text import lang_of
from service.counters import clean_host
from service.publish import Published
from service.publish import etag_of
from service.counters import clean_page_load

log = logging.getLogger(__name__)

SLUG = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CODE = re.compile(r"^[A-Za-z0-9]{4,12}$")
BEACON_EVENTS = ("view", "load", "ar", "embed")
_PAGES = {"ar": "share.html", "embed": "embed.html"}
_QR = {(fmt, size, caption) for fmt, size, caption in QR_VARIANTS}
FILES = "/files/derivatives/"
FILE_MEMO_MAX = 4 << 20  # bigger files (web levels, videos) stream from disk through api/files.py
_REPLACED = {"Content-Type", "Content-Length", "ETag", "Date"}
_NO_STORE = [("Cache-Control", "no-store"), ("Content-Length", "0")]


class HotPath:
    """WSGI middleware answering published pages and beacons before Flask sees the request."""

    def __init__(self, app, wsgi_app) -> None:
        self.next = wsgi_app
        self.cache = app.extensions["published"]
        self.flusher = app.extensions["flusher"]
        self.files = app.extensions["file_memo"]
        settings = app.config["SETTINGS"]
        self.base = settings.base_url
        self.base_host = self.base.split("://", 1)[-1].split("/", 1)[0].lower()
        self.auto_flush = not settings.testing
        self.limits = HotLimits(settings)

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method == "GET" and environ.get("PATH_INFO", "").startswith(FILES) and "HTTP_RANGE" not in environ:
            return self.file(environ, start_response)
        try:
            if method == "POST":
                found = self.beacon(environ)
            elif method in ("GET", "HEAD"):
                found = self.get(environ)
            else:
                found = None
        except Exception:  # noqa: BLE001 - the Flask app answers (and logs) whatever went wrong here
            log.exception("hot path: %s %s", method, environ.get("PATH_INFO"))
            found = None
        if found is None:
            return self.next(environ, start_response)
        status, headers, body = found
        start_response(status, headers)
        return [b""] if method == "HEAD" else [body]

    def file(self, environ, start_response):
        """A public file: from memory when /files/ answered it 200 in the last `ttl` seconds.

        api/files.py stays the gate (what is public, MIME, CORS, cache headers); this only
        remembers its whole answers for files up to FILE_MEMO_MAX bytes, Range requests excepted.
        """
        key = environ["PATH_INFO"]
        entry = self.files.get(key)
        if entry is None:
            seen = {}

            def capture(status, headers, exc_info=None):
                seen["status"], seen["headers"] = status, headers
                return lambda data: None

            result = self.next(environ, capture)
            headers = dict(seen.get("headers") or [])
            if not seen.get("status", "").startswith("200 ") or int(headers.get("Content-Length", -1)) \
                    not in range(FILE_MEMO_MAX + 1):
                start_response(seen["status"], seen["headers"])
                return result
            try:
                body = b"".join(result)
            finally:
                getattr(result, "close", lambda: None)()
            kept = tuple((k, v) for k, v in headers.items() if k not in _REPLACED)
            entry = Published(body, headers.get("Content-Type", "application/octet-stream"), etag_of(body), kept)
            self.files.put(key, entry)
        status, headers, body = entry.answer(environ.get("HTTP_IF_NONE_MATCH"))
        start_response(status, headers)
        return [body]

    def _site(self, environ) -> str:
        return site_of(self.base, environ.get("HTTP_HOST", ""))

    def get(self, environ):
        if environ.get("PATH_INFO") == "/oembed":
            return self.oembed(environ)
        parts = environ.get("PATH_INFO", "").split("/")
        if len(parts) != 3 or parts[0]:
            return None
        head, name = parts[1], parts[2]
        if head in _PAGES and SLUG.match(name):
            entry = self.cache.get(page_key(name, self._site(environ), _PAGES[head]))
        elif head == "qr":
            entry = self.qr(environ, name)
        elif head == "s" and CODE.match(name):
            if self.cache.get(f"s/{name}") is None:
                return None  # Flask answers (and counts) it: one request, one count
            return self.limits.check("public", environ) or self.short(environ, name)
        else:
            return None
        if entry is None:
            return None
        return (self.limits.check("public", environ) if head == "qr" else None) or \
            entry.answer(environ.get("HTTP_IF_NONE_MATCH"))

    def qr(self, environ, name: str):
        slug, _, fmt = name.rpartition(".")
        if not SLUG.match(slug):
            return None
        args = parse_qs(environ.get("QUERY_STRING", ""))
        raw_size = args.get("size", [""])[0]
        size = int(raw_size) if raw_size.isdigit() else None
        caption = args.get("caption", [""])[0]
        if (raw_size and size is None) or caption not in ("", "1") or set(args) - {"size", "caption"}:
            return None
        size = None if size == QR_DEFAULTS["size"] else size
        if (fmt, size, caption == "1") not in _QR:
            return None
        return self.cache.get(page_key(slug, self._site(environ), qr_name(fmt, size, caption == "1")))

    def short(self, environ, code: str):
        entry = self.cache.get(f"s/{code}")
        if entry is None:
            return None
        slug = entry.body.decode()
        args = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if "q" in args:
            self._hit(slug, "qr", None, None)
        target = f"/ar/{slug}"
        lang = args.get("lang", [""])[0]
        if lang in ("vi", "en"):
            target += f"?lang={lang}"
        return "302 Found", [("Location", target), *_NO_STORE], b""

    def oembed(self, environ):
        args = parse_qs(environ.get("QUERY_STRING", ""))
        url = args.get("url", [""])[0]
        if not url or args.get("format", ["json"])[0] != "json" or \
                set(args) - {"url", "format", "maxwidth", "maxheight", "lang"}:
            return None
        try:
            maxwidth = viewer_oembed.parse_max("maxwidth", args.get("maxwidth", [None])[0])
            maxheight = viewer_oembed.parse_max("maxheight", args.get("maxheight", [None])[0])
        except Exception:  # noqa: BLE001 - Flask answers the 400
            return None
        host = environ.get("HTTP_HOST", "").lower()
        found = viewer_oembed.parse_url(url, {host, self.base_host or host})
        if found is None:
            return None
        kind, value = found
        if kind == "short_code":
            short = self.cache.get(f"s/{value}")
            if short is None:
                return None
            value = short.body.decode()
        lang = lang_of(args.get("lang", [""])[0], environ.get("HTTP_ACCEPT_LANGUAGE"))
        entry = self.cache.get(page_key(value, self._site(environ), f"oembed-{lang}.json"))
        if entry is None:
            return None
        limited = self.limits.check("public", environ)
        if limited:
            return limited
        if maxwidth is None and maxheight is None:
            return entry.answer(environ.get("HTTP_IF_NONE_MATCH"))
        body = json.dumps(viewer_oembed.resize(json.loads(entry.body), entry.extra, maxwidth, maxheight)).encode()
        headers = [(k, v) for k, v in entry.full_headers if k not in ("ETag", "Content-Length")]
        return "200 OK", headers + [("Content-Length", str(len(body)))], body

    def beacon(self, environ):
        parts = environ.get("PATH_INFO", "").split("/")
        if len(parts) != 4 or parts[1] != "b" or parts[3] not in BEACON_EVENTS or not SLUG.match(parts[2]):
            return None
        slug, event = parts[2], parts[3]
        if self.cache.get(page_key(slug, self._site(environ), "share.html")) is None:
            return None  # not published (yet): Flask checks the database
        limited = self.limits.check("beacon", environ)
        if limited:
            return limited
        args = parse_qs(environ.get("QUERY_STRING", ""))
        referrer = clean_host(args.get("r", [""])[0]) if event == "embed" else None
        self._hit(slug, event, clean_page_load(args.get("p", [""])[0]), referrer)
        return "204 No Content", list(_NO_STORE), b""

    def _hit(self, slug, event, page_load, referrer) -> None:
        self.flusher.counts.hit(slug, event, page_load, referrer)
        if self.auto_flush:
            self.flusher.ensure_started()


class HotLimits:
    """The api's per-address limits (api/limits.py) for what the hot path answers, on the same counters.

    Flask-Limiter keys a shared limit as (key prefix, client address, scope); hitting the same keys
    through its strategy means a client gets one budget whichever path answers it.
    """

    def __init__(self, settings) -> None:
        from limits import parse_many

        from service.api.limits import limiter

        self.strategy = limiter.limiter if settings.ratelimit_enabled else None
        self.items = {"beacon": parse_many(settings.ratelimit_beacon), "public": parse_many(settings.ratelimit_public)}
        self.trusted = settings.trusted_proxies

    def address(self, environ) -> str:
        """The client address as ProxyFix would set it (it runs inside this middleware)."""
        if self.trusted:
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            if len(hops) >= self.trusted:
                return hops[-self.trusted]
        return environ.get("REMOTE_ADDR") or "unknown"

    def check(self, scope: str, environ):
        """None when allowed (and counted), else the 429 answer."""
        if self.strategy is None:
            return None
        keys = ("heritage-ar", self.address(environ), scope)
        try:
            for item in sorted(self.items[scope]):
                if not self.strategy.hit(item, *keys):
                    reset = self.strategy.get_window_stats(item, *keys)[0]
                    return _too_many(item, max(1, math.ceil(reset - time.time())))
        except Exception:  # noqa: BLE001 - limit storage down: serve unlimited, like api/limits.py
            log.warning("hot path: limit storage unreachable; not limited", exc_info=True)
        return None


def _too_many(item, retry: int):
    body = json.dumps({"error": {"code": "rate_limited",
                                 "message": f"rate limit: more than {item} for this key or address; "
                                            f"retry after {retry} s",
                                 "details": {"limit": str(item), "retry_after": retry}}}).encode()
    return "429 Too Many Requests", [("Content-Type", "application/json"), ("Retry-After", str(retry)),
                                     ("Content-Length", str(len(body)))], body
