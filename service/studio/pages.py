"""
pages.py
--------

The studio's main pages: the collection (`/`), the upload form, one
artefact (live status, viewer, files, warnings, edit, re-process, withdraw,
versions) and its share page. Views read with the API's own queries and
JSON (`artefact_json`); the pages' scripts write through `/api/v1`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from service.api.gallery_text import CATEGORY_NAMES
from service.api.gallery_text import names
from service.api.present import artefact_json
from service.api.present import base_url
from service.api.viewer import vendor_manifest
from service.api.viewer_kit import files_of
from service.api.viewer_page import vendor_paths
from service.db import get_db
from service.db.collection import SORTS
from service.db.collection import CollectionQuery
from service.db.collection import search_collection
from service.db.queries import current_version
from service.db.queries import get_artefact
from service.db.queries import latest_job
from service.errors import InvalidMetadata
from service.messages import Message
from service.messages import localise
from service.pipeline.constants import UNITS
from service.pipeline.metadata import KINDS
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import validate_metadata
from service.studio import setup
from service.studio.session import load_user
from service.studio.session import login_required
from service.studio.session import role_required
from service.studio.settings import licence_options
from service.studio.settings import upload_defaults

bp = Blueprint("studio", __name__)
setup(bp)

STATUSES = ("queued", "processing", "ready", "failed")
PER_PAGE = 20


def _choices() -> dict:
    """Options of the catalogue and filter selects, in the page's language."""
    return {
        "kinds_list": [(k, g.t("kinds")[k]) for k in KINDS],
        "categories": names(CATEGORY_NAMES, g.lang),
        "licences": licence_options(),
        "unit_options": [(u, u) for u in UNITS],
        "statuses": STATUSES,
    }


@bp.get("/")
def collection():
    """The institution's artefacts: search, filters, sort, pages; the sign-in page for visitors."""
    if load_user() is None:
        return redirect(url_for("studio_auth.signin"))
    args = request.args
    raw_page = args.get("page", "1")
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    query = CollectionQuery(
        q=args.get("q", "")[:200],
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        kind=args.get("kind", "") if args.get("kind") in KINDS else "",
        category=args.get("category", "") if args.get("category") in CATEGORY_NAMES else "",
        licence=args.get("licence", "") if args.get("licence") in LICENCES else "",
        sort=args.get("sort", "newest") if args.get("sort") in SORTS else "newest",
        page=page,
    )
    db = get_db()
    rows, total = search_collection(db, g.institution.id, query, per_page=PER_PAGE)
    root = base_url()
    items = [(a, files_of(current_version(db, a), root).thumbnail) for a in rows]
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render_template("studio/collection.html", items=items, query=query, total=total, pages=pages,
                           **_choices())


@bp.get("/studio/upload")
@role_required("editor")
def upload():
    """The upload page: files (drop zone, folder) and the catalogue record."""
    settings = current_app.config["SETTINGS"]
    # the resumable transport (branch `upload`); without it the page posts multipart as the API takes it
    has_uploader = (Path(current_app.static_folder) / "uploads" / "uploader.js").is_file()
    return render_template("studio/upload.html", max_mb=settings.max_upload_mb, has_uploader=has_uploader,
                           defaults=upload_defaults(g.institution), **_choices())


@bp.post("/studio/validate")
@role_required("editor")
def validate():
    """Check a catalogue record with the API's rules, before a long upload starts."""
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidMetadata(Message("md_object_fields"))
    validate_metadata(body, partial=request.args.get("partial") == "1")
    return jsonify(ok=True)


@bp.get("/studio/artefacts/<artefact_id>")
@login_required
def artefact(artefact_id: str):
    """One artefact: live status, 3D viewer, files, warnings, edit, re-process, withdraw, versions."""
    db, art, body = _scoped(artefact_id)
    job = latest_job(db, art.id)
    version = current_version(db, art)
    files = files_of(version, base_url())
    rows = [(d, _validation(d.info or {})) for d in version.derivatives] if version else []
    keys = (version.manifest or {}).get("warning_keys") if version else None
    warnings = localise(body["warnings"], keys, g.lang)
    return render_template("studio/artefact.html", art=art, body=body, job=job, files=files, derivatives=rows,
                           warnings=warnings,
                           versions=sorted(art.versions, key=lambda v: -v.number),
                           vendor=vendor_paths(vendor_manifest()), **_choices())


@bp.get("/studio/artefacts/<artefact_id>/share")
@login_required
def share(artefact_id: str):
    """Everything to share one artefact: links, embed code, oEmbed, QR, poster, video, phone preview."""
    _, art, body = _scoped(artefact_id)
    share_link = body["links"]["share"]
    oembed = f"{base_url()}/oembed?url={quote(share_link, safe='')}"
    return render_template("studio/share.html", art=art, body=body, kit=body["creator_kit"], oembed=oembed)


def _scoped(artefact_id: str):
    """(session, this institution's artefact, its API JSON); ArtefactNotFound for anyone else's."""
    db = get_db()
    art = get_artefact(db, g.institution.id, artefact_id)
    return db, art, artefact_json(db, art)


def _validation(info: dict) -> str | None:
    """"valid", "invalid" or None (not validated) from a derivative's validator results."""
    report = info.get("validation")
    if not isinstance(report, dict):
        return None
    return "invalid" if _has_errors(report) else "valid"


def _has_errors(report: dict) -> bool:
    for key, value in report.items():
        if key == "errors" and isinstance(value, int) and value > 0:
            return True
        if key == "decoded" and value is False:
            return True
        if isinstance(value, dict) and _has_errors(value):
            return True
    return False
