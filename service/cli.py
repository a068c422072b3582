"""
cli.py
------

The `heritage-ar` command: serve, worker, process, batch, keys, users, db, seed, config.
HeritageErrors become click errors with the message; anything else is a bug
and shows its traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from service.config import Settings
from service.config import describe
from service.errors import HeritageError


def _settings() -> Settings:
    return Settings.from_env().resolved()


def _logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@click.group()
def cli() -> None:
    """heritage-ar: scans and photo sets of artefacts -> web 3D, AR links, previews."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=None, type=int,
              help="HTTP threads (default 8; with --production per worker, default 2 x cores + 1).")
@click.option("--production", is_flag=True, help="granian, one worker process per core (docs/delivery.md).")
@click.option("--workers", default=None, type=int, help="With --production: worker processes (default: one per core).")
def serve(host: str, port: int, threads: int | None, production: bool, workers: int | None) -> None:
    """Run the HTTP service (and in-process workers with the inline queue)."""
    _logging()
    if production:
        from service.production import run

        click.echo(f"heritage-ar (granian) on http://{host}:{port}")
        run(_settings(), host=host, port=port, workers=workers, threads=threads)
        return
    from waitress import serve as waitress_serve

    from service import create_app

    app = create_app()
    settings = app.config["SETTINGS"]
    click.echo(f"heritage-ar on http://{host}:{port}  storage={settings.storage} queue={settings.queue}")
    waitress_serve(app, host=host, port=port, threads=threads or 8, max_request_body_size=settings.max_upload_mb * 2**20)


@cli.command()
@click.option("--threads", default=None, type=int, help="Jobs run at once (default HERITAGE_AR_WORKER_THREADS).")
def worker(threads: int | None) -> None:
    """Run jobs: database-queue threads, or a Celery worker when HERITAGE_AR_QUEUE=celery."""
    _logging()
    settings = _settings()
    from service import db
    from service.jobs import make_context

    if settings.auto_migrate:
        db.upgrade(settings.database_url)
    from service.jobs.webhooks import Dispatcher

    ctx = make_context(settings)
    threads = threads or settings.worker_threads
    Dispatcher(ctx.sessions, settings).start()  # durable webhook deliveries, in either queue mode
    if settings.queue == "celery":
        from service.jobs.celery_app import get_celery
        from service.jobs.celery_app import send
        from service.jobs.runner import all_queued
        from service.jobs.runner import recover

        recover(ctx)
        for job_id in all_queued(ctx, limit=100_000):
            send(settings.redis_url, job_id)  # jobs queued while the broker was down
        app = get_celery(settings.redis_url)
        app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={threads}", "-Q", "heritage-ar",
                         "--pool=threads", "--without-gossip", "--without-mingle"])
        return
    import signal
    import threading

    from service.jobs.runner import InlineRunner

    runner = InlineRunner(ctx, threads=threads).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"worker {ctx.worker}: {threads} thread(s) on {settings.database_url.split('@')[-1]}")
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    runner.stop()


@cli.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--metadata", "metadata_file", type=click.Path(exists=True, path_type=Path), help="Catalogue JSON.")
@click.option("--no-previews", is_flag=True, help="Skip stills and turntable video.")
def process(inputs: tuple[Path, ...], out_dir: Path, metadata_file: Path | None, no_previews: bool) -> None:
    """Run the pipeline locally: INPUT files -> derivatives + manifest.json in --out."""
    _logging()
    from service.pipeline.metadata import validate_metadata
    from service.pipeline.flows import options_from_settings
    from service.pipeline.flows import process as run

    settings = _settings()
    raw = json.loads(metadata_file.read_text(encoding="utf-8")) if metadata_file else {"title": {"en": inputs[0].stem}}
    with click.progressbar(length=100, label="processing", file=sys.stderr) as bar:
        state = {"pct": 0}

        def progress(pct: int, stage: str) -> None:
            bar.label = f"{stage:<12}"
            if pct > state["pct"]:
                bar.update(pct - state["pct"])
                state["pct"] = pct

        manifest = run(
            list(inputs),
            out_dir,
            metadata=validate_metadata(raw),
            options=options_from_settings(settings, previews=not no_previews and settings.previews),
            progress=progress,
        )
    for name, entry in manifest["files"].items():
        click.echo(f"{name:<24} {entry['bytes']:>12,} bytes  {entry.get('role') or ''}")
    for warning in manifest.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"manifest: {out_dir / 'manifest.json'}")


@cli.group()
def keys() -> None:
    """API keys."""


def _session():
    """A database session on the configured database (migrated first)."""
    from sqlalchemy.orm import Session

    from service import db

    settings = _settings()
    db.upgrade(settings.database_url)
    return Session(db.make_engine(settings.database_url))


@keys.command("create")
@click.option("--institution", required=True, help="Institution name (created if new).")
@click.option("--label", default=None, help="What the key is for.")
@click.option("--scope", type=click.Choice(["read", "write", "admin"]), default="write", show_default=True,
              help="read: GET only; write: also uploads and edits; admin: also manages keys.")
def keys_create(institution: str, label: str | None, scope: str) -> None:
    """Create an API key and print it (only its hash is stored)."""
    from service.db.queries import create_key

    with _session() as session:
        raw = create_key(session, institution, label=label, scope=scope)
        session.commit()
    click.echo(raw)


@keys.command("list")
@click.option("--institution", required=True, help="Institution name.")
def keys_list(institution: str) -> None:
    """List an institution's keys: id, prefix, scope, label, created, last used, revoked."""
    from service.db.queries import find_institution
    from service.db.queries import list_keys

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    with _session() as session:
        inst = find_institution(session, institution)
        click.echo(f"{'id':>5}  {'prefix':<12}  {'scope':<5}  {'created':<16}  {'last used':<16}  {'revoked':<16}  label")
        for k in list_keys(session, inst.id):
            click.echo(f"{k.id:>5}  {k.prefix:<12}  {k.scope:<5}  {when(k.created_at):<16}  "
                       f"{when(k.last_used_at):<16}  {when(k.revoked_at):<16}  {k.label or ''}")


@keys.command("revoke")
@click.argument("key_id", type=int)
def keys_revoke(key_id: int) -> None:
    """Revoke a key by id (from `keys list`); requests with it get 401 at once."""
    from service.db.queries import revoke_key

    with _session() as session:
        key = revoke_key(session, key_id)
        session.commit()
        click.echo(f"revoked key {key.id} ({key.prefix}...)")


@cli.group()
def webhooks() -> None:
    """Event callbacks to an institution's own system."""


@webhooks.command("set")
@click.option("--institution", required=True, help="Institution name.")
@click.option("--url", required=True, help="HTTPS endpoint that receives artefact.ready / artefact.failed.")
def webhooks_set(institution: str, url: str) -> None:
    """Set the webhook URL and print a new signing secret."""
    import secrets

    from sqlalchemy.orm import Session

    from service import db
    from service.db.queries import get_or_create_institution

    from service.jobs.webhooks import UnsafeDestination
    from service.jobs.webhooks import check_url

    settings = _settings()
    try:
        check_url(url, allow_http=settings.webhook_allow_http)
    except UnsafeDestination as e:
        raise click.BadParameter(str(e), param_hint="--url") from None
    db.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url)
    with Session(engine) as session:
        inst = get_or_create_institution(session, institution)
        inst.webhook_url, inst.webhook_secret = url, "whsec_" + secrets.token_urlsafe(24)
        session.commit()
        click.echo(inst.webhook_secret)


@cli.group()
def c2pa() -> None:
    """Content Credentials (C2PA) signing certificates."""


@c2pa.command("dev-cert")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Folder for the PEM files.")
@click.option("--organisation", default="heritage-ar development", show_default=True,
              help="Organisation named as the issuer in the certificate.")
def c2pa_dev_cert(out_dir: Path, organisation: str) -> None:
    """Write a development CA and signing certificate (for testing only; not trusted by anyone)."""
    from service.provenance.certs import dev_certificate

    paths = dev_certificate(out_dir, organisation=organisation)
    click.echo(f"HERITAGE_AR_C2PA_KEY_PATH={paths['key'].resolve()}")
    click.echo(f"HERITAGE_AR_C2PA_CHAIN_PATH={paths['chain'].resolve()}")
    click.echo(f"HERITAGE_AR_C2PA_TRUST_ANCHORS_PATH={paths['ca'].resolve()}")


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (SQLite or PostgreSQL, from HERITAGE_AR_DATABASE_URL)."""
    from service import db

    settings = _settings()
    db.upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {settings.database_url.split('@')[-1]}")


@cli.command()
@click.option("--hide-key", is_flag=True, help="Do not print the key, only the file it is kept in (Docker, logs).")
def seed(hide_key: bool) -> None:
    """Create a demo institution, key and sample artefact from assets/ (once)."""
    _logging()
    from service.seed import seed_demo

    settings = _settings()
    # a key in a container's log is a key anyone with log access holds
    for line in seed_demo(settings, show_key=not hide_key and settings.env != "production"):
        click.echo(line)


@cli.command("count-log")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--follow/--once", default=True, show_default=True, help="Keep reading, or read what is there and stop.")
def count_log(path: Path, follow: bool) -> None:
    """Count beacons that nginx answered itself, from its beacon log (scripts/nginx-front.conf)."""
    _logging()
    import signal
    import threading

    from sqlalchemy.orm import sessionmaker

    from service import db
    from service.beacon_log import LogCounter

    settings = _settings()
    if settings.auto_migrate:
        db.upgrade(settings.database_url)
    counter = LogCounter(path, sessionmaker(db.make_engine(settings.database_url)))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if not follow:
        counter.read()
        click.echo(f"count-log: {counter.flush()} events written; {path} read to byte {counter.offset}")
        return
    click.echo(f"count-log: following {path} from byte {counter.offset}, writing every {settings.count_flush_seconds} s")
    try:
        counter.follow(settings.count_flush_seconds, stop.is_set)
    except KeyboardInterrupt:
        counter.read()
        counter.flush()


@cli.command("config")
def show_config() -> None:
    """Print every HERITAGE_AR_* variable with its default."""
    for name, default in describe():
        click.echo(f"{name}={default}")


def _add_batch() -> None:
    from service.batch.command import batch

    cli.add_command(batch)


_add_batch()


def _add_users() -> None:
    from service.studio.commands import users

    cli.add_command(users)


_add_users()


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except HeritageError as e:
        click.echo(f"Error: {e.message}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
