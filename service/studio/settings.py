"""
settings.py
-----------

`/studio/settings`: an institution's administrators choose what a new upload
starts with in the studio: the licence, the credit line and whether new
artefacts are listed in the public gallery. Checked with the catalogue's own
rules and messages; each upload can still change them, and records sent
through the API are taken as they are sent.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import render_template
from flask import request

from service.db import get_db
from service.errors import InvalidMetadata
from service.messages import render
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import validate_metadata
from service.studio import setup
from service.studio.session import role_required

bp = Blueprint("studio_settings", __name__, url_prefix="/studio/settings")
setup(bp)


def upload_defaults(institution) -> dict:
    """The catalogue fields the upload form starts with."""
    md = {}
    if institution.default_licence:
        md["licence"] = institution.default_licence
    if institution.default_attribution:
        md["attribution"] = institution.default_attribution
    if institution.default_listed is not None:
        md["listed"] = institution.default_listed
    return md


def licence_options() -> list[tuple[str, str]]:
    """(id, name) of every licence, for the selects of the catalogue form and this page."""
    return [(k, name) for k, (name, _) in LICENCES.items()]


def _page(status: int = 200, **extra):
    md = extra.pop("md", None) or upload_defaults(g.institution)
    return render_template("studio/settings.html", md=md, licences=licence_options(), **extra), status


@bp.get("")
@role_required("admin")
def settings():
    """The institution's defaults for new uploads."""
    return _page()


@bp.post("")
@role_required("admin")
def save():
    """Check the defaults with the catalogue rules and keep them."""
    form = request.form
    fields = {k: form.get(k, "").strip() for k in ("licence", "attribution")}
    fields = {k: v for k, v in fields.items() if v}
    listed = form.get("listed") == "on"
    try:
        clean = validate_metadata(fields, partial=True)
    except InvalidMetadata as e:
        return _page(400, error=render(e.message, g.lang), md={**fields, "listed": listed})
    inst = g.institution
    inst.default_licence = clean.get("licence")
    inst.default_attribution = clean.get("attribution")
    inst.default_listed = listed
    get_db().commit()
    return _page(saved=True)
