"""
admin.py
--------

`/studio/users`: an institution's administrators list their colleagues,
add one (who gets a one-time link to choose a password), reset a
password (a new one-time link; the user's sessions end at once) and disable
or enable an account. Only the
institution's own users are ever listed or found.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import g
from flask import render_template
from flask import request
from flask import url_for

from service.api.present import base_url
from service.db import get_db
from service.db.models import utcnow
from service.db.users import ROLES
from service.db.users import add_user
from service.db.users import get_user
from service.db.users import issue_link
from service.db.users import reset_password
from service.db.users import users_of
from service.errors import HeritageError
from service.messages import render
from service.studio import setup
from service.studio.session import role_required

bp = Blueprint("studio_admin", __name__, url_prefix="/studio/users")
setup(bp)


def _page(**extra):
    return render_template("studio/users.html", users=users_of(get_db(), g.institution.id), roles=ROLES, **extra)


@bp.get("")
@role_required("admin")
def users():
    """The institution's users."""
    return _page()


@bp.post("")
@role_required("admin")
def create():
    """Add a user; show the one-time link to hand them."""
    db = get_db()
    email = request.form.get("email", "")
    try:
        user = add_user(db, g.institution, email, request.form.get("role", ""), name=request.form.get("name"))
    except HeritageError as e:
        return _page(error=render(e.message, g.lang), form=request.form), e.status
    raw = issue_link(db, user)
    db.commit()
    return _page(link=base_url() + url_for("studio_auth.welcome", token=raw), link_email=user.email)


@bp.post("/<int:user_id>/reset")
@role_required("admin")
def reset(user_id: int):
    """Reset a user's password: their sessions end; they choose a new one with the link shown."""
    db = get_db()
    user = get_user(db, g.institution.id, user_id)
    raw = reset_password(db, user)
    db.commit()
    return _page(link=base_url() + url_for("studio_auth.welcome", token=raw), link_email=user.email)


@bp.post("/<int:user_id>/access")
@role_required("admin")
def access(user_id: int):
    """Disable a user (their sessions end at once) or enable them again; never one's own account."""
    db = get_db()
    user = get_user(db, g.institution.id, user_id)
    if user.id == g.user.id:
        abort(403)
    user.disabled_at = None if request.form.get("enable") else utcnow()
    db.commit()
    return _page()
