"""
auth.py
-------

`Authorization: Bearer <key>` on every API call; the key's institution
scopes everything the request can see, and the key's scope what it may do:
`read` (GET, HEAD), `write` (also POST, PATCH, PUT, DELETE) or `admin`
(also managing keys). A revoked key fails at the next request: keys are
looked up on every call, never cached. Bad keys count against the caller's
address (limits.py), so guessing keys is rate limited.
"""

from __future__ import annotations

import functools

from flask import g
from flask import request

from service.api.limits import check_auth_failures
from service.api.limits import record_auth_failure
from service.db import get_db
from service.db.queries import SCOPES
from service.db.queries import key_for_raw
from service.errors import Forbidden
from service.errors import Unauthorized

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _authenticate(needed: str | None) -> None:
    check_auth_failures()
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        record_auth_failure()
        raise Unauthorized("auth: send `Authorization: Bearer <API key>`")
    db = get_db()
    try:
        key = key_for_raw(db, raw.strip())
    except Unauthorized:
        record_auth_failure()
        raise
    needed = needed or ("read" if request.method in READ_METHODS else "write")
    if SCOPES.index(key.scope) < SCOPES.index(needed):
        raise Forbidden(f"auth: this key has scope {key.scope!r}; this request needs {needed!r}", needed=needed)
    g.api_key = key
    g.institution = key.institution
    db.commit()  # last_used_at


def require_key(view):
    """Resolve the caller's key into `g.api_key` and `g.institution`, or answer 401/403.

    GET and HEAD need a `read` key, anything else a `write` key.
    """

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        _authenticate(None)
        return view(*args, **kwargs)

    return wrapped


def require_admin(view):
    """Like `require_key`, for an `admin` key (key management)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        _authenticate("admin")
        return view(*args, **kwargs)

    return wrapped
