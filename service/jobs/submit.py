"""
submit.py
---------

Turn uploaded files plus metadata into an artefact, a version and a queued
job. Used by the upload API, the seed command and batch scripts, so every
door into the service stores originals the same way.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import Artefact
from service.db.models import Institution
from service.db.models import Job
from service.db.models import Version
from service.db.models import new_id
from service.db.queries import find_by_content
from service.db.queries import set_metadata
from service.errors import Conflict
from service.errors import MissingFile
from service.jobs import create_job
from service.pipeline.manifest import sha256_of
from service.storage import Store
from service.storage import original_key
from service.storage.keys import safe_name

log = logging.getLogger(__name__)


@dataclass
class Submitted:
    artefact: Artefact
    job: Job | None
    created: bool


def content_hash(items: list[tuple[str, str]]) -> str:
    """One hash for an upload: its files' names and sha256s, order-independent."""
    h = hashlib.sha256()
    for name, digest in sorted(items):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


@dataclass
class Incoming:
    """One file on its way to originals/: its name, size, sha256 and how to put it under an object key."""

    name: str
    bytes: int
    sha256: str
    place: Callable[[str], None]


def submit(db: Session, store: Store, institution: Institution, files: list[tuple[str, Path]], metadata: dict) -> Submitted:
    """Store originals and queue processing; an identical earlier upload is returned instead.

    Parameters
    ----------
    files : list of (name, local path)
      Uploaded files as the client named them.
    metadata : dict
      Checked catalogue metadata.
    """
    files = [(name, path) for name, path in files if Path(path).stat().st_size > 0]
    if not files:
        raise MissingFile("upload: no file received (or only empty files); attach the scan as a `file` part")
    items = []
    for name, path in files:
        put = functools.partial(_put, store, path)
        items.append(Incoming(name, Path(path).stat().st_size, sha256_of(path), put))
    return submit_incoming(db, store, institution, items, metadata)


def _put(store: Store, path: Path, key: str) -> None:
    # never served (`/files/` serves derivatives only); a neutral type in case a bucket is misconfigured
    store.put_file(key, path, content_type="application/octet-stream")


def submit_incoming(db: Session, store: Store, institution: Institution, items: list[Incoming],
                    metadata: dict) -> Submitted:
    """Like `submit`, for files already hashed (finished resumable uploads, docs/uploads.md).

    The originals are copied to storage before the database write transaction
    starts (SQLite has one writer: a slow copy must not hold every other
    institution's API calls). Two identical uploads at the same moment both
    copy, one wins the unique constraint on (institution, content hash) and
    the other gets the winner as a duplicate and removes its own copies.
    """
    digests = [(safe_name(item.name), item.sha256) for item in items]
    chash = content_hash(digests)
    with db.no_autoflush:
        existing = find_by_content(db, institution.id, chash)
    if existing is not None:
        return Submitted(existing, None, False)
    artefact_id = new_id()
    originals = []
    for item, (clean, digest) in zip(items, digests):
        key = original_key(artefact_id, digest, clean)
        item.place(key)
        originals.append({"key": key, "name": clean, "bytes": item.bytes, "sha256": digest})
    institution_id = institution.id
    try:
        artefact = Artefact(id=artefact_id, institution_id=institution_id, content_hash=chash, status="queued", extra={})
        set_metadata(artefact, metadata)
        db.add(artefact)
        db.flush()
        version = Version(artefact_id=artefact.id, number=1, status="queued", originals=originals)
        db.add(version)
        db.flush()
        job = create_job(db, artefact, version)
    except IntegrityError:
        db.rollback()
        for item in originals:
            store.delete(item["key"])
        existing = find_by_content(db, institution_id, chash)
        if existing is None:
            raise
        log.info("submit: a concurrent identical upload won; returning artefact %s", existing.id)
        return Submitted(existing, None, False)
    return Submitted(artefact, job, True)


def resubmit(db: Session, artefact: Artefact) -> Job:
    """Queue a new version of an artefact from its latest originals (after edits, or a pipeline upgrade)."""
    latest = max(artefact.versions, key=lambda v: v.number, default=None)
    if latest is None:
        raise MissingFile(f"reprocess: artefact {artefact.id!r} has no stored originals")
    if any(v.status in ("queued", "processing") for v in artefact.versions):
        raise Conflict("reprocess: a version of this artefact is already being processed; wait for it to finish")
    version = Version(artefact_id=artefact.id, number=latest.number + 1, status="queued",
                      originals=list(latest.originals))
    db.add(version)
    db.flush()
    return create_job(db, artefact, version)
