"""
jobs
----

The only layer that combines storage, the database and the pipeline.
`create_job` records work; `enqueue` hands it to the configured queue:
in-process worker threads (embedded) or Celery over Redis (scale-out).
"""

from __future__ import annotations

import logging

from flask import Flask
from flask import current_app
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from service.config import Settings
from service.db import make_engine
from service.db.models import Artefact
from service.db.models import Job
from service.db.models import Version
from service.jobs.execute import JobContext
from service.jobs.runner import InlineRunner
from service.jobs.runner import worker_name

log = logging.getLogger(__name__)


def create_job(db: Session, artefact: Artefact, version: Version) -> Job:
    job = Job(institution_id=artefact.institution_id, artefact_id=artefact.id, version_id=version.id)
    db.add(job)
    db.flush()
    return job


def retry(db: Session, job: Job) -> None:
    """Queue a failed job again with a fresh set of attempts (an operator's or owner's decision)."""
    from service.db.models import utcnow
    from service.errors import Conflict

    artefact = db.get(Artefact, job.artefact_id)
    if job.state != "failed" or artefact is None or artefact.deleted_at is not None:
        raise Conflict(f"job {job.id!r}: only a failed job of a live artefact can be retried (it is {job.state})")
    version = db.get(Version, job.version_id)
    job.state, job.attempts, job.progress, job.stage, job.worker = "queued", 0, 0, "retrying", None
    job.error_code = job.error_message = None
    job.finished_at = None
    version.status, version.error_code, version.error_message = "queued", None, None
    if not artefact.current_version:
        artefact.status = "queued"
    artefact.updated_at = utcnow()


def make_context(settings: Settings | None = None) -> JobContext:
    """A job context for a standalone worker process."""
    from service.storage import make_store

    settings = (settings or Settings.from_env()).resolved()
    engine = make_engine(settings.database_url)
    return JobContext(
        settings=settings,
        store=make_store(settings),
        sessions=sessionmaker(engine, expire_on_commit=False),
        worker=worker_name(),
    )


def enqueue(job_id: str) -> None:
    """Hand a committed job to the queue (after the transaction that created it)."""
    settings: Settings = current_app.config["SETTINGS"]
    if settings.queue == "celery":
        from service.jobs.celery_app import send

        try:
            send(settings.redis_url, job_id)
        except Exception:  # noqa: BLE001 - the row is queued; `heritage-ar worker` resends on start
            log.warning("enqueue: broker unreachable, job %s stays queued", job_id, exc_info=True)
        return
    runner = current_app.extensions.get("runner")
    if runner is not None:
        runner.wake()


def init_app(app: Flask) -> None:
    settings: Settings = app.config["SETTINGS"]
    ctx = JobContext(
        settings=settings,
        store=app.extensions["store"],
        sessions=app.extensions["db_sessions"],
        worker=worker_name(),
    )
    app.extensions["job_context"] = ctx
    if settings.queue == "inline" and settings.start_worker:
        from service.jobs.webhooks import Dispatcher

        app.extensions["runner"] = InlineRunner(ctx, threads=settings.worker_threads).start()
        app.extensions["webhooks"] = Dispatcher(ctx.sessions, settings).start()
