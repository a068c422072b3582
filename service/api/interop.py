"""
interop.py
----------

Public exports for aggregators and viewers, no API key (slugs are
unguessable; institution collections list only published artefacts):
`/iiif/<slug>/manifest.json`, `/iiif/institutions/<id>/collection.json`,
`/edm/<slug>.xml`, `/edm/institutions/<id>.xml`,
`/voyager/<slug>/scene.svx.json`. Public catalogue fields only
(`public_metadata`), CORS open, cached for a few minutes.
"""

from __future__ import annotations

import json
import math
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request

from service.annotations import annotation_json
from service.api.present import base_url
from service.api.viewer_kit import is_wall
from service.api.viewer_kit import links_of
from service.db import get_db
from service.db.models import Artefact
from service.db.models import Version
from service.db.public import institution as get_institution
from service.db.public import ready_artefacts
from service.db.queries import current_version
from service.db.queries import find_public
from service.db.queries import metadata_of
from service.db.queries import notes_of
from service.errors import BadRequest
from service.errors import NotFound
from service.interop import edm
from service.jobs.credentials import software_version
from service.interop import iiif
from service.interop import voyager
from service.interop.record import Published
from service.pipeline.metadata import public_metadata
from service.pipeline.paradata import processing
from service.storage import get_store

bp = Blueprint("interop", __name__)

CACHE = "public, max-age=300"
MAX_PER_PAGE = 100


def published(artefact: Artefact, version: Version, root: str, *, notes: bool = False) -> Published:
    """What the exports may say about a ready artefact (public fields only; curators' notes on request)."""
    store = get_store()
    links = links_of(artefact, root)
    links["oembed"] = f"{root}/oembed?url={quote(links['share'], safe='')}&format=json"
    links["collection"] = f"{root}/iiif/institutions/{artefact.institution_id}/collection.json"
    manifest = version.manifest or {}
    info = {d.name: {"bytes": d.bytes, "mime": d.mime, **(d.info or {})} for d in version.derivatives}
    return Published(
        slug=artefact.slug,
        metadata=public_metadata(metadata_of(artefact)),
        institution=artefact.institution.name,
        institution_id=artefact.institution_id,
        urls={d.name: store.url(d.key, base_url=root) for d in version.derivatives},
        info=info,
        links=links,
        processing=processing(manifest, f"heritage-ar {software_version()}"),
        dimensions_m=manifest.get("dimensions_m"),
        modified=version.ready_at.date().isoformat() if version.ready_at else None,
        notes=[annotation_json(n) for n in notes_of(get_db(), artefact.id)] if notes else [],
    )


def _one(slug: str, what: str) -> tuple[Artefact, Version]:
    artefact = find_public(get_db(), slug=slug)
    version = current_version(get_db(), artefact) if artefact is not None and artefact.deleted_at is None else None
    if version is None:
        raise NotFound(f"{what}: no published artefact {slug!r}")
    return artefact, version


def _answer(body: bytes | str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _json(doc: dict, mimetype: str = "application/json") -> Response:
    return _answer(json.dumps(doc, ensure_ascii=False, indent=1), mimetype)


def _page_args() -> tuple[int | None, int]:
    raw_page = request.args.get("page")
    raw_per = request.args.get("per_page")
    try:
        page = int(raw_page) if raw_page is not None else None
        per_page = int(raw_per) if raw_per is not None else current_app.config["SETTINGS"].page_size
    except ValueError:
        raise BadRequest("page and per_page must be whole numbers, e.g. ?page=2&per_page=50") from None
    if (page is not None and page < 1) or not 1 <= per_page <= MAX_PER_PAGE:
        raise BadRequest(f"page must be 1 or more and per_page between 1 and {MAX_PER_PAGE}")
    return page, per_page


IIIF_MIME = 'application/ld+json;profile="http://iiif.io/api/presentation/3/context.json"'


@bp.get("/iiif/<slug>/manifest.json")
def iiif_manifest(slug: str):
    """The artefact's IIIF Presentation 3.0 Manifest."""
    artefact, version = _one(slug, "iiif")
    return _json(iiif.manifest(published(artefact, version, base_url(), notes=True)), IIIF_MIME)


@bp.get("/iiif/institutions/<int:institution_id>/collection.json")
def iiif_collection(institution_id: int):
    """An institution's IIIF Collection (?page=N for one page of Manifests)."""
    page, per_page = _page_args()
    db = get_db()
    inst = get_institution(db, institution_id)
    if inst is None:
        raise NotFound(f"iiif: no institution {institution_id}")
    rows, total = ready_artefacts(db, institution_id, page=page or 1, per_page=per_page)
    pages = max(1, math.ceil(total / per_page))
    if page is not None and page > pages:
        raise NotFound(f"iiif: page {page} is past the last page ({pages})")
    root = base_url()
    url = f"{root}/iiif/institutions/{institution_id}/collection.json"
    records = [published(a, v, root) for a, v in rows] if page is not None else []
    return _json(iiif.collection(url, inst.name, records, page=page, pages=pages), IIIF_MIME)


@bp.get("/edm/<slug>.xml")
def edm_record(slug: str):
    """The artefact's Europeana EDM record (RDF/XML)."""
    artefact, version = _one(slug, "edm")
    return _answer(edm.rdf_xml([published(artefact, version, base_url())]), "application/rdf+xml")


@bp.get("/edm/institutions/<int:institution_id>.xml")
def edm_institution(institution_id: int):
    """EDM records of an institution's published artefacts (?page=N&per_page=M, newest first)."""
    page, per_page = _page_args()
    db = get_db()
    if get_institution(db, institution_id) is None:
        raise NotFound(f"edm: no institution {institution_id}")
    rows, total = ready_artefacts(db, institution_id, page=page or 1, per_page=per_page)
    root = base_url()
    response = _answer(edm.rdf_xml([published(a, v, root) for a, v in rows]), "application/rdf+xml")
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.get("/voyager/<slug>/scene.svx.json")
def voyager_scene(slug: str):
    """The artefact as a Smithsonian Voyager document."""
    artefact, version = _one(slug, "voyager")
    return _json(voyager.scene(published(artefact, version, base_url(), notes=True),
                               wall=is_wall(artefact, version)))
