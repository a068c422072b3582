"""
uploads.py
----------

`/api/v1/uploads`: resumable uploads of large scans (docs/uploads.md).
Create one per file, send its parts (local mode: PUT to the app, streamed to
disk; S3 mode: PUT to presigned URLs in the bucket), complete it, then name
it in `upload_ids` when creating the artefact. The work is in jobs/uploads.py.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request

from service.api import schemas as s
from service.api.auth import require_key
from service.db import get_db
from service.db.models import Upload
from service.jobs import uploads
from service.jobs.fair import check_upload
from service.storage import get_store

bp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")


def _settings():
    return current_app.config["SETTINGS"]


def upload_json(upload: Upload, parts: list[dict] | None = None) -> dict:
    body = {"id": upload.id, "filename": upload.filename, "size": upload.size, "mode": upload.mode,
            "part_size": upload.part_size, "parts_total": uploads.parts_total(upload),
            "parts": parts if parts is not None else [], "state": upload.state,
            "expires_at": upload.expires_at.isoformat() + "Z", "created_at": upload.created_at.isoformat() + "Z"}
    if upload.content_type:
        body["content_type"] = upload.content_type
    if upload.sha256:
        body["sha256"] = upload.sha256
    if upload.artefact_id:
        body["artefact_id"] = upload.artefact_id
    return body


@bp.post("")
@require_key
def create_upload():
    """Announce a file; the answer says how to cut it into parts and where to send them."""
    body = s.parse_json(s.UploadCreate)
    db = get_db()
    check_upload(db, g.institution.id, _settings(), body.size)
    upload = uploads.create(db, get_store(), _settings(), g.institution.id, filename=body.filename, size=body.size,
                            content_type=body.content_type)
    db.commit()
    return jsonify(upload_json(upload)), 201


@bp.get("/<upload_id>")
@require_key
def get_upload(upload_id: str):
    """An upload with the parts received so far (what a client needs to resume)."""
    db = get_db()
    upload = uploads.get(db, g.institution.id, upload_id)
    return jsonify(upload_json(upload, uploads.parts_of(db, get_store(), upload)))


@bp.put("/<upload_id>/parts/<int:number>")
@require_key
def put_part(upload_id: str, number: int):
    """Local mode: one part as the raw request body, streamed to disk; sending it again replaces it."""
    db = get_db()
    upload = uploads.get(db, g.institution.id, upload_id)
    part = uploads.receive_part(db, _settings(), upload, number, request.content_length, request.stream)
    return jsonify(part)


@bp.post("/<upload_id>/presign")
@require_key
def presign(upload_id: str):
    """S3 mode: presigned URLs to PUT parts straight to the bucket."""
    body = s.parse_json(s.PresignRequest)
    upload = uploads.get(get_db(), g.institution.id, upload_id)
    return jsonify(urls=uploads.presign(get_store(), _settings(), upload, body.numbers))


@bp.post("/<upload_id>/complete")
@require_key
def complete(upload_id: str):
    """Check that every part is there, join them and hash the file."""
    body = s.parse_json(s.UploadComplete) if request.content_length else s.UploadComplete()
    db = get_db()
    upload = uploads.get(db, g.institution.id, upload_id)
    parts = [p.model_dump() for p in body.parts] if body.parts is not None else None
    upload = uploads.complete(db, get_store(), _settings(), upload, parts)
    answer = {"id": upload.id, "state": upload.state, "size": upload.size, "sha256": upload.sha256}
    return jsonify(answer)


@bp.delete("/<upload_id>")
@require_key
def delete_upload(upload_id: str):
    """Abort an upload and free its space."""
    db = get_db()
    upload = uploads.get(db, g.institution.id, upload_id)
    uploads.abort(db, get_store(), _settings(), upload)
    return "", 204
