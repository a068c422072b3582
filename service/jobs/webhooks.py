"""
webhooks.py
-----------

Tell an institution's system when an artefact is ready or failed: a JSON
POST signed with HMAC-SHA256 over "<timestamp>.<body>" (the Stripe/GitHub
scheme, so receivers can reject replays).

Deliveries are rows (`webhook_deliveries`), written in the same transaction
as the job's outcome, so none is lost to a restart; a `Dispatcher` thread in
every worker process sends the due ones, retries with backoff and records
each answer. Sending never follows redirects, needs https (unless
HERITAGE_AR_WEBHOOK_ALLOW_HTTP) and connects only to the address it checked:
the host is resolved at send time and refused if any address is loopback,
link-local, private or otherwise not global (unless
HERITAGE_AR_WEBHOOK_ALLOW_PRIVATE), which also defeats DNS rebinding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from service.config import Settings
from service.db import session_scope
from service.db.models import Institution
from service.db.models import WebhookDelivery
from service.db.models import utcnow

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Heritage-AR-Signature"
# seconds to wait before attempt 1, 2, ...: about a day and a half in all, then the delivery is failed
BACKOFF = (0, 10, 60, 300, 1800, 7200, 28800, 86400)
LEASE_SECONDS = 60  # a claimed delivery is not picked again for this long (a crashed sender's row comes back)
TIMEOUT_SECONDS = 10


class UnsafeDestination(Exception):
    """The webhook URL may not be called (scheme, or an address the operator did not allow)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """Check a signature header (for receivers and tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def check_url(url: str, *, allow_http: bool) -> None:
    """UnsafeDestination unless `url` is an absolute https (or allowed http) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.hostname:
        raise UnsafeDestination(f"webhook: {url!r} is not an https:// URL"
                                + ("" if allow_http else " (http needs HERITAGE_AR_WEBHOOK_ALLOW_HTTP)"))


def resolve_safe(host: str, port: int, *, allow_private: bool) -> str:
    """One address of `host` to connect to; UnsafeDestination if any of its addresses is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UnsafeDestination(f"webhook: cannot resolve {host!r} ({e.strerror})") from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:127.0.0.1 is 127.0.0.1
        if not allow_private and not ip.is_global:
            raise UnsafeDestination(f"webhook: {host!r} resolves to {ip}, a loopback, link-local or private "
                                    "address (allow with HERITAGE_AR_WEBHOOK_ALLOW_PRIVATE)")
    return addresses[0]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the URL's host name for SNI and certificate checks."""

    def __init__(self, host: str, port: int, address: str, **kw) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kw)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, **kw) -> None:
        super().__init__(host, port, **kw)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict, settings: Settings) -> int:
    """POST once, redirects not followed; the HTTP status. UnsafeDestination or OSError on failure."""
    check_url(url, allow_http=settings.webhook_allow_http)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_safe(parts.hostname, port, allow_private=settings.webhook_allow_private)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(parts.hostname, port, address, timeout=TIMEOUT_SECONDS)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        conn.close()


def record(db: Session, institution: Institution, event: dict) -> WebhookDelivery | None:
    """Queue `event` for the institution's webhook (in the caller's transaction); None without a webhook."""
    if not institution.webhook_url or not institution.webhook_secret:
        return None
    delivery = WebhookDelivery(institution_id=institution.id, event=event["event"], payload=event,
                               url=institution.webhook_url, state="pending", attempts=0, next_attempt_at=utcnow())
    db.add(delivery)
    db.flush()
    return delivery


def attempt(sessions: sessionmaker, settings: Settings, delivery_id: str) -> str:
    """Claim one due delivery and send it; its new state, or "skipped" when another sender has it."""
    now = utcnow()
    with session_scope(sessions) as db:
        claimed = db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == "pending",
                   WebhookDelivery.next_attempt_at <= now)
            .values(next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS))
        ).rowcount
        if claimed != 1:
            return "skipped"
        delivery = db.get(WebhookDelivery, delivery_id)
        secret = db.get(Institution, delivery.institution_id).webhook_secret or ""
        url, payload, event = delivery.url, delivery.payload, delivery.event
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "heritage-ar-webhooks",
               SIGNATURE_HEADER: sign(secret, int(time.time()), body),
               "X-Heritage-AR-Event": event, "X-Heritage-AR-Delivery": delivery_id}
    status, error = None, None
    try:
        status = post(url, body, headers, settings)
        if not 200 <= status < 300:
            error = f"answered {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    except UnsafeDestination as e:
        error = str(e)
    except (OSError, http.client.HTTPException) as e:
        error = f"unreachable: {type(e).__name__}: {e}"
    return _finish(sessions, delivery_id, status, error)


def _finish(sessions: sessionmaker, delivery_id: str, status: int | None, error: str | None) -> str:
    now = utcnow()
    with session_scope(sessions) as db:
        delivery = db.get(WebhookDelivery, delivery_id)
        delivery.attempts += 1
        delivery.last_status, delivery.last_error, delivery.last_attempt_at = status, error, now
        if error is None:
            delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        elif delivery.attempts >= len(BACKOFF):
            delivery.state, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=BACKOFF[delivery.attempts])
        if error:
            log.warning("webhook %s: attempt %d: %s", delivery_id, delivery.attempts, error)
        return delivery.state


def process_due(sessions: sessionmaker, settings: Settings, limit: int = 20) -> int:
    """Send the deliveries that are due; how many were attempted."""
    with session_scope(sessions) as db:
        due = list(db.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= utcnow())
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)
        ))
    return sum(attempt(sessions, settings, d) != "skipped" for d in due)


class Dispatcher:
    """A daemon thread that sends due deliveries every `poll_seconds` (and at once after `wake()`)."""

    def __init__(self, sessions: sessionmaker, settings: Settings, poll_seconds: float = 2.0) -> None:
        self.sessions, self.settings, self.poll_seconds = sessions, settings, poll_seconds
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heritage-ar-webhooks", daemon=True)

    def start(self) -> "Dispatcher":
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                process_due(self.sessions, self.settings)
            except Exception:  # noqa: BLE001 - keep sending through database hiccups
                log.exception("webhooks: dispatcher error")
            self._wake.wait(timeout=self.poll_seconds)
            self._wake.clear()
