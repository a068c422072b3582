"""
runner.py
---------

The embedded queue: jobs are database rows and worker threads claim them.
Nothing lives only in memory, so a job unfinished when the process stops is
picked up again at the next start (`recover`). The same runner works as a
separate `heritage-ar worker` process against PostgreSQL, on any number of
machines, because claiming is one conditional UPDATE.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid

from sqlalchemy import select
from sqlalchemy import update

from service.db import session_scope
from service.db.models import Job
from service.db.models import utcnow
from service.jobs.execute import HEARTBEAT_SECONDS
from service.jobs.execute import JobContext
from service.jobs.execute import give_up
from service.jobs.execute import run_job
from service.jobs.fair import fair_order

log = logging.getLogger(__name__)

# a running job whose heartbeat is older than this lost its worker
STALE_SECONDS = HEARTBEAT_SECONDS * 6


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(ctx: JobContext) -> int:
    """Requeue running jobs whose worker is gone (dead process on this host, or stale heartbeat)."""
    host = socket.gethostname()
    cutoff = utcnow() - dt.timedelta(seconds=STALE_SECONDS)
    requeued = 0
    exhausted = []
    with session_scope(ctx.sessions) as db:
        for job in db.scalars(select(Job).where(Job.state == "running")).all():
            owner = (job.worker or "").split(":")
            dead_here = len(owner) == 3 and owner[0] == host and owner[1].isdigit() and not _pid_alive(int(owner[1]))
            stale = job.heartbeat_at is None or job.heartbeat_at < cutoff
            if not (dead_here or stale) or job.worker == ctx.worker:
                continue
            res = db.execute(
                update(Job).where(Job.id == job.id, Job.state == "running", Job.worker == job.worker)
                .values(state="queued", worker=None, stage="resuming")
            )
            requeued += res.rowcount
            if res.rowcount and job.attempts >= ctx.settings.job_max_attempts:
                exhausted.append(job.id)
    for job_id in exhausted:
        # its worker died on every attempt: a crash loop, not bad luck
        give_up(ctx, job_id)
    if requeued:
        log.info("recover: requeued %d interrupted job(s), gave up %d", requeued - len(exhausted), len(exhausted))
    return requeued - len(exhausted)


def next_queued(ctx: JobContext, limit: int = 5) -> list[str]:
    """Queued jobs to try next, one per institution, fairest institution first (fair.py)."""
    with session_scope(ctx.sessions) as db:
        return fair_order(db, max_running=ctx.settings.max_running_jobs, limit=limit)


def all_queued(ctx: JobContext, limit: int = 1000) -> list[str]:
    """Every queued job id, oldest first (to resend to the broker after an outage)."""
    with session_scope(ctx.sessions) as db:
        return list(db.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.created_at).limit(limit)))


class InlineRunner:
    """Worker threads that poll the jobs table; `wake()` makes them look at once."""

    def __init__(self, ctx: JobContext, threads: int = 1, poll_seconds: float = 1.0) -> None:
        self.ctx = ctx
        self.threads = max(1, threads)
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def start(self) -> "InlineRunner":
        recover(self.ctx)
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"heritage-ar-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._workers:
            t.join(timeout=timeout)

    def run_until_idle(self) -> int:
        """Run queued jobs in this thread until none are left (for tests and `process --once`)."""
        done = 0
        while ids := next_queued(self.ctx):
            for job_id in ids:
                if run_job(self.ctx, job_id) != "skipped":
                    done += 1
        return done

    def _loop(self) -> None:
        sweeps = 0
        while not self._stop.is_set():
            try:
                ran = False
                for job_id in next_queued(self.ctx):
                    if self._stop.is_set():
                        return
                    if run_job(self.ctx, job_id) != "skipped":
                        ran = True
                sweeps += 1
                if sweeps % 30 == 0:
                    recover(self.ctx)
            except Exception:  # noqa: BLE001 - keep the worker alive through database hiccups
                log.exception("worker: loop error")
                ran = False
            if not ran:
                self._wake.wait(timeout=self.poll_seconds)
                self._wake.clear()
