"""
publish.py
----------

Published responses: bytes built once (a share page, an embed, an oEmbed
answer, a QR image, a gallery page) and stored in the Store under
`published/<key>`, next to a small `published/<key>.meta.json` that holds
the content type and the response headers. Any process answers them from an
in-process LRU (`PublishedCache`) without templates or database work; a CDN
or the bucket can serve the same objects directly.

Freshness: a cached entry lives `ttl` seconds (default 5) in each process,
so a re-publish or a withdrawal made by another process shows within that;
`cache_control()` lets browsers and CDNs hold a response for at most a
minute in total (max-age 20 + s-maxage 30 + stale-while-revalidate 30, see
docs/delivery.md).

Usage::

    publish(store, "abc/share.html", body, "text/html; charset=utf-8", headers={...})
    entry = cache.get("abc/share.html")      # Published or None (misses are cached too)
    unpublish(store, "abc/"); cache.evict("abc/")
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field

from service.storage.base import Store

PREFIX = "published/"
META = ".meta.json"
# browsers 20 s, shared caches 30 s then up to 30 s stale while they refetch: a change shows within a minute
CACHE_CONTROL = "public, max-age=20, s-maxage=30, stale-while-revalidate=30"


@dataclass(frozen=True)
class Published:
    """One published response: body, content type, strong ETag and extra headers."""

    body: bytes
    content_type: str
    etag: str
    headers: tuple[tuple[str, str], ...] = ()
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        listed = [("Content-Type", self.content_type), ("ETag", self.etag), *self.headers]
        object.__setattr__(self, "full_headers", listed + [("Content-Length", str(len(self.body)))])
        keep = {"etag", "cache-control", "vary"}
        object.__setattr__(self, "short_headers", [(k, v) for k, v in listed if k.lower() in keep])

    def answer(self, if_none_match: str | None) -> tuple[str, list[tuple[str, str]], bytes]:
        """(status, headers, body) for a GET: 304 with no body when the client has this version."""
        if not_modified(self, if_none_match):
            return "304 Not Modified", list(self.short_headers), b""
        return "200 OK", list(self.full_headers), self.body


def etag_of(body: bytes) -> str:
    """A strong ETag: the first 128 bits of the body's SHA-256."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def publish(store: Store, key: str, body: bytes, content_type: str, *, headers: dict | None = None,
            extra: dict | None = None) -> Published:
    """Store `body` under published/<key> with its headers; return the entry."""
    headers = {"Cache-Control": CACHE_CONTROL, **(headers or {})}
    meta = {"content_type": content_type, "headers": headers, "extra": extra or {}}
    # body first, then meta: a reader that finds the meta finds a complete body
    store.put(PREFIX + key, body, content_type=content_type)
    store.put(PREFIX + key + META, json.dumps(meta, sort_keys=True).encode(), content_type="application/json")
    return Published(body, content_type, etag_of(body), tuple(headers.items()), extra or {})


def unpublish(store: Store, prefix: str) -> int:
    """Remove every published object under `prefix` (a withdrawal); return how many."""
    return store.delete_prefix(PREFIX + prefix)


def load(store: Store, key: str) -> Published | None:
    """Read one published entry from the store, or None."""
    try:
        meta = json.loads(store.get(PREFIX + key + META))
        body = store.get(PREFIX + key)
    except KeyError:
        return None
    return Published(body, meta["content_type"], etag_of(body), tuple(meta["headers"].items()), meta.get("extra", {}))


class PublishedCache:
    """A small thread-safe LRU of published entries (and of misses), each kept `ttl` seconds.

    With `store=None` it only remembers what it is given (`put`), within `max_bytes` of bodies.
    """

    def __init__(self, store: Store | None, *, ttl: float = 5.0, size: int = 2048, max_bytes: int = 256 << 20) -> None:
        self.store, self.ttl, self.size, self.max_bytes = store, ttl, size, max_bytes
        self._items: OrderedDict[str, tuple[float, Published | None]] = OrderedDict()
        # misses apart: a flood of made-up slugs must not push real pages out
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0

    def get(self, key: str) -> Published | None:
        """The entry for `key` from memory, else from the store (None when not published)."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] > now:
                self._items.move_to_end(key)
                return hit[1]
            if self._misses.get(key, 0) > now:
                return None
        if self.store is None:
            return None
        entry = load(self.store, key)
        self.put(key, entry)
        return entry

    def put(self, key: str, entry: Published | None) -> None:
        with self._lock:
            self._drop(key)
            if entry is None:
                self._misses[key] = time.monotonic() + self.ttl
                while len(self._misses) > self.size:
                    self._misses.popitem(last=False)
                return
            self._items[key] = (time.monotonic() + self.ttl, entry)
            self._bytes += len(entry.body)
            while len(self._items) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        self._misses.pop(key, None)
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= len(old[1].body)

    def evict(self, prefix: str) -> None:
        """Forget every entry whose key starts with `prefix` (this process; others within `ttl`)."""
        with self._lock:
            for key in [k for k in (*self._items, *self._misses) if k.startswith(prefix)]:
                self._drop(key)


def not_modified(entry: Published, if_none_match: str | None) -> bool:
    """True when the client's If-None-Match names this entry's ETag (or is `*`)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return entry.etag in tags or "*" in tags


def serve_published(key: str):
    """A Flask response for the published entry `key` (304 when the client has it), or None when not published."""
    from flask import current_app
    from flask import request

    entry = current_app.extensions["published"].get(key)
    if entry is None:
        return None
    return flask_response(entry, request.headers.get("If-None-Match"))


def flask_response(entry: Published, if_none_match: str | None):
    """The Flask response for a published entry."""
    from flask import Response

    status, headers, body = entry.answer(if_none_match)
    response = Response(body, status=int(status[:3]))
    for name, value in headers:
        if name != "Content-Length":
            response.headers[name] = value
    return response
