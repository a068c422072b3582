"""
session.py
----------

Who is signed in to the studio, and what they may do. The session cookie
(Flask's, signed with the secret key; HttpOnly, SameSite=Lax, Secure in
production) holds the user's id and their password's stamp; the user is
looked up on every request, so a reset password or a disabled account ends
every session at once. `g.user` and `g.institution` are set for the views,
the same names the API's key check sets.
"""

from __future__ import annotations

import functools

from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from service.db import get_db
from service.db.models import User
from service.db.users import ROLES
from service.db.users import user_for_session


def load_user() -> User | None:
    """The signed-in user (cached on `g`), or None."""
    if "user" not in g:
        g.user = None
        if session.get("uid") is not None:
            g.user = user_for_session(get_db(), session.get("uid"), session.get("stamp"))
            if g.user is None:
                session.clear()
            else:
                g.institution = g.user.institution
    return g.user


def sign_in(user: User) -> None:
    """Start a fresh session for `user` (a new CSRF token too: nothing carries over from before)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["stamp"] = user.session_stamp


def login_required(view):
    """Send visitors who are not signed in to the sign-in page, and back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if load_user() is None:
            return redirect(url_for("studio_auth.signin", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(role: str):
    """Like `login_required`, and 403 unless the user's role is `role` or above."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if ROLES.index(g.user.role) < ROLES.index(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def can(role: str) -> bool:
    """True when the signed-in user has `role` or above (for templates)."""
    user = g.get("user")
    return user is not None and ROLES.index(user.role) >= ROLES.index(role)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //evil.example or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("studio.collection")
    return target
