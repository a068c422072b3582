"""
celery_app.py
-------------

The scale-out queue: Celery with a Redis broker. The job row stays the
source of truth; Celery only delivers job ids. Tasks are acknowledged late
and rejected when a worker dies, so Redis redelivers them (Celery's own
idiom for durable work).
"""

from __future__ import annotations

import logging

from celery import Celery

log = logging.getLogger(__name__)

_APP: Celery | None = None
_CTX = None


def make_celery(redis_url: str) -> Celery:
    app = Celery("heritage_ar", broker=redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_default_queue="heritage-ar",
        worker_hijack_root_logger=False,
    )

    @app.task(name="heritage_ar.process_job", bind=True, max_retries=3, default_retry_delay=10)
    def process_job(self, job_id: str) -> str:
        # one message = one job run, but the fairest queued job first (fair.py); `job_id` is the fallback
        from service.jobs.execute import run_job
        from service.jobs.runner import next_queued

        ctx = _context()
        for candidate in [*next_queued(ctx), job_id]:
            state = run_job(ctx, candidate)
            if state != "skipped":
                return state
        return "skipped"

    return app


def get_celery(redis_url: str) -> Celery:
    global _APP
    if _APP is None:
        _APP = make_celery(redis_url)
    return _APP


def _context():
    """The worker process's job context, built once from the environment."""
    global _CTX
    if _CTX is None:
        from service.jobs import make_context

        _CTX = make_context()
    return _CTX


def send(redis_url: str, job_id: str) -> None:
    get_celery(redis_url).send_task("heritage_ar.process_job", args=[job_id], queue="heritage-ar")
