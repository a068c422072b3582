"""
production.py
-------------

`heritage-ar serve --production`: granian (an HTTP server written in Rust
that calls our WSGI app) with one worker process per core, so the hot path
(api/hot.py) uses every core without Python parsing HTTP. The schema is
migrated once, before the workers start; each worker builds its own app
(no shared database connections across fork), counts beacons in its own
memory (or in Redis) and flushes its own counts every few seconds and when
it exits, so totals stay exact with several processes (docs/delivery.md).

The same thing as a plain command (e.g. under systemd)::

    heritage-ar db upgrade
    HERITAGE_AR_AUTO_MIGRATE=false granian --interface wsgi --factory --workers 2 \\
        --blocking-threads 5 --host 0.0.0.0 --port 8000 service.production:worker_app
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def default_workers() -> int:
    return os.cpu_count() or 1


def default_threads() -> int:
    # Python threads per worker; more only pays for many slow requests at once (put nginx in front)
    return 2 * (os.cpu_count() or 1) + 1


def worker_app():
    """The app of one worker process (granian calls this after the fork)."""
    import dataclasses

    from service import create_app
    from service.config import Settings

    return create_app(dataclasses.replace(Settings.from_env(), auto_migrate=False))


def run(settings, *, host: str, port: int, workers: int | None = None, threads: int | None = None) -> None:
    """Migrate once, then serve until stopped (SIGTERM or Ctrl-C: workers flush their counts and exit)."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from service import db

    if settings.auto_migrate:
        db.upgrade(settings.database_url)
    workers = workers or default_workers()
    if settings.ratelimit_enabled and workers > 1 and settings.resolved().ratelimit_storage.startswith("memory"):
        log.warning("limits: each of the %d workers keeps its own counters, so every limit is %d x its setting; "
                    "set HERITAGE_AR_RATELIMIT_STORAGE=redis://... to share them", workers, workers)
    Granian(
        "service.production:worker_app", factory=True, interface=Interfaces.WSGI, address=host, port=port,
        workers=workers, blocking_threads=threads or default_threads(), log_level=LogLevels.warning,
        workers_kill_timeout=30,
    ).serve()
