"""
execute.py
----------

One job, start to finish: claim it, fetch the originals from storage, run
the pipeline in a child process, upload every output (manifest last), then
make the version visible in one transaction. Running the same job twice
gives the same result: keys are per version and rows are replaced.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from service.annotations import annotation_json
from service.config import Settings
from service.db import session_scope
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Job
from service.db.models import Version
from service.db.models import utcnow
from service.db.queries import metadata_of
from service.db.queries import notes_of
from service.errors import HeritageError
from service.jobs.annotate import apply_moves
from service.jobs.annotate import reproject_notes
from service.jobs.credentials import sign_version
from service.jobs.sandbox import run_child
from service.jobs.webhooks import record as record_webhook
from service.pipeline.flows import options_from_settings
from service.pipeline.manifest import MANIFEST
from service.pipeline.manifest import mime_of
from service.pipeline.manifest import read_manifest
from service.publish import unpublish
from service.storage import Store
from service.storage import derivative_key
from service.storage import derivative_prefix

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0


@dataclass
class JobContext:
    """What a worker needs to run jobs, whatever queue delivered them."""

    settings: Settings
    store: Store
    sessions: sessionmaker
    worker: str


def claim(ctx: JobContext, job_id: str) -> bool:
    """Atomically move a queued job to running for this worker; False if someone else has it.

    A job that has used up HERITAGE_AR_JOB_MAX_ATTEMPTS is never claimed
    again: it fails with a reason instead (a file that kills its worker
    would otherwise be retried forever).
    """
    now = utcnow()
    limit = ctx.settings.job_max_attempts
    with session_scope(ctx.sessions) as db:
        res = db.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued", Job.attempts < limit)
            .values(state="running", worker=ctx.worker, heartbeat_at=now, started_at=now,
                    attempts=Job.attempts + 1, stage="starting")
        )
        if res.rowcount == 1:
            return True
        exhausted = db.scalar(
            select(Job.id).where(Job.id == job_id, Job.state == "queued", Job.attempts >= limit)
        )
    if exhausted:
        give_up(ctx, job_id)
    return False


def give_up(ctx: JobContext, job_id: str) -> None:
    """Fail a job that has used all its attempts (POST /api/v1/jobs/<id>/retry starts it over)."""
    limit = ctx.settings.job_max_attempts
    _fail(ctx, job_id, "attempts_exhausted",
          f"job: processing stopped the worker {limit} times and was given up; the file may be damaged or "
          "too complex; upload a repaired file, or retry the job once the operator has looked at the logs")


def run_job(ctx: JobContext, job_id: str) -> str:
    """Claim and run one job; return its final state ("done", "failed", "queued" or "skipped")."""
    if not claim(ctx, job_id):
        return "skipped"
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        version = db.get(Version, job.version_id)
        artefact = db.get(Artefact, job.artefact_id)
        if artefact is None or artefact.deleted_at is not None:
            job.state, job.finished_at, job.stage = "failed", utcnow(), "cancelled"
            job.error_code, job.error_message = "artefact_deleted", "the artefact was deleted before processing"
            return "failed"
        spec_meta = metadata_of(artefact)
        notes = _notes_for_video(ctx.settings, db, artefact)
        originals = list(version.originals)
        artefact_id, number, slug = artefact.id, version.number, artefact.slug
        version.status = "processing"
        artefact.status = "processing"
    beat = _Heartbeat(ctx, job_id)
    beat.start()
    work = Path(tempfile.mkdtemp(prefix="heritage-ar-job-", dir=_scratch(ctx)))
    try:
        inputs = _download(ctx, originals, work / "in")
        beat.report(5, "process")
        out_dir = work / "out"
        spec = {
            "inputs": [str(p) for p in inputs],
            "out_dir": str(out_dir),
            "metadata": spec_meta,
            "options": {**_options(ctx.settings, artefact_id, slug), **notes},
        }
        run_child(
            spec,
            work,
            timeout=ctx.settings.job_timeout_seconds,
            memory_mb=ctx.settings.job_memory_mb,
            progress=lambda pct, stage: beat.report(5 + int(pct * 0.85), stage),
            confine=ctx.settings.job_landlock,
        )
        beat.report(91, "upload")
        manifest = sign_version(ctx.settings, out_dir, read_manifest(out_dir), spec_meta, slug)
        with session_scope(ctx.sessions) as db:
            moved = reproject_notes(db, artefact_id, number, out_dir, manifest)
        uploaded = _upload(ctx, out_dir, manifest, artefact_id, number)
        return "done" if _publish(ctx, job_id, manifest, uploaded, moved) else "failed"
    except HeritageError as e:
        _fail(ctx, job_id, e.code, e.message)
        return "failed"
    except Exception as e:  # noqa: BLE001 - storage or database trouble: retry, then report
        log.exception("job %s: unexpected error", job_id)
        return _retry_or_fail(ctx, job_id, e)
    finally:
        beat.stop()
        shutil.rmtree(work, ignore_errors=True)


def _scratch(ctx: JobContext) -> str:
    path = Path(ctx.settings.data_dir) / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _options(settings: Settings, artefact_id: str, slug: str) -> dict:
    # without a public origin the video's end card would show a link nobody can open
    share_url = f"{settings.base_url.rstrip('/')}/ar/{slug}" if settings.base_url else None
    return options_from_settings(settings, share_url=share_url, artefact_id=artefact_id)


def _notes_for_video(settings: Settings, db, artefact: Artefact) -> dict:
    """Curators' notes for the annotated turntable, with the height of the model they were placed on."""
    notes = notes_of(db, artefact.id) if settings.annotated_turntable else []
    if not notes:
        return {}
    placed_on = db.scalar(select(Version).where(Version.artefact_id == artefact.id,
                                                Version.number == max(n.version for n in notes)))
    dims = ((placed_on.manifest if placed_on else None) or {}).get("dimensions_m")
    return {"notes": [annotation_json(n) for n in notes], "notes_height_m": dims[1] if dims else None}


def _download(ctx: JobContext, originals: list[dict], dest: Path) -> list[Path]:
    dest.mkdir(parents=True)
    paths = []
    for i, item in enumerate(originals):
        folder = dest / str(i)  # keep same-named files of one upload apart
        folder.mkdir()
        paths.append(ctx.store.download(item["key"], folder / item["name"]))
    return paths


def _upload(ctx: JobContext, out_dir: Path, manifest: dict, artefact_id: str, number: int) -> list[dict]:
    rows = []
    for name, entry in manifest.get("files", {}).items():
        key = derivative_key(artefact_id, number, name)
        ctx.store.put_file(key, out_dir / name, content_type=entry.get("mime") or mime_of(name))
        rows.append({"name": name, "key": key, **entry})
    # the manifest goes last: its presence means the version folder is complete
    ctx.store.put_file(derivative_key(artefact_id, number, MANIFEST), out_dir / MANIFEST)
    return rows


def _publish(ctx: JobContext, job_id: str, manifest: dict, uploaded: list[dict], moved: list[dict]) -> bool:
    """Make the version visible: derivative rows, version ready, artefact ready, job done (one transaction).

    Deletion wins: the artefact is marked ready by a conditional UPDATE on
    `deleted_at IS NULL`, the transaction's first write, so a DELETE
    committed at any moment before it makes the job withdraw instead (its
    uploads removed, no `artefact.ready`), and one committed after it
    removes the published files itself. Returns False when withdrawn.
    """
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        version = db.get(Version, job.version_id)
        claimed = db.execute(
            update(Artefact).where(Artefact.id == job.artefact_id, Artefact.deleted_at.is_(None))
            .values(status="ready")
        )
        if claimed.rowcount != 1:
            _withdrawn(db, job, version)
            withdrawn = True
        else:
            withdrawn = False
            artefact = db.get(Artefact, job.artefact_id)
            artefact.kind = manifest.get("kind") or artefact.kind
            if (artefact.current_version or 0) < version.number:
                artefact.current_version = version.number
            db.execute(delete(Derivative).where(Derivative.version_id == version.id))
            for row in uploaded:
                info = {k: v for k, v in row.items() if k not in ("name", "key", "bytes", "sha256", "mime", "role")}
                db.add(Derivative(
                    version_id=version.id, name=row["name"], key=row["key"], role=row.get("role"),
                    mime=row.get("mime") or mime_of(row["name"]), bytes=row["bytes"], sha256=row["sha256"],
                    info=info,
                ))
            version.manifest = manifest
            apply_moves(db, moved)
            version.status, version.ready_at = "ready", utcnow()
            version.error_code = version.error_message = None
            job.state, job.progress, job.stage, job.finished_at = "done", 100, "done", utcnow()
            job.error_code = job.error_message = None
            # the delivery row commits with the outcome: a restart cannot lose it (webhooks.py sends it)
            record_webhook(db, artefact.institution, _event("artefact.ready", artefact, version, job))
        artefact_id, number = job.artefact_id, version.number
        slug = db.get(Artefact, artefact_id).slug
    # pages of the previous version go; the next request builds this version's (api/viewer_publish.py)
    unpublish(ctx.store, f"a/{slug}/")
    if withdrawn:
        removed = ctx.store.delete_prefix(derivative_prefix(artefact_id, number))
        log.info("job %s: artefact %s was withdrawn while processing; removed %d uploaded file(s)",
                 job_id, artefact_id, removed)
        return False
    return True


def _withdrawn(db, job: Job, version: Version) -> None:
    job.state, job.finished_at, job.stage = "failed", utcnow(), "cancelled"
    job.error_code, job.error_message = "artefact_deleted", "job: the artefact was withdrawn while it was processed"
    version.status, version.error_code, version.error_message = "failed", job.error_code, job.error_message


# an absolute path's folders (a library's source file, the job's scratch folder): the owner sees the
# file name, the operator's log keeps the rest
_FOLDERS = re.compile(r"(?<![\w:/.])/(?:[^\s/'\"@:\]\[]+/)+")


def scrub_paths(message: str) -> str:
    """A failure message without server folders (`/opt/x/layer.cpp` -> `layer.cpp`)."""
    return _FOLDERS.sub("", message)


def _fail(ctx: JobContext, job_id: str, code: str, message: str) -> None:
    log.info("job %s: failing with %s: %s", job_id, code, message)
    message = scrub_paths(message)
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        version = db.get(Version, job.version_id)
        artefact = db.get(Artefact, job.artefact_id)
        job.state, job.finished_at = "failed", utcnow()
        job.error_code, job.error_message = code, message
        version.status, version.error_code, version.error_message = "failed", code, message
        # an artefact with an earlier good version keeps showing it
        artefact.status = "ready" if artefact.current_version else "failed"
        if artefact.deleted_at is None:  # a withdrawn artefact is nobody's news any more
            record_webhook(db, artefact.institution, _event("artefact.failed", artefact, version, job))
    log.info("job %s: failed: %s: %s", job_id, code, message)


def _event(name: str, artefact: Artefact, version: Version, job: Job) -> dict:
    return {
        "event": name,
        "artefact_id": artefact.id,
        "status": artefact.status,
        "version": version.number,
        "job_id": job.id,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "accession_number": artefact.accession_number,
    }


def _retry_or_fail(ctx: JobContext, job_id: str, exc: Exception) -> str:
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        if job.attempts < ctx.settings.job_max_attempts:
            job.state, job.worker, job.stage = "queued", None, "retrying"
            return "queued"
    _fail(ctx, job_id, "internal_error", f"job: processing stopped by a server error ({type(exc).__name__}); "
          "the operator has the details in the logs")
    return "failed"


class _Heartbeat:
    """Keeps the job row fresh (progress, stage, heartbeat) from a side thread."""

    def __init__(self, ctx: JobContext, job_id: str) -> None:
        self.ctx, self.job_id = ctx, job_id
        self.state = {"progress": 1, "stage": "download"}
        self._stop = threading.Event()
        self._dirty = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=f"heartbeat-{job_id[:8]}")

    def start(self) -> None:
        self._write()
        self._thread.start()

    def report(self, progress: int, stage: str) -> None:
        self.state = {"progress": max(self.state["progress"], min(99, progress)), "stage": stage}
        self._dirty.set()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            self._dirty.wait(timeout=HEARTBEAT_SECONDS)
            if self._stop.is_set():
                return
            # at most two writes a second, and at least one per heartbeat period
            if self._dirty.is_set() or time.monotonic() - last >= HEARTBEAT_SECONDS:
                self._dirty.clear()
                self._write()
                last = time.monotonic()
                time.sleep(0.5)

    def _write(self) -> None:
        try:
            with session_scope(self.ctx.sessions) as db:
                db.execute(
                    update(Job).where(Job.id == self.job_id, Job.state == "running")
                    .values(progress=self.state["progress"], stage=self.state["stage"], heartbeat_at=utcnow())
                )
        except Exception:  # noqa: BLE001 - a missed heartbeat must not kill the job
            log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)
