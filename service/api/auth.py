"""
auth.py
-------

`Authorization: Bearer <key>` on every API call; the key's institution
scopes everything the request can see, and the key's scope what it may do:
`read` (GET, HEAD), `write` (also POST, PATCH, PUT, DELETE) or `admin`
(also managing keys). A revoked key fails at the next request: keys are
looked up on every call, never cached. Bad keys count against the caller's
address (limits.py), so guessing keys is rate limited.

A request without an `Authorization` header may instead carry a studio
session (a signed-in member of staff, service/studio): the user's
institution scopes it and their role gives the scope (viewer: read,
editor: write, admin: admin). A session cannot be sent by a script on
another site without the page's CSRF token, so every non-GET request
authenticated by session must carry it in `X-CSRFToken`.
"""

from __future__ import annotations

import functools

from flask import g
from flask import request
from flask import session

from service.api.limits import check_auth_failures
from service.api.limits import record_auth_failure
from service.db import get_db
from service.db.queries import SCOPES
from service.db.queries import key_for_raw
from service.db.users import ROLE_SCOPE
from service.db.users import user_for_session
from service.errors import Forbidden
from service.errors import Unauthorized

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfRefused(Forbidden):
    code = "csrf_failed"


def _authenticate(needed: str | None) -> None:
    check_auth_failures()
    header = request.headers.get("Authorization", "")
    if not header and session.get("uid") is not None:
        _authenticate_session(needed)
        return
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


def _authenticate_session(needed: str | None) -> None:
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    db = get_db()
    user = user_for_session(db, session.get("uid"), session.get("stamp"))
    if user is None:
        session.clear()
        raise Unauthorized("auth: your studio session has ended; sign in again")
    if request.method not in READ_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError:
            raise CsrfRefused("auth: the request lacks the page's CSRF token (X-CSRFToken); reload the page") from None
    scope = ROLE_SCOPE[user.role]
    needed = needed or ("read" if request.method in READ_METHODS else "write")
    if SCOPES.index(scope) < SCOPES.index(needed):
        raise Forbidden(f"auth: your role {user.role!r} may not do this; it needs {needed!r}", needed=needed)
    g.api_key = None
    g.user = user
    g.institution = user.institution


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
