"""
uploads.py
----------

Resumable uploads (docs/uploads.md): a file is announced (`create`), its
parts arrive in any order and may be sent again (`receive_part` in local
mode; `presign` in S3 mode, where the browser PUTs straight to the bucket),
a returning client asks which parts are there (`parts_of`), `complete`
checks the sizes and hashes the whole file, and an artefact `claim`s
finished uploads and turns them into originals like multipart files
(jobs/submit.py). Unfinished or unused uploads expire (`expire_stale`,
run on every create) and their space is freed.

States: open -> complete -> consuming -> consumed; open|complete -> expired.
DELETE removes an upload that no artefact used.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from typing import BinaryIO

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Upload
from service.db.models import UploadPart
from service.db.models import utcnow
from service.errors import BadRequest
from service.errors import Conflict
from service.errors import PartRejected
from service.errors import UploadNotFound
from service.errors import UploadTooLarge
from service.jobs.submit import Incoming
from service.storage import Store
from service.storage.parts import LocalParts

log = logging.getLogger(__name__)

MB = 1024 * 1024
MAX_PARTS = 10_000  # S3's limit; local mode keeps it too, so both modes cut a file the same way
MAX_FILENAME = 255
LIVE = ("open", "complete")
EXPIRE_BATCH = 20  # stale uploads freed per create: bounded work in a request


def _s3(store: Store):
    from service.storage.s3_parts import S3Parts

    return S3Parts(store)


def local_parts(settings: Settings) -> LocalParts:
    return LocalParts(f"{settings.data_dir}/uploads")


def mode_of(store: Store) -> str:
    return "s3" if store.name == "s3" else "local"


def clean_filename(raw: str) -> str:
    """The basename of a client's file name, or BadRequest when nothing usable is left."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadRequest("upload: `filename` contains control characters; send the file's plain name")
    if not name.strip(".") or len(name) > MAX_FILENAME:
        raise BadRequest(f"upload: `filename` {raw[:80]!r} is not a usable file name (1 to {MAX_FILENAME} "
                         "characters, not only dots)")
    return name


def part_size_for(size: int, settings: Settings) -> int:
    """The configured part size, or larger (whole MB) when the file would need more than MAX_PARTS parts."""
    need = math.ceil(size / MAX_PARTS)
    return max(settings.upload_part_mb * MB, math.ceil(need / MB) * MB)


def parts_total(upload: Upload) -> int:
    return math.ceil(upload.size / upload.part_size)


def expected_size(upload: Upload, number: int) -> int:
    """Bytes of part `number` (1-based): part_size, except the last, which holds the rest."""
    if number < parts_total(upload):
        return upload.part_size
    return upload.size - upload.part_size * (parts_total(upload) - 1)


def create(db: Session, store: Store, settings: Settings, institution_id: int, *, filename: str, size: int,
           content_type: str | None) -> Upload:
    """Announce a file of `size` bytes; local mode makes its file, S3 mode starts a multipart upload."""
    expire_stale(db, store, settings)
    name = clean_filename(filename)
    limit = settings.max_upload_mb * MB
    if size > limit:
        raise UploadTooLarge(f"upload: {name!r} is {size:,} bytes, over the limit of {settings.max_upload_mb} MB; "
                             "split the scan or ask the operator to raise HERITAGE_AR_MAX_UPLOAD_MB",
                             limit=limit, size=size)
    now = utcnow()
    upload = Upload(institution_id=institution_id, filename=name, size=size, content_type=content_type,
                    mode=mode_of(store), part_size=part_size_for(size, settings), state="open", created_at=now,
                    expires_at=now + dt.timedelta(hours=settings.upload_expire_hours))
    db.add(upload)
    db.flush()  # the id
    if upload.mode == "s3":
        from service.storage.s3_parts import upload_key

        upload.key = upload_key(upload.id, name)
        upload.s3_upload_id = _s3(store).create(upload.key, content_type)
    else:
        parts = local_parts(settings)
        if parts.free_bytes() < size:
            raise UploadTooLarge(f"upload: the server has no room for {size:,} bytes now; try again later or ask "
                                 "the operator", size=size)
        parts.create(upload.id, size)
    log.info("uploads: %s opened, %s, %d bytes in parts of %d (%s)", upload.id, name, size, upload.part_size,
             upload.mode)
    return upload


def get(db: Session, institution_id: int, upload_id: str) -> Upload:
    """The institution's upload, or UploadNotFound (another institution's id is not found either)."""
    upload = db.scalar(select(Upload).where(Upload.id == upload_id, Upload.institution_id == institution_id))
    if upload is None:
        raise UploadNotFound(f"upload {upload_id!r}: not found in this institution", upload_id=upload_id)
    return upload


def parts_of(db: Session, store: Store, upload: Upload) -> list[dict]:
    """The parts received so far, [{number, size, etag}] by number: what a client needs to resume."""
    if upload.mode == "s3" and upload.state == "open":
        return _s3_list(store, upload)
    rows = db.scalars(select(UploadPart).where(UploadPart.upload_id == upload.id).order_by(UploadPart.number))
    return [{"number": p.number, "size": p.size, "etag": p.etag} for p in rows]


def _s3_list(store: Store, upload: Upload) -> list[dict]:
    try:
        return _s3(store).list(upload.key, upload.s3_upload_id)
    except KeyError:
        raise Conflict(f"upload {upload.id}: its parts are gone from the bucket (a lifecycle rule, or an "
                       "operator); start the upload again") from None


def _check_part(upload: Upload, number: int, mode: str) -> None:
    if upload.state != "open":
        raise Conflict(f"upload {upload.id}: it is {upload.state}; parts go to open uploads only", state=upload.state)
    if upload.mode != mode:
        how = "POST .../presign for URLs in the bucket" if upload.mode == "s3" else "PUT .../parts/<n> to the app"
        raise Conflict(f"upload {upload.id}: this upload is in {upload.mode} mode; send its parts with {how}")
    total = parts_total(upload)
    if not 1 <= number <= total:
        raise PartRejected(f"upload {upload.id}: part {number} does not exist; parts are numbered 1 to {total}",
                           parts_total=total)


def receive_part(db: Session, settings: Settings, upload: Upload, number: int, length: int | None,
                 stream: BinaryIO) -> dict:
    """Write part `number` from `stream` (local mode); sending a part again replaces it."""
    from service.storage.parts import PartTooShort

    _check_part(upload, number, "local")
    want = expected_size(upload, number)
    if length != want:
        raise PartRejected(f"upload {upload.id}: part {number} must be exactly {want:,} bytes, got "
                           f"{'no Content-Length' if length is None else f'{length:,}'}", expected=want)
    # forget the part first: if this body is cut off, the part reads as missing, never as half-written
    db.execute(delete(UploadPart).where(UploadPart.upload_id == upload.id, UploadPart.number == number))
    db.commit()
    try:
        etag = local_parts(settings).write(upload.id, (number - 1) * upload.part_size, want, stream)
    except PartTooShort as e:
        raise PartRejected(f"upload {upload.id}: part {number}: {e}; send it again") from None
    except FileNotFoundError:  # aborted or expired while this part was on its way
        raise Conflict(f"upload {upload.id}: it was aborted or expired while part {number} arrived") from None
    db.execute(delete(UploadPart).where(UploadPart.upload_id == upload.id, UploadPart.number == number))
    db.add(UploadPart(upload_id=upload.id, number=number, size=want, etag=etag))
    try:
        db.commit()
    except IntegrityError:  # the same part sent twice at once: the other copy (same bytes) is recorded
        db.rollback()
    return {"number": number, "size": want, "etag": etag}


def presign(store: Store, settings: Settings, upload: Upload, numbers: list[int]) -> dict[str, str]:
    """Presigned PUT URLs for parts `numbers` (S3 mode): the browser sends the bytes straight to the bucket."""
    s3 = _s3(store)
    for number in numbers:
        _check_part(upload, number, "s3")
    expires = max(60, settings.s3_presign_seconds)
    return {str(n): s3.presign(upload.key, upload.s3_upload_id, n, expires=expires) for n in numbers}


def _check_sizes(upload: Upload, parts: list[dict]) -> None:
    have = {p["number"]: p["size"] for p in parts}
    total = parts_total(upload)
    missing = [n for n in range(1, total + 1) if n not in have]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise Conflict(f"upload {upload.id}: {len(missing)} of {total} parts are missing ({shown}); send them, "
                       "then complete", missing=missing[:100])
    wrong = [n for n in range(1, total + 1) if have[n] != expected_size(upload, n)]
    extra = [n for n in have if n > total]
    if wrong or extra:
        raise PartRejected(f"upload {upload.id}: parts {sorted(wrong + extra)[:10]} have the wrong size; send them "
                           f"again ({upload.part_size:,} bytes each, the last one the rest)")


def complete(db: Session, store: Store, settings: Settings, upload: Upload, client_parts: list[dict] | None) -> Upload:
    """Check that every part is there with its size, join them (S3) and hash the file; idempotent."""
    if upload.state == "complete":
        return upload
    if upload.state != "open":
        raise Conflict(f"upload {upload.id}: it is {upload.state} and cannot be completed", state=upload.state)
    if upload.mode == "s3":
        s3 = _s3(store)
        parts = _s3_list(store, upload)
        _check_sizes(upload, parts)
        listed = {p["number"]: p["etag"] for p in parts}
        stale = [p["number"] for p in client_parts or [] if listed.get(p["number"]) != str(p["etag"]).strip('"')]
        if stale:
            raise Conflict(f"upload {upload.id}: the bucket holds other bytes for parts {stale[:10]} than the ETags "
                           "sent; ask GET for the parts and send those again")
        s3.complete(upload.key, upload.s3_upload_id, parts)
        if s3.size(upload.key) != upload.size:
            raise Conflict(f"upload {upload.id}: the joined object is not {upload.size:,} bytes")
        upload.sha256 = s3.sha256(upload.key)
        db.add_all(UploadPart(upload_id=upload.id, **p) for p in parts)
    else:
        parts = parts_of(db, store, upload)
        _check_sizes(upload, parts)
        local = local_parts(settings)
        if local.size(upload.id) != upload.size:
            raise Conflict(f"upload {upload.id}: the file on the server is not {upload.size:,} bytes")
        upload.sha256 = local.sha256(upload.id)
    upload.state = "complete"
    upload.completed_at = utcnow()
    # a finished upload waits for its artefact as long again
    upload.expires_at = upload.completed_at + dt.timedelta(hours=settings.upload_expire_hours)
    db.commit()
    log.info("uploads: %s complete, %d bytes, sha256 %s", upload.id, upload.size, upload.sha256)
    return upload


def free(store: Store, settings: Settings, upload: Upload) -> None:
    """Remove an upload's bytes (local file, or S3 parts and object)."""
    if upload.mode == "s3":
        _s3(store).abort(upload.key, upload.s3_upload_id)
    else:
        local_parts(settings).delete(upload.id)


def abort(db: Session, store: Store, settings: Settings, upload: Upload) -> None:
    """DELETE: stop an upload, free its space and forget it; a consumed upload belongs to its artefact now."""
    if upload.state in ("consuming", "consumed"):
        raise Conflict(f"upload {upload.id}: it was used for artefact {upload.artefact_id}; delete the artefact "
                       "instead", artefact_id=upload.artefact_id)
    if upload.state in LIVE:
        free(store, settings, upload)
    # gone, not kept as "aborted": a client asking for it again starts a new upload
    db.execute(delete(UploadPart).where(UploadPart.upload_id == upload.id))
    db.delete(upload)
    db.commit()


def expire_stale(db: Session, store: Store, settings: Settings, *, now: dt.datetime | None = None) -> int:
    """Free up to EXPIRE_BATCH open, unused or stuck uploads past their expiry; return how many."""
    now = now or utcnow()
    # "consuming" too: a request killed while making its artefact; its bytes are moved or still here, never shared
    stale = db.scalars(select(Upload).where(Upload.state.in_((*LIVE, "consuming")), Upload.expires_at < now)
                       .order_by(Upload.expires_at).limit(EXPIRE_BATCH)).all()
    for upload in stale:
        try:
            free(store, settings, upload)
        except Exception:  # noqa: BLE001 - storage hiccup: try again at the next create
            log.warning("uploads: could not free expired upload %s", upload.id, exc_info=True)
            continue
        upload.state = "expired"
        db.execute(delete(UploadPart).where(UploadPart.upload_id == upload.id))
    if stale:
        db.commit()
        log.info("uploads: %d stale uploads expired", len(stale))
    return len(stale)


def claim(db: Session, settings: Settings, institution_id: int, upload_ids: list[str]) -> list[Upload]:
    """Take finished uploads for a new artefact, atomically (two requests cannot both use one)."""
    if not upload_ids or len(set(upload_ids)) != len(upload_ids):
        raise BadRequest("upload: `upload_ids` must list one or more different upload ids")
    uploads = [get(db, institution_id, i) for i in upload_ids]
    for u in uploads:
        if u.state in ("consuming", "consumed"):
            raise Conflict(f"upload {u.id}: it was already used for artefact {u.artefact_id}; upload the file again "
                           "for another artefact", upload_id=u.id, artefact_id=u.artefact_id)
        if u.state != "complete":
            raise Conflict(f"upload {u.id}: it is {u.state}, not complete; finish it (POST .../complete) first",
                           upload_id=u.id, state=u.state)
    total = sum(u.size for u in uploads)
    if total > settings.max_upload_mb * MB:
        raise UploadTooLarge(f"upload: these files are {total:,} bytes together, over the limit of "
                             f"{settings.max_upload_mb} MB per artefact", limit=settings.max_upload_mb * MB)
    taken = db.execute(update(Upload).where(Upload.id.in_(upload_ids), Upload.state == "complete")
                       .values(state="consuming")).rowcount
    if taken != len(upload_ids):
        db.rollback()
        raise Conflict("upload: another request is using these uploads right now")
    db.commit()
    for u in uploads:
        db.refresh(u)
    return uploads


def release(db: Session, uploads: list[Upload]) -> None:
    """Give claimed uploads back (the artefact could not be made from them)."""
    db.rollback()
    for u in uploads:
        if u.state == "consuming":
            u.state = "complete"
    db.commit()


def consumed(db: Session, store: Store, settings: Settings, uploads: list[Upload], artefact_id: str) -> None:
    """Mark claimed uploads as used by `artefact_id`; bytes not moved (a duplicate artefact) are freed."""
    for u in uploads:
        u.state = "consumed"
        u.artefact_id = artefact_id
    db.commit()
    for u in uploads:
        try:
            free(store, settings, u)  # a no-op when the bytes became originals
        except Exception:  # noqa: BLE001 - leftover bytes; the artefact is fine
            log.warning("uploads: could not free consumed upload %s", u.id, exc_info=True)


def incoming(store: Store, settings: Settings, uploads: list[Upload]) -> list[Incoming]:
    """The claimed uploads as files for jobs.submit: placing one moves its bytes to originals/."""
    return [Incoming(u.filename, u.size, u.sha256 or "", functools.partial(_place, store, settings, u))
            for u in uploads]


def _place(store: Store, settings: Settings, upload: Upload, key: str) -> None:
    if upload.mode == "s3":
        store.move(upload.key, key)
    else:
        store.adopt_file(key, local_parts(settings).path(upload.id), content_type="application/octet-stream")
