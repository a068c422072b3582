"""
accounts.py
-----------

Signing in and out of the studio, the one-time link that lets a new user
(or one whose password an admin reset) choose a password, and the
language switch. Failed sign-ins count against the caller's address with
the API's bad-key limit (api/limits.py), so guessing passwords is as slow
as guessing keys.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from service.api.limits import RateLimited
from service.api.limits import check_auth_failures
from service.api.limits import record_auth_failure
from service.db import get_db
from service.db.users import authenticate
from service.db.users import spend_link
from service.db.users import user_for_link
from service.errors import BadRequest
from service.messages import render
from service.studio import setup
from service.studio.session import load_user
from service.studio.session import safe_next
from service.studio.session import sign_in
from service.studio.text import COOKIE
from service.studio.text import LANGS

bp = Blueprint("studio_auth", __name__)
setup(bp)


@bp.route("/signin", methods=("GET", "POST"))
def signin():
    """The sign-in form; a good email and password start a session."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if load_user() is not None:
            return redirect(target)
        return render_template("studio/signin.html", next=target, email="")
    email = request.form.get("email", "")
    try:
        check_auth_failures()
    except RateLimited as e:
        return render_template("studio/signin.html", next=target, email=email, error=g.t("too_many")), 429, \
            {"Retry-After": str(e.retry_after)}
    db = get_db()
    user = authenticate(db, email, request.form.get("password", ""))
    if user is None:
        record_auth_failure()
        return render_template("studio/signin.html", next=target, email=email, error=g.t("bad_sign_in")), 401
    db.commit()
    sign_in(user)
    return redirect(target)


@bp.post("/signout")
def signout():
    """End the session."""
    session.clear()
    return redirect(url_for("studio_auth.signin"))


@bp.route("/welcome/<token>", methods=("GET", "POST"))
def welcome(token: str):
    """A one-time link: choose a password, then be signed in."""
    db = get_db()
    user = user_for_link(db, token)
    if user is None:
        return render_template("studio/error.html", title=g.t("welcome_title"), message=g.t("link_dead")), 404
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            error = g.t("passwords_differ")
        else:
            try:
                user = spend_link(db, token, password)
            except BadRequest as e:
                error = render(e.message, g.lang)
            else:
                db.commit()
                sign_in(user)
                return redirect(url_for("studio.collection"))
    return render_template("studio/welcome.html", email=user.email, token=token, error=error), 400 if error else 200


@bp.post("/studio/lang")
def switch_lang():
    """Remember the chosen language for a year and go back to the page."""
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")))
    if lang in LANGS:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response
