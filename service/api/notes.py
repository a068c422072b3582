"""
notes.py
--------

`/api/v1/artefacts/<id>/annotations`: curators' notes on the model, scoped
to the caller's institution. The rules a note follows live in
`service.annotations`.
"""

from __future__ import annotations

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request
from sqlalchemy import func
from sqlalchemy import select

from service.annotations import MAX_PER_ARTEFACT
from service.annotations import annotation_json
from service.annotations import validate_annotation
from service.api.auth import require_key
from service.db import get_db
from service.db.models import Annotation
from service.db.queries import get_artefact
from service.db.queries import notes_of
from service.errors import Conflict
from service.errors import InvalidAnnotation
from service.errors import NotFound

bp = Blueprint("annotations", __name__, url_prefix="/api/v1/artefacts/<artefact_id>/annotations")


@bp.after_request
def _republish(response):
    """A changed note changes the published share page and embed (api/viewer_publish.py): rebuild them now."""
    if request.method != "GET" and response.status_code < 300:
        from service.api import viewer_publish

        viewer_publish.publish_artefact(_artefact(request.view_args["artefact_id"]))
    return response


def _artefact(artefact_id: str):
    return get_artefact(get_db(), g.institution.id, artefact_id)


def _note(artefact_id: str, note_id: str) -> tuple:
    artefact = _artefact(artefact_id)
    note = get_db().scalar(select(Annotation).where(Annotation.id == note_id,
                                                     Annotation.artefact_id == artefact.id))
    if note is None:
        raise NotFound(f"annotation {note_id!r} not found on artefact {artefact_id!r}")
    return artefact, note


def _body() -> object:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidAnnotation("annotation: send a JSON body (Content-Type: application/json)")
    return body


@bp.get("")
@require_key
def list_annotations(artefact_id: str):
    """The artefact's notes in reading order."""
    artefact = _artefact(artefact_id)
    return jsonify(items=[annotation_json(n) for n in notes_of(get_db(), artefact.id)])


@bp.post("")
@require_key
def create_annotation(artefact_id: str):
    """Pin a new note on the model."""
    fields = validate_annotation(_body())
    db = get_db()
    artefact = _artefact(artefact_id)
    count = db.scalar(select(func.count()).select_from(Annotation).where(Annotation.artefact_id == artefact.id))
    if count >= MAX_PER_ARTEFACT:
        raise Conflict(f"annotations: an artefact holds at most {MAX_PER_ARTEFACT} notes; delete one first")
    if "order_index" not in fields:
        last = db.scalar(select(func.max(Annotation.order_index)).where(Annotation.artefact_id == artefact.id))
        fields["order_index"] = 0 if last is None else last + 1
    note = Annotation(artefact_id=artefact.id, version=artefact.current_version or 0, **fields)
    db.add(note)
    db.commit()
    return jsonify(annotation_json(note)), 201


@bp.get("/<note_id>")
@require_key
def get_annotation(artefact_id: str, note_id: str):
    """One note."""
    return jsonify(annotation_json(_note(artefact_id, note_id)[1]))


@bp.patch("/<note_id>")
@require_key
def patch_annotation(artefact_id: str, note_id: str):
    """Change a note's text, point, image, view or order."""
    fields = validate_annotation(_body(), partial=True)
    artefact, note = _note(artefact_id, note_id)
    for key, value in fields.items():
        setattr(note, key, value)
    if "position" in fields:
        note.version = artefact.current_version or 0
    if not (note.title_vi or note.title_en):
        raise InvalidAnnotation("annotation.title: a note needs a title in vi or en")
    get_db().commit()
    return jsonify(annotation_json(note))


@bp.delete("/<note_id>")
@require_key
def delete_annotation(artefact_id: str, note_id: str):
    """Remove a note."""
    db = get_db()
    db.delete(_note(artefact_id, note_id)[1])
    db.commit()
    return "", 204


@bp.put("/order")
@require_key
def reorder(artefact_id: str):
    """Set the reading order: `{"order": [id, id, ...]}` naming every note once."""
    body = _body()
    artefact = _artefact(artefact_id)
    notes = {n.id: n for n in notes_of(get_db(), artefact.id)}
    ids = body.get("order") if isinstance(body, dict) else None
    if not isinstance(ids, list) or sorted(map(str, ids)) != sorted(notes):
        raise InvalidAnnotation("annotations.order: a list naming every note's id exactly once")
    for i, note_id in enumerate(ids):
        notes[note_id].order_index = i
    get_db().commit()
    return jsonify(items=[annotation_json(n) for n in notes_of(get_db(), artefact.id)])
