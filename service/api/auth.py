"""
auth.py
-------

`Authorization: Bearer <key>` on every API call; the key's institution
scopes everything the request can see.
"""

from __future__ import annotations

import functools

from flask import g
from flask import request

from service.db import get_db
from service.db.queries import institution_for_key
from service.errors import Unauthorized


def require_key(view):
    """Resolve the caller's institution into `g.institution` or answer 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthorized("auth: send `Authorization: Bearer <API key>`")
        db = get_db()
        g.institution = institution_for_key(db, raw.strip())
        db.commit()  # last_used_at
        return view(*args, **kwargs)

    return wrapped
