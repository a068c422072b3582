"""
artefacts.py
------------

`/api/v1/artefacts`: upload, list, read, edit metadata, delete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request

from service.api import viewer_publish
from service.api.auth import require_key
from service.api.present import artefact_json
from service.db import get_db
from service.db.models import utcnow
from service.db.queries import get_artefact as find_artefact
from service.db.queries import list_artefacts
from service.db.queries import metadata_of
from service.db.queries import set_metadata
from service.errors import BadRequest
from service.errors import InvalidMetadata
from service.errors import MetadataTooLarge
from service.messages import Message
from service.jobs import enqueue
from service.jobs import uploads
from service.jobs.fair import check_upload
from service.jobs.submit import resubmit
from service.jobs.submit import submit
from service.jobs.submit import submit_incoming
from service.pipeline.metadata import MAX_METADATA_BYTES
from service.pipeline.metadata import check_limits
from service.pipeline.metadata import validate_metadata
from service.storage import derivative_prefix
from service.storage import get_store

bp = Blueprint("artefacts", __name__, url_prefix="/api/v1/artefacts")

STATUSES = ("queued", "processing", "ready", "failed")
MAX_PAGE = 1_000_000  # beyond it an offset overflows the database's integers


def _read_metadata() -> dict:
    raw = request.form.get("metadata")
    if raw is None and "metadata" in request.files:
        raw = request.files["metadata"].read(1024 * 1024 + 1).decode("utf-8", errors="replace")
    if raw is None or not raw.strip():
        raise InvalidMetadata("metadata: missing; send a `metadata` part with JSON such as {\"title\": {\"vi\": \"...\"}}")
    try:
        parsed = json.loads(raw)
    except ValueError as e:
        raise InvalidMetadata(f"metadata: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    return validate_metadata(parsed)


@bp.post("")
@require_key
def create_artefact():
    """Upload files (or name finished resumable uploads) and catalogue metadata; processing starts in the background."""
    if request.is_json:
        return _from_uploads(*_json_uploads())
    check_upload(get_db(), g.institution.id, current_app.config["SETTINGS"], request.content_length or 0)
    parts = request.files.getlist("file")
    if not parts and request.form.get("upload_ids"):
        return _from_uploads(_form_upload_ids(), _read_metadata())
    if not parts:
        raise BadRequest("upload: no `file` part; send the scan (or an archive) as multipart field `file`, "
                         "or name finished resumable uploads in `upload_ids`")
    metadata = _read_metadata()
    db = get_db()
    tmp = Path(tempfile.mkdtemp(prefix="upload-", dir=_scratch()))
    try:
        files = []
        for i, part in enumerate(parts):
            name = part.filename or f"file-{i}"
            path = tmp / f"{i}"
            part.save(path)
            files.append((name, path))
        result = submit(db, get_store(), g.institution, files, metadata)
        db.commit()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _accepted(db, result)


def _accepted(db, result):
    if result.job is not None:
        enqueue(result.job.id)
    body = artefact_json(db, result.artefact)
    answer = {"id": result.artefact.id, "status": result.artefact.status, "job_url": body["links"].get("job"),
              "duplicate": not result.created, "links": body["links"]}
    return jsonify(answer), 202 if result.created else 200


def _json_uploads() -> tuple[list[str], dict]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("upload: send a JSON object {\"upload_ids\": [...], \"metadata\": {...}}")
    ids = body.get("upload_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise BadRequest("upload: `upload_ids` must be a list of upload ids (POST /api/v1/uploads makes them)")
    if body.get("metadata") is None:
        raise InvalidMetadata("metadata: missing; send `metadata` with JSON such as {\"title\": {\"vi\": \"...\"}}")
    return ids, validate_metadata(body["metadata"])


def _form_upload_ids() -> list[str]:
    values = request.form.getlist("upload_ids")
    if len(values) == 1 and values[0].lstrip().startswith("["):
        try:
            values = json.loads(values[0])
        except ValueError:
            raise BadRequest("upload: `upload_ids` is not a JSON list of ids") from None
    if not isinstance(values, list) or not all(isinstance(i, str) for i in values):
        raise BadRequest("upload: `upload_ids` must be a list of upload ids")
    return values


def _from_uploads(upload_ids: list[str], metadata: dict):
    """An artefact from finished resumable uploads: their bytes become its originals (docs/uploads.md)."""
    db = get_db()
    settings = current_app.config["SETTINGS"]
    store = get_store()
    institution = g.institution
    claimed = uploads.claim(db, settings, institution.id, upload_ids)
    try:
        check_upload(db, institution.id, settings, sum(u.size for u in claimed))
        result = submit_incoming(db, store, institution, uploads.incoming(store, settings, claimed), metadata)
        db.commit()
    except BaseException:
        uploads.release(db, claimed)
        raise
    uploads.consumed(db, store, settings, claimed, result.artefact.id)
    return _accepted(db, result)


def _scratch() -> str:
    path = Path(current_app.config["SETTINGS"].data_dir) / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@bp.get("")
@require_key
def list_view():
    """This institution's artefacts, newest first, paginated."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"list: unknown status {status!r}; use one of {', '.join(STATUSES)}")
    page = _positive_int("page", 1)
    settings = current_app.config["SETTINGS"]
    per_page = min(_positive_int("per_page", settings.page_size), 100)
    db = get_db()
    rows, total = list_artefacts(db, g.institution.id, status=status, page=page, per_page=per_page)
    return jsonify(
        items=[artefact_json(db, a) for a in rows],
        page=page,
        per_page=per_page,
        total=total,
        pages=(total + per_page - 1) // per_page,
    )


def _positive_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"list: `{name}` must be a whole number from 1 to {MAX_PAGE}, got {raw!r}")
    return int(raw)


@bp.get("/<artefact_id>")
@require_key
def get_artefact(artefact_id: str):
    """One artefact with its derivatives and links."""
    db = get_db()
    return jsonify(artefact_json(db, get_artefact_scoped(artefact_id)))


def get_artefact_scoped(artefact_id: str):
    return find_artefact(get_db(), g.institution.id, artefact_id)


@bp.patch("/<artefact_id>")
@require_key
def patch_artefact(artefact_id: str):
    """Edit catalogue metadata (published pages are rebuilt now; files keep theirs until reprocessed)."""
    limit = 2 * MAX_METADATA_BYTES  # room for JSON escapes; the fields are checked one by one below
    if (request.content_length or 0) > limit:
        raise MetadataTooLarge(f"metadata: the request body is over {limit:,} bytes; send only the fields to change",
                               field="metadata", limit=limit)
    request.max_content_length = limit
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidMetadata("metadata: send a JSON object with the fields to change")
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        body = body["metadata"]
    md = validate_metadata(body, partial=True)
    db = get_db()
    artefact = get_artefact_scoped(artefact_id)
    set_metadata(artefact, md, partial=True)
    check_limits(metadata_of(artefact))  # the merged result too: many small PATCHes add up
    if not (artefact.title_vi or artefact.title_en):
        raise InvalidMetadata(Message("md_title_kept"))
    db.commit()
    viewer_publish.publish_artefact(artefact)
    return jsonify(artefact_json(db, artefact))


@bp.post("/<artefact_id>/reprocess")
@require_key
def reprocess(artefact_id: str):
    """Process the artefact's originals again as a new version (the current one stays visible until then)."""
    db = get_db()
    artefact = get_artefact_scoped(artefact_id)
    job = resubmit(db, artefact)
    db.commit()
    enqueue(job.id)
    return jsonify(artefact_json(db, artefact)), 202


@bp.delete("/<artefact_id>")
@require_key
def delete_artefact(artefact_id: str):
    """Withdraw an artefact: its links stop working and its public files are removed."""
    db = get_db()
    artefact = get_artefact_scoped(artefact_id)
    artefact.deleted_at = utcnow()
    artefact.content_hash = None  # the same files may be uploaded again later
    db.commit()
    viewer_publish.withdraw(artefact)  # share page, embed, oEmbed, QR images and short link
    store = get_store()
    for version in artefact.versions:
        store.delete_prefix(derivative_prefix(artefact.id, version.number))
    return "", 204
