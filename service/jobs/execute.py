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
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from service.config import Settings
from service.db import session_scope
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Job
from service.db.models import Version
from service.db.models import utcnow
from service.db.queries import metadata_of
from service.errors import HeritageError
from service.jobs.credentials import sign_version
from service.jobs.sandbox import run_child
from service.jobs.webhooks import send_later
from service.pipeline.manifest import MANIFEST
from service.pipeline.manifest import mime_of
from service.pipeline.manifest import read_manifest
from service.storage import Store
from service.storage import derivative_key

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
    """Atomically move a queued job to running for this worker; False if someone else has it."""
    now = utcnow()
    with session_scope(ctx.sessions) as db:
        res = db.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(state="running", worker=ctx.worker, heartbeat_at=now, started_at=now,
                    attempts=Job.attempts + 1, stage="starting")
        )
        return res.rowcount == 1


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
            "options": _options(ctx.settings, artefact_id, slug),
        }
        run_child(
            spec,
            work,
            timeout=ctx.settings.job_timeout_seconds,
            memory_mb=ctx.settings.job_memory_mb,
            progress=lambda pct, stage: beat.report(5 + int(pct * 0.85), stage),
        )
        beat.report(91, "upload")
        manifest = sign_version(ctx.settings, out_dir, read_manifest(out_dir), spec_meta, slug)
        uploaded = _upload(ctx, out_dir, manifest, artefact_id, number)
        _publish(ctx, job_id, manifest, uploaded)
        return "done"
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
    return {
        "previews": settings.previews,
        "turntable_seconds": settings.turntable_seconds,
        "overlay": settings.video_overlay,
        "share_url": share_url,
        "max_faces": settings.max_faces,
        "max_image_pixels": settings.max_image_pixels,
        "max_archive_entries": settings.max_archive_entries,
        "max_unpacked_bytes": settings.max_unpacked_mb * 1024 * 1024,
        "hashtags": settings.hashtags,
        "artefact_id": artefact_id,
    }


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


def _publish(ctx: JobContext, job_id: str, manifest: dict, uploaded: list[dict]) -> None:
    """Make the version visible: derivative rows, version ready, artefact ready, job done (one transaction)."""
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        version = db.get(Version, job.version_id)
        artefact = db.get(Artefact, job.artefact_id)
        db.execute(delete(Derivative).where(Derivative.version_id == version.id))
        for row in uploaded:
            info = {k: v for k, v in row.items() if k not in ("name", "key", "bytes", "sha256", "mime", "role")}
            db.add(Derivative(
                version_id=version.id, name=row["name"], key=row["key"], role=row.get("role"),
                mime=row.get("mime") or mime_of(row["name"]), bytes=row["bytes"], sha256=row["sha256"], info=info,
            ))
        version.manifest = manifest
        version.status, version.ready_at = "ready", utcnow()
        version.error_code = version.error_message = None
        artefact.kind = manifest.get("kind") or artefact.kind
        if artefact.deleted_at is None:
            artefact.status = "ready"
            artefact.current_version = max(artefact.current_version or 0, version.number)
        job.state, job.progress, job.stage, job.finished_at = "done", 100, "done", utcnow()
        job.error_code = job.error_message = None
        event = _event("artefact.ready", artefact, version, job)
        hook = (artefact.institution.webhook_url, artefact.institution.webhook_secret)
    send_later(*hook, event)


def _fail(ctx: JobContext, job_id: str, code: str, message: str) -> None:
    with session_scope(ctx.sessions) as db:
        job = db.get(Job, job_id)
        version = db.get(Version, job.version_id)
        artefact = db.get(Artefact, job.artefact_id)
        job.state, job.finished_at = "failed", utcnow()
        job.error_code, job.error_message = code, message
        version.status, version.error_code, version.error_message = "failed", code, message
        # an artefact with an earlier good version keeps showing it
        artefact.status = "ready" if artefact.current_version else "failed"
        event = _event("artefact.failed", artefact, version, job)
        hook = (artefact.institution.webhook_url, artefact.institution.webhook_secret)
    send_later(*hook, event)
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
