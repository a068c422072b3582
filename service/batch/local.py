"""
local.py
--------

Batch mode without a server: run the pipeline on this machine, either
into a folder (one sub-folder of derivatives per artefact) or straight into
the configured storage and database, exactly as an upload would (so the
share pages of a running service show the results).
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.batch.bundle import HashCache
from service.batch.bundle import build_parts
from service.batch.items import Item
from service.batch.remote import poster_url
from service.batch.remote import record_invalid
from service.batch.state import State
from service.errors import HeritageError
from service.pipeline.metadata import validate_metadata
from service.storage.keys import safe_name

log = logging.getLogger(__name__)


def run_into_folder(items: list[Item], out: Path, state: State, display, *, scratch: Path, options: dict,
                    concurrency: int = 1) -> None:
    """Process each valid item with `pipeline.flows.process` into `out/<key>/`.

    Parameters
    ----------
    out : Path
      Output root; each artefact gets a sub-folder named after its key.
    options : dict
      Pipeline options (limits, previews).
    concurrency : int
      Artefacts processed at once (the pipeline itself is CPU-bound).
    """
    from service.pipeline.flows import process

    display.start(len(items))
    record_invalid(items, state, display)
    hashes = HashCache(state.doc.get("hashes"))

    def one(item: Item) -> None:
        display.stage(item.key, "hash", 0)
        fingerprint = hashes.fingerprint(build_parts(item.files, scratch))
        entry = state.get(item.key)
        target = out / safe_name(item.key)
        done = entry.get("status") == "failed" or (target / "manifest.json").exists()
        if entry.get("fingerprint") == fingerprint and entry.get("status") in ("ready", "failed") and done:
            display.finish(item.key, entry["status"], entry.get("error") or "")
            return
        state.update(item.key, fingerprint=fingerprint, status="processing", error=None, source=item.source)
        try:
            manifest = process(item.files, target, metadata=validate_metadata(item.metadata), options=options,
                               progress=lambda pct, stage: display.stage(item.key, stage, pct))
        except HeritageError as e:
            state.update(item.key, status="failed", error=e.message)
            display.finish(item.key, "failed", e.message)
            return
        except Exception as e:  # noqa: BLE001 - one bad scan must not stop a collection of hundreds
            log.exception("batch: %s: pipeline bug", item.key)
            state.update(item.key, status="failed", error=f"internal error ({type(e).__name__}: {e}); see the log")
            display.finish(item.key, "failed", str(e))
            return
        files = {name: (target / name).resolve().as_uri() for name in manifest["files"]}
        derivs = {name: {"url": files[name], **info} for name, info in manifest["files"].items()}
        state.update(item.key, status="ready", derivatives=files, poster=poster_url(derivs),
                     links={"folder": target.resolve().as_uri()}, warnings=manifest.get("warnings") or [])
        display.finish(item.key, "ready")

    _run_all(one, [i for i in items if not i.problems], concurrency)
    state.save_hashes(hashes.known)


def run_into_storage(items: list[Item], settings, institution: str, state: State, display, *, scratch: Path,
                     concurrency: int = 1) -> None:
    """Submit each valid item to the configured storage and database and run its job here.

    Parameters
    ----------
    settings : Settings
      Resolved service settings (storage, database, base URL for links).
    institution : str
      Institution the artefacts belong to (created if new).
    """
    from sqlalchemy.orm import Session

    from service import create_app
    from service.db.models import Artefact
    from service.db.models import Institution
    from service.db.queries import get_or_create_institution
    from service.jobs import make_context
    from service.jobs.execute import run_job
    from service.jobs.submit import submit
    from service.storage import make_store

    app = create_app(dataclasses.replace(settings, start_worker=False))
    ctx = make_context(settings)
    store = make_store(settings)
    display.start(len(items))
    record_invalid(items, state, display)
    hashes = HashCache(state.doc.get("hashes"))
    base = (settings.base_url or "http://127.0.0.1:8000").rstrip("/")
    with Session(app.extensions["db_engine"]) as db:
        institution_id = get_or_create_institution(db, institution).id  # once: threads would race to create it
        db.commit()

    def one(item: Item) -> None:
        display.stage(item.key, "hash", 0)
        parts = build_parts(item.files, scratch)
        fingerprint = hashes.fingerprint(parts)
        entry = state.get(item.key)
        if entry.get("fingerprint") == fingerprint and entry.get("status") in ("ready", "failed"):
            display.finish(item.key, entry["status"], entry.get("error") or "")
            return
        display.stage(item.key, "store", 0)
        with Session(app.extensions["db_engine"]) as db:
            inst = db.get(Institution, institution_id)
            result = submit(db, store, inst, parts, validate_metadata(item.metadata))
            db.commit()
            artefact_id, job_id = result.artefact.id, result.job.id if result.job else None
        state.update(item.key, fingerprint=fingerprint, artefact_id=artefact_id, status="queued", source=item.source)
        if job_id is not None:
            display.stage(item.key, "process", 5)
            run_job(ctx, job_id)
        with Session(app.extensions["db_engine"]) as db:
            body = outcome(db, store, db.get(Artefact, artefact_id), base)
        error = body["error"]
        state.update(item.key, status=body["status"], error=error, links=body["links"],
                     derivatives={n: d["url"] for n, d in body["derivatives"].items()},
                     poster=poster_url(body["derivatives"]), warnings=body.get("warnings") or [])
        display.finish(item.key, body["status"], error or "")

    try:
        _run_all(one, [i for i in items if not i.problems], concurrency)
    finally:
        state.save_hashes(hashes.known)
        app.extensions["db_engine"].dispose()


def _run_all(fn, items: list[Item], concurrency: int) -> None:
    if concurrency <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="batch") as pool:
        for f in [pool.submit(fn, item) for item in items]:
            f.result()


def outcome(db, store, artefact, base: str) -> dict:
    """What the batch state and report keep about a processed artefact: status, error,
    links, derivative URLs and warnings, read from the database (no API request)."""
    from service.db.queries import current_version
    from service.db.queries import latest_job
    from service.db.queries import latest_version

    version = current_version(db, artefact)
    latest = latest_version(db, artefact)
    job = latest_job(db, artefact.id)
    links = {
        "self": f"{base}/api/v1/artefacts/{artefact.id}",
        "share": f"{base}/ar/{artefact.slug}",
        "short": f"{base}/s/{artefact.short_code}",
        "embed": f"{base}/embed/{artefact.slug}",
        "qr": f"{base}/qr/{artefact.slug}.svg",
        **({"job": f"{base}/api/v1/jobs/{job.id}"} if job is not None else {}),
    }
    derivatives = {
        d.name: {"url": store.url(d.key, base_url=base), "mime": d.mime, "role": d.role, **(d.info or {})}
        for d in (version.derivatives if version else [])
    }
    failed = artefact.status == "failed" and latest is not None and latest.status == "failed"
    return {
        "status": artefact.status,
        "error": latest.error_message if failed else None,
        "links": links,
        "derivatives": derivatives,
        "warnings": (version.manifest or {}).get("warnings", []) if version else [],
    }
