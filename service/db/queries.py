"""
queries.py
----------

The database operations the API and the jobs use. Every artefact query
takes the caller's institution and filters on it, so one museum can never
see another's records.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.gallery import search_text_of
from service.db.gallery import unique_slug
from service.db.models import Annotation
from service.db.models import ApiKey
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Institution
from service.db.models import Job
from service.db.models import Version
from service.db.models import utcnow
from service.errors import ArtefactNotFound
from service.errors import BadRequest
from service.errors import NotFound
from service.errors import Unauthorized
from service.messages import Message
from service.storage.keys import derivative_key

KEY_PREFIX = "har_"
# each scope includes the ones before it
SCOPES = ("read", "write", "admin")
MAX_ID = 2**31 - 1  # integer primary keys are 32-bit in PostgreSQL

# the only types `/files/` ever serves (glTF binary, USDZ, JPEG, PNG, WebP, MP4, JSON): nothing a
# browser would run as a page or a script on our origin (no HTML, SVG, JS, PDF)
SERVABLE_MIME = (
    "model/gltf-binary",
    "model/vnd.usdz+zip",
    "image/jpeg",
    "image/png",
    "image/webp",
    "video/mp4",
    "application/json",
    "application/c2pa",  # Content Credentials sidecars of GLB/USDZ (binary, never rendered)
)
MANIFEST_NAME = "manifest.json"

# catalogue fields stored in their own columns; everything else goes to `extra`
_COLUMNS = ("creator", "culture", "date", "accession_number", "licence", "attribution", "category", "description")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def get_or_create_institution(db: Session, name: str) -> Institution:
    inst = db.scalar(select(Institution).where(Institution.name == name))
    if inst is None:
        inst = Institution(name=name, slug=unique_slug(db, name))
        db.add(inst)
        db.flush()
    return inst


def create_key(db: Session, institution_name: str, *, label: str | None = None, scope: str = "write") -> str:
    """Create an API key for an institution (created if new); return the raw key, shown once."""
    return issue_key(db, get_or_create_institution(db, institution_name), label=label, scope=scope)[1]


def issue_key(db: Session, inst: Institution, *, label: str | None, scope: str) -> tuple[ApiKey, str]:
    """(the new key's row, the raw key). The raw key is shown once; only its hash is stored."""
    if scope not in SCOPES:
        raise BadRequest(Message("key_scope", scope=scope, scopes=", ".join(SCOPES)))
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(institution_id=inst.id, prefix=raw[:12], key_hash=hash_key(raw), label=label, scope=scope)
    db.add(key)
    db.flush()
    return key, raw


def key_for_raw(db: Session, raw: str) -> ApiKey:
    """The live key row for a raw API key (last use recorded), or Unauthorized. Revoked keys fail at once."""
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None)))
    if key is None:
        raise Unauthorized("auth: the API key is not valid or was revoked; create one with `heritage-ar keys create`")
    key.last_used_at = utcnow()
    return key


def institution_for_key(db: Session, raw: str) -> Institution:
    """The institution a raw API key belongs to, or Unauthorized."""
    return key_for_raw(db, raw).institution


def list_keys(db: Session, institution_id: int) -> list[ApiKey]:
    return list(db.scalars(select(ApiKey).where(ApiKey.institution_id == institution_id).order_by(ApiKey.id)))


def revoke_key(db: Session, key_id: int, institution_id: int | None = None) -> ApiKey:
    """Revoke a key (idempotent); `institution_id` limits it to one institution's keys."""
    if not 0 < key_id <= MAX_ID:
        raise NotFound(f"key {key_id} not found")
    where = [ApiKey.id == key_id]
    if institution_id is not None:
        where.append(ApiKey.institution_id == institution_id)
    key = db.scalar(select(ApiKey).where(*where))
    if key is None:
        raise NotFound(f"key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def find_institution(db: Session, name: str) -> Institution:
    inst = db.scalar(select(Institution).where(Institution.name == name))
    if inst is None:
        raise NotFound(f"institution {name!r} not found")
    return inst


def set_metadata(artefact: Artefact, md: dict, *, partial: bool = False) -> None:
    """Copy catalogue metadata onto the artefact's columns (and `extra` for the rest)."""
    if "title" in md:
        title = md["title"] or {}
        if not partial or "vi" in title:
            artefact.title_vi = title.get("vi")
        if not partial or "en" in title:
            artefact.title_en = title.get("en")
    for key in _COLUMNS:
        if key in md or not partial:
            setattr(artefact, key, md.get(key))
    if "dimensions" in md or not partial:
        dims = md.get("dimensions") or {}
        artefact.width, artefact.height, artefact.depth = dims.get("width"), dims.get("height"), dims.get("depth")
        artefact.dimension_unit = dims.get("unit") if dims else None
    if "kind" in md:
        artefact.kind = md["kind"] or None
    if md.get("listed") is not None or not partial:
        artefact.listed = md.get("listed") is not False
    artefact.search_text = search_text_of(artefact)
    known = {"title", "dimensions", "kind", "institution", "listed", *_COLUMNS}
    extra = dict(artefact.extra or {}) if partial else {}
    extra.update({k: v for k, v in md.items() if k not in known})
    artefact.extra = {k: v for k, v in extra.items() if v is not None}


def metadata_of(artefact: Artefact) -> dict:
    """The artefact's catalogue metadata as the API and the pipeline see it."""
    md: dict = {"title": {k: v for k, v in (("vi", artefact.title_vi), ("en", artefact.title_en)) if v}}
    for key in _COLUMNS:
        value = getattr(artefact, key)
        if value is not None:
            md[key] = value
    if artefact.dimension_unit:
        dims = {"unit": artefact.dimension_unit}
        for key in ("width", "height", "depth"):
            if getattr(artefact, key) is not None:
                dims[key] = getattr(artefact, key)
        md["dimensions"] = dims
    if artefact.kind:
        md["kind"] = artefact.kind
    md.update(artefact.extra or {})
    md["listed"] = artefact.listed is not False  # private: keeps the artefact out of the public gallery
    md["institution"] = artefact.institution.name
    return md


def get_artefact(db: Session, institution_id: int, artefact_id: str) -> Artefact:
    """One live artefact of this institution, or ArtefactNotFound."""
    art = db.scalar(
        select(Artefact).where(
            Artefact.id == artefact_id,
            Artefact.institution_id == institution_id,
            Artefact.deleted_at.is_(None),
        )
    )
    if art is None:
        raise ArtefactNotFound(f"artefact {artefact_id!r} not found")
    return art


def find_by_content(db: Session, institution_id: int, content_hash: str) -> Artefact | None:
    return db.scalar(
        select(Artefact).where(
            Artefact.institution_id == institution_id,
            Artefact.content_hash == content_hash,
            Artefact.deleted_at.is_(None),
        )
    )


def list_artefacts(db: Session, institution_id: int, *, status: str | None, page: int, per_page: int):
    """(artefacts on this page, total count) for an institution, newest first."""
    where = [Artefact.institution_id == institution_id, Artefact.deleted_at.is_(None)]
    if status:
        where.append(Artefact.status == status)
    total = db.scalar(select(func.count()).select_from(Artefact).where(*where))
    rows = db.scalars(
        select(Artefact).where(*where).order_by(Artefact.created_at.desc(), Artefact.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return rows, total


def get_job(db: Session, institution_id: int, job_id: str) -> Job:
    job = db.scalar(select(Job).where(Job.id == job_id, Job.institution_id == institution_id))
    if job is None:
        raise NotFound(f"job {job_id!r} not found")
    return job


def latest_job(db: Session, artefact_id: str) -> Job | None:
    return db.scalar(select(Job).where(Job.artefact_id == artefact_id).order_by(Job.created_at.desc()).limit(1))


def current_version(db: Session, artefact: Artefact) -> Version | None:
    """The newest ready version (what viewers see)."""
    return db.scalar(
        select(Version).where(Version.artefact_id == artefact.id, Version.status == "ready")
        .order_by(Version.number.desc()).limit(1)
    )


def latest_version(db: Session, artefact: Artefact) -> Version | None:
    return db.scalar(select(Version).where(Version.artefact_id == artefact.id).order_by(Version.number.desc()).limit(1))


def find_public(db: Session, *, slug: str | None = None, short_code: str | None = None) -> Artefact | None:
    """The artefact behind a public link (any institution, deleted ones included), or None.

    Public pages need no API key: the slug is unguessable. The caller decides
    what to show for each status (deleted, processing, failed, ready).
    """
    if slug is not None:
        where = Artefact.slug == slug
    elif short_code is not None:
        where = Artefact.short_code == short_code
    else:
        raise ValueError("find_public: give a slug or a short_code")
    return db.scalar(select(Artefact).where(where))


def notes_of(db: Session, artefact_id: str) -> list[Annotation]:
    """An artefact's curators' notes in reading order (their order, then when they were made)."""
    return list(db.scalars(select(Annotation).where(Annotation.artefact_id == artefact_id)
                           .order_by(Annotation.order_index, Annotation.created_at, Annotation.id)))
def published_file(db: Session, key: str) -> tuple[str, str] | None:
    """(storage key, MIME) of a public file, or None: the one rule for what `/files/` may serve.

    A file is public only when the database lists it as a derivative (or the
    manifest) of a *ready* version of a *live* artefact, and its type is in
    SERVABLE_MIME. The key is compared for equality with stored keys, never
    resolved as a path, so `..`, encoded slashes or backslashes match nothing.
    Originals are never derivatives, so no URL reaches them.
    """
    live = (Version.status == "ready", Artefact.deleted_at.is_(None))
    row = db.execute(
        select(Derivative.key, Derivative.mime)
        .join(Version, Derivative.version_id == Version.id)
        .join(Artefact, Version.artefact_id == Artefact.id)
        .where(Derivative.key == key, *live)
        .limit(1)
    ).first()
    if row is not None:
        return (row.key, row.mime) if row.mime in SERVABLE_MIME else None
    # the manifest is written beside the derivatives without a row of its own
    parts = key.split("/")
    if len(parts) != 4 or parts[3] != MANIFEST_NAME:
        return None
    versions = db.execute(
        select(Version.artefact_id, Version.number).join(Artefact, Version.artefact_id == Artefact.id)
        .where(Artefact.id == parts[1], *live)
    ).all()
    if any(derivative_key(artefact_id, number, MANIFEST_NAME) == key for artefact_id, number in versions):
        return key, "application/json"
    return None
