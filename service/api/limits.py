"""
limits.py
---------

Rate limits with Flask-Limiter. `limiter` is the one extension instance
(other modules decorate views with `@limiter.limit(...)`); `init_app` sets its
storage (in memory for the embedded mode, Redis at scale) and `apply_route_limits`
gives every route its class of limit by path, so routes added later are
covered too:

- `/api/v1/...` per API key: reads (GET, HEAD), writes, uploads (POST /api/v1/artefacts),
  resumable upload parts (PUT /api/v1/uploads/<id>/parts/<n>: hundreds per scan, so their own budget);
- `/b/` beacons and `/s/`, `/qr/`, `/oembed`, the exports and `/verify` per client address;
- requests with a bad key, per client address (`check_auth_failures`, `record_auth_failure`).

A limited request gets 429, `Retry-After` and the usual JSON error body.
The client address is the socket peer unless HERITAGE_AR_TRUSTED_PROXIES says
how many proxies in front may be believed about X-Forwarded-For.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask
from flask import current_app
from flask import jsonify
from flask import request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many

from service.errors import HeritageError
from service.errors import QueueFull

log = logging.getLogger(__name__)

UPLOAD_PATH = "/api/v1/artefacts"
PARTS_PREFIX = "/api/v1/uploads/"
# anonymous routes that do work per request: short links, QR rendering, oEmbed, exports built from the
# database (IIIF, EDM, Voyager) and /verify, which reads an uploaded file
PUBLIC_PREFIXES = ("/s/", "/qr/", "/oembed", "/iiif/", "/edm/", "/voyager/", "/verify")
BEACON_PREFIX = "/b/"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class RateLimited(HeritageError):
    """Too many requests of one kind from one key or address; `retry_after` is in seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, **context: object) -> None:
        super().__init__(message, **context)
        self.retry_after = max(1, int(retry_after))


def client_address() -> str:
    """The caller's address (already corrected by ProxyFix when proxies are trusted)."""
    return request.remote_addr or "unknown"


def api_identity() -> str:
    """Per API key when one is sent (hashed: raw keys never reach the limiter's storage), else per address."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return "key:" + hashlib.sha256(raw.strip().encode()).hexdigest()[:32]
    return "addr:" + client_address()


limiter = Limiter(key_func=client_address, headers_enabled=True, strategy="moving-window")


def _setting(name: str):
    return lambda: getattr(current_app.config["SETTINGS"], name)


def _is_upload() -> bool:
    return request.method == "POST" and request.path.rstrip("/") == UPLOAD_PATH


def _is_part() -> bool:
    return request.method == "PUT" and request.path.startswith(PARTS_PREFIX) and "/parts/" in request.path


def _is_upload_or_part() -> bool:
    return _is_upload() or _is_part()


_API_READ = limiter.shared_limit(_setting("ratelimit_api_read"), scope="api-read", key_func=api_identity,
                                 methods=list(READ_METHODS))
_API_WRITE = limiter.shared_limit(_setting("ratelimit_api_write"), scope="api-write", key_func=api_identity,
                                  methods=["POST", "PUT", "PATCH", "DELETE"], exempt_when=_is_upload_or_part)
_API_UPLOAD = limiter.shared_limit(_setting("ratelimit_api_upload"), scope="api-upload", key_func=api_identity,
                                   methods=["POST"], exempt_when=lambda: not _is_upload())
_API_PARTS = limiter.shared_limit(_setting("ratelimit_api_parts"), scope="api-parts", key_func=api_identity,
                                  methods=["PUT"], exempt_when=lambda: not _is_part())
_PUBLIC = limiter.shared_limit(_setting("ratelimit_public"), scope="public", key_func=client_address)
_BEACON = limiter.shared_limit(_setting("ratelimit_beacon"), scope="beacon", key_func=client_address)


def classify(path: str) -> tuple[str, ...]:
    """The limit classes of a URL rule, by its path."""
    if path.startswith("/api/v1/") or path == "/api/v1":
        return ("api-read", "api-write", "api-upload", "api-parts")
    if path.startswith(BEACON_PREFIX):
        return ("beacon",)
    if path.startswith(PUBLIC_PREFIXES):
        return ("public",)
    return ()


_DECORATORS = {"api-read": _API_READ, "api-write": _API_WRITE, "api-upload": _API_UPLOAD, "api-parts": _API_PARTS,
               "public": _PUBLIC, "beacon": _BEACON}


def init_app(app: Flask) -> None:
    """Configure storage and the 429 answer; call before the blueprints are limited."""
    settings = app.config["SETTINGS"]
    if settings.trusted_proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    app.config.update(
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_KEY_PREFIX="heritage-ar",
        RATELIMIT_SWALLOW_ERRORS=True,  # storage down (Redis): serve unlimited and log, rather than fail requests
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(QueueFull, _rate_limited)


def apply_route_limits(app: Flask) -> None:
    """Give every registered view its limit class (after all blueprints are registered)."""
    done: set[str] = set()
    for rule in app.url_map.iter_rules():
        classes = classify(rule.rule)
        if not classes or rule.endpoint in done:
            continue
        view = app.view_functions[rule.endpoint]
        for name in classes:
            view = _DECORATORS[name](view)
        app.view_functions[rule.endpoint] = view
        done.add(rule.endpoint)


def _retry_after(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def _too_many(e: RateLimitExceeded):
    current = limiter.current_limit
    retry = _retry_after(current.reset_at) if current is not None else 60
    body = {"code": "rate_limited",
            "message": f"rate limit: more than {e.description} for this key or address; retry after {retry} s",
            "details": {"limit": str(e.description), "retry_after": retry}}
    response = jsonify(error=body)
    response.status_code = 429
    response.headers["Retry-After"] = str(retry)
    return response


def _rate_limited(e: RateLimited | QueueFull):
    response = jsonify(error=e.to_dict())
    response.status_code = 429
    response.headers["Retry-After"] = str(e.retry_after)
    return response


# failed authentication, per address: a key-guessing client is stopped, a valid key elsewhere is not


def _auth_items():
    return parse_many(current_app.config["SETTINGS"].ratelimit_auth_failures)


def check_auth_failures() -> None:
    """RateLimited when this address has sent too many bad keys or passwords recently."""
    if not current_app.config["SETTINGS"].ratelimit_enabled:
        return
    address = client_address()
    for item in _auth_items():
        try:
            allowed = limiter.limiter.test(item, "auth-failures", address)
            reset = None if allowed else limiter.limiter.get_window_stats(item, "auth-failures", address)[0]
        except Exception:  # noqa: BLE001 - limit storage down: let the request through, like the other limits
            log.warning("limits: storage unreachable, auth failures not checked", exc_info=True)
            return
        if reset is not None:
            raise RateLimited(f"auth: too many failed attempts from this address (limit {item}); wait and retry",
                              retry_after=_retry_after(reset))


def record_auth_failure() -> None:
    """Count one failed authentication for this address."""
    if not current_app.config["SETTINGS"].ratelimit_enabled:
        return
    try:
        for item in _auth_items():
            limiter.limiter.hit(item, "auth-failures", client_address())
    except Exception:  # noqa: BLE001 - see check_auth_failures
        log.warning("limits: storage unreachable, auth failure not counted", exc_info=True)
