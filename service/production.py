"""
production.py
-------------

`heritage-ar serve --production`: gunicorn with one process per core (by
default 2 x cores workers, gthread with keep-alive), so the hot path
(api/hot.py) uses every core. The schema is migrated once, before the
workers start; each worker builds its own app (no shared database
connections across fork), counts beacons in its own memory (or in Redis)
and flushes its own counts every few seconds and when it exits, so totals
stay exact with several processes (docs/delivery.md).

The same thing as a plain gunicorn command (e.g. under systemd)::

    heritage-ar db upgrade
    HERITAGE_AR_AUTO_MIGRATE=false gunicorn -k gthread -w 4 --threads 4 -b 0.0.0.0:8000 \\
        -c python:service.production 'service:create_app()'
"""

from __future__ import annotations

import dataclasses
import os

# gunicorn settings read by `-c python:service.production`
worker_class = "gthread"
keepalive = 30


def worker_exit(server, worker) -> None:
    """Write this worker's last counts before it goes (gunicorn hook)."""
    app = getattr(worker, "wsgi", None)
    flusher = getattr(app, "extensions", {}).get("flusher") if app is not None else None
    if flusher is not None:
        flusher.stop_quietly()


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


def run(settings, *, host: str, port: int, workers: int | None = None, threads: int = 4) -> None:
    """Migrate once, then run gunicorn until it is stopped (SIGTERM: workers flush their counts)."""
    from gunicorn.app.base import BaseApplication

    from service import create_app
    from service import db

    if settings.auto_migrate:
        db.upgrade(settings.database_url)
    worker_settings = dataclasses.replace(settings, auto_migrate=False)

    class Production(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}", "workers": workers or default_workers(), "threads": threads,
                "worker_class": worker_class, "keepalive": keepalive, "worker_exit": worker_exit,
                "limit_request_line": 8190, "timeout": 120, "graceful_timeout": 30,
                "accesslog": None, "errorlog": "-", "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app(worker_settings)

    Production().run()
