"""
fair.py
-------

Fair shares of the workers between institutions, and each institution's
quotas. Jobs are claimed round-robin: among institutions with queued work
and fewer than HERITAGE_AR_MAX_RUNNING_JOBS running, the one with the fewest
running jobs goes first, then the one served least recently, so one
museum's 500-item batch does not starve another's single upload. Uploads are
refused with 429 beyond HERITAGE_AR_MAX_QUEUED_JOBS waiting jobs and with 403
beyond HERITAGE_AR_STORAGE_QUOTA_MB stored.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.config import Settings
from service.db.models import Artefact
from service.db.models import Derivative
from service.db.models import Job
from service.db.models import Version
from service.errors import QueueFull
from service.errors import QuotaExceeded

QUEUE_FULL_RETRY_SECONDS = 60


def fair_order(db: Session, *, max_running: int, limit: int = 5) -> list[str]:
    """Queued job ids to try next: the oldest of each eligible institution, fairest institution first."""
    oldest = dict(db.execute(
        select(Job.institution_id, func.min(Job.created_at)).where(Job.state == "queued").group_by(Job.institution_id)
    ).all())
    if not oldest:
        return []
    running = dict(db.execute(
        select(Job.institution_id, func.count()).where(Job.state == "running").group_by(Job.institution_id)
    ).all())
    served = dict(db.execute(
        select(Job.institution_id, func.max(Job.started_at)).where(Job.started_at.is_not(None))
        .group_by(Job.institution_id)
    ).all())
    eligible = [i for i in oldest if max_running <= 0 or running.get(i, 0) < max_running]
    eligible.sort(key=lambda i: (running.get(i, 0), served.get(i) or dt.datetime.min, oldest[i], i))
    ids = []
    for inst in eligible[:limit]:
        job_id = db.scalar(select(Job.id).where(Job.state == "queued", Job.institution_id == inst)
                           .order_by(Job.created_at, Job.id).limit(1))
        if job_id is not None:
            ids.append(job_id)
    return ids


def job_counts(db: Session, institution_id: int) -> dict[str, int]:
    rows = db.execute(select(Job.state, func.count()).where(Job.institution_id == institution_id,
                                                            Job.state.in_(("queued", "running")))
                      .group_by(Job.state)).all()
    counts = {"queued": 0, "running": 0}
    counts.update(dict(rows))
    return counts


def storage_bytes(db: Session, institution_id: int) -> int:
    """Bytes of originals and derivatives of the institution's live artefacts."""
    live = select(Artefact.id).where(Artefact.institution_id == institution_id, Artefact.deleted_at.is_(None))
    derived = db.scalar(select(func.coalesce(func.sum(Derivative.bytes), 0)).join(Version)
                        .where(Version.artefact_id.in_(live))) or 0
    originals = sum(int(o.get("bytes") or 0) for row in db.scalars(select(Version.originals)
                                                                    .where(Version.artefact_id.in_(live)))
                    for o in (row or []))
    return int(derived) + originals


def usage(db: Session, institution_id: int, settings: Settings) -> dict:
    """What an institution uses against its limits (GET /api/v1/usage)."""
    counts = job_counts(db, institution_id)
    quota = settings.storage_quota_mb * 1024 * 1024
    return {
        "jobs": {"queued": counts["queued"], "running": counts["running"],
                 "max_queued": settings.max_queued_jobs, "max_running": settings.max_running_jobs},
        "storage": {"used_bytes": storage_bytes(db, institution_id), "quota_bytes": quota or None},
        "rate_limits": {"api_read": settings.ratelimit_api_read, "api_write": settings.ratelimit_api_write,
                        "api_upload": settings.ratelimit_api_upload},
    }


def check_upload(db: Session, institution_id: int, settings: Settings, incoming_bytes: int) -> None:
    """QueueFull or QuotaExceeded when an upload of `incoming_bytes` would go over a limit."""
    queued = job_counts(db, institution_id)["queued"]
    if settings.max_queued_jobs > 0 and queued >= settings.max_queued_jobs:
        raise QueueFull(f"queue: {queued} jobs of this institution are waiting (limit {settings.max_queued_jobs}); "
                          f"retry when some have finished", retry_after=QUEUE_FULL_RETRY_SECONDS,
                          queued=queued, max_queued=settings.max_queued_jobs)
    if settings.storage_quota_mb > 0:
        quota = settings.storage_quota_mb * 1024 * 1024
        used = storage_bytes(db, institution_id)
        if used + incoming_bytes > quota:
            raise QuotaExceeded(f"storage: {used + incoming_bytes} bytes would exceed this institution's quota of "
                                f"{quota} bytes; delete artefacts or ask the operator for more",
                                used_bytes=used, quota_bytes=quota)
