"""
webhooks.py
-----------

Tell an institution's system when an artefact is ready or failed: a JSON
POST signed with HMAC-SHA256 over "<timestamp>.<body>" (the Stripe/GitHub
scheme, so receivers can reject replays), retried with backoff on a side
thread so a slow receiver never holds up a worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time

import requests

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Heritage-AR-Signature"
DELAYS = (0, 2, 8, 30)


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


def deliver(url: str, secret: str, event: dict, *, delays: tuple[float, ...] = DELAYS) -> bool:
    """POST `event` until a 2xx answer or the retries run out; return whether it was delivered."""
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    for attempt, delay in enumerate(delays, 1):
        time.sleep(delay)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, int(time.time()), body),
                   "X-Heritage-AR-Event": event["event"]}
        try:
            resp = requests.post(url, data=body, headers=headers, timeout=10)
            if 200 <= resp.status_code < 300:
                return True
            log.warning("webhook: %s answered %d (attempt %d)", url, resp.status_code, attempt)
        except requests.RequestException as e:
            log.warning("webhook: %s unreachable (%s, attempt %d)", url, e, attempt)
    return False


def send_later(url: str | None, secret: str | None, event: dict) -> threading.Thread | None:
    """Deliver on a daemon thread; None when the institution has no webhook."""
    if not url or not secret:
        return None
    thread = threading.Thread(target=deliver, args=(url, secret, event), daemon=True, name="webhook")
    thread.start()
    return thread
