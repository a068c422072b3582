"""
submit.py
---------

Turn uploaded files plus metadata into an artefact, a version and a queued
job. Used by the upload API, the seed command and batch scripts, so every
door into the service stores originals the same way.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

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


def submit(db: Session, store: Store, institution: Institution, files: list[tuple[str, Path]], metadata: dict) -> Submitted:
    """Store originals and queue processing; an identical earlier upload is returned instead.

    The originals are copied to storage before the database write transaction
    starts (SQLite has one writer: a slow copy must not hold every other
    institution's API calls). Two identical uploads at the same moment both
    copy, one wins the unique constraint on (institution, content hash) and
    the other gets the winner as a duplicate and removes its own copies.

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
    digests = [(safe_name(name), sha256_of(path)) for name, path in files]
    chash = content_hash(digests)
    with db.no_autoflush:
        existing = find_by_content(db, institution.id, chash)
    if existing is not None:
        return Submitted(existing, None, False)
    artefact_id = new_id()
    originals = []
    for (name, path), (clean, digest) in zip(files, digests):
        key = original_key(artefact_id, digest, clean)
        # never served (`/files/` serves derivatives only); a neutral type in case a bucket is misconfigured
        store.put_file(key, path, content_type="application/octet-stream")
        originals.append({"key": key, "name": clean, "bytes": Path(path).stat().st_size, "sha256": digest})
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
