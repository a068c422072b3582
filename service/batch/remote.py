"""
remote.py
---------

Batch mode over the HTTP API: upload every valid item (a few at once),
then follow each job until its artefact is ready or failed, recording
every step in the state file so a rerun picks up where this one stopped.

NOTES
  Uploads run in a thread pool (`concurrency`); following jobs is one loop
  in the calling thread that polls each unfinished job every `poll`
  seconds, so a slow server queue never holds an upload slot.
  Idempotency has two layers: the state file (the artefact id of every
  fingerprint sent) and the server's content hash (an identical upload by
  the same institution answers 200 with the existing artefact), which
  covers a crash between the server accepting an upload and the state
  file recording it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.batch.bundle import HashCache
from service.batch.bundle import build_parts
from service.batch.client import Api
from service.batch.items import Item
from service.batch.state import State
from service.errors import HeritageError
from service.errors import ServerUnreachable
from service.errors import UploadRejected

log = logging.getLogger(__name__)

DONE = ("ready", "failed")


def run_remote(items: list[Item], api: Api, state: State, display, *, scratch: Path, concurrency: int = 4,
               poll: float = 2.0, timeout: float = 3600, wait: bool = True) -> None:
    """Upload and follow every item; invalid items are recorded with their problems.

    Parameters
    ----------
    items : list of Item
      Already checked (`check.check_items`); items with problems are not sent.
    api : Api
      Server client.
    state : State
      Resume file for this server.
    display : progress display
    scratch : Path
      Where folders are packed into zips.
    concurrency : int
      Uploads at once.
    poll : float
      Seconds between job checks.
    timeout : float
      Stop following a job after this many seconds (a rerun follows it again).
    wait : bool
      Follow jobs to the end; False returns once everything is uploaded.
    """
    display.start(len(items))
    record_invalid(items, state, display)
    hashes = HashCache(state.doc.get("hashes"))
    stop = threading.Event()
    follow: dict[str, float] = {}  # key -> monotonic time it started being followed
    lock = threading.Lock()
    by_key = {item.key: item for item in items}

    def send(item: Item) -> None:
        if stop.is_set():
            return
        try:
            status = _upload(item, api, state, display, hashes, scratch)
        except UploadRejected as e:
            if e.context.get("http_status") in (401, 403):
                stop.set()
                raise
            state.update(item.key, status="failed", error=e.message)
            display.finish(item.key, "failed", e.message)
            return
        except ServerUnreachable as e:
            state.update(item.key, status="interrupted", error=e.message)
            display.finish(item.key, "interrupted", e.message)
            return
        except OSError as e:  # a file vanished or a share went away since the check
            message = f"cannot read the files: {e}; check them and run again"
            state.update(item.key, status="failed", error=message)
            display.finish(item.key, "failed", message)
            return
        if status in DONE:
            finish(item.key)
        else:
            with lock:
                follow[item.key] = time.monotonic()

    def finish(key: str) -> None:
        entry = _settle(api, state, key, by_key[key])
        display.finish(key, entry["status"], (entry.get("error") or ""))

    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="upload")
    futures: list[Future] = [pool.submit(send, item) for item in items if not item.problems]
    try:
        while True:
            for f in [f for f in futures if f.done()]:
                futures.remove(f)
                f.result()  # an auth failure stops the run here
            with lock:
                keys = list(follow) if wait else []
                if not wait:
                    follow.clear()
            for key in keys:
                if _check(api, state, display, key):
                    finish(key)
                    with lock:
                        follow.pop(key, None)
                elif time.monotonic() - follow[key] > timeout:
                    msg = f"still processing after {timeout:.0f} s; run the same command again to keep waiting"
                    display.finish(key, state.get(key).get("status", "processing"), msg)
                    with lock:
                        follow.pop(key, None)
            if not futures and not follow:
                break
            time.sleep(poll if follow else 0.05)
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    state.save_hashes(hashes.known)


def record_invalid(items: list[Item], state: State, display) -> None:
    """Store the problems of items that will not be sent."""
    for item in items:
        if item.problems:
            state.update(item.key, status="invalid", error="; ".join(item.problems), artefact_id=None,
                         fingerprint=None, source=item.source)
            display.finish(item.key, "invalid", "; ".join(item.problems))


def _upload(item: Item, api: Api, state: State, display, hashes: HashCache, scratch: Path) -> str:
    display.stage(item.key, "hash", 0)
    parts = build_parts(item.files, scratch)
    fingerprint = hashes.fingerprint(parts)
    entry = state.get(item.key)
    meta_hash = metadata_hash(item.metadata)
    if entry.get("fingerprint") == fingerprint and entry.get("artefact_id"):
        log.info("batch: %s already sent as %s (%s)", item.key, entry["artefact_id"], entry.get("status"))
        if entry.get("metadata_hash") != meta_hash:
            display.stage(item.key, "metadata", 0)
            api.patch_metadata(entry["artefact_id"], item.metadata)
            state.update(item.key, metadata_hash=meta_hash)
        return entry.get("status") or "queued"
    total = sum(p.stat().st_size for _, p in parts) or 1
    sent = [0]

    def on_bytes(n: int) -> None:
        sent[0] += n
        display.stage(item.key, "upload", min(100.0, 100.0 * sent[0] / total))

    def on_retry() -> None:
        sent[0] = 0

    try:
        answer = api.upload(parts, item.metadata, on_bytes=on_bytes, on_retry=on_retry)
    except UploadRejected:
        state.update(item.key, fingerprint=fingerprint, artefact_id=None, source=item.source)
        raise
    log.info("batch: %s uploaded as %s%s", item.key, answer["id"], " (already on the server)" if answer.get(
        "duplicate") else "")
    state.update(item.key, fingerprint=fingerprint, artefact_id=answer["id"], job_url=answer.get("job_url"),
                 links=answer.get("links") or {}, status=answer.get("status"), duplicate=bool(answer.get("duplicate")),
                 error=None, source=item.source)
    if answer.get("duplicate"):
        # the server kept the metadata of the first upload; the spreadsheet may have been corrected since
        api.patch_metadata(answer["id"], item.metadata)
    state.update(item.key, metadata_hash=meta_hash)
    display.stage(item.key, answer.get("status") or "queued", 0)
    return answer.get("status") or "queued"


def _check(api: Api, state: State, display, key: str) -> bool:
    """Poll one job; True when its artefact has settled (ready or failed)."""
    entry = state.get(key)
    url = entry.get("job_url")
    try:
        if url:
            job = api.get(url)
            display.stage(key, job.get("stage") or job.get("state") or "queued", float(job.get("progress") or 0))
            return job.get("state") in ("done", "failed")
        art = api.get(f"/api/v1/artefacts/{entry['artefact_id']}")
        return art.get("status") in DONE
    except ServerUnreachable:
        log.warning("batch: %s: server unreachable while following the job; still trying", key)
        return False
    except UploadRejected:
        return True  # the job is gone (artefact deleted?): `_settle` records what happened


def _settle(api: Api, state: State, key: str, item: Item) -> dict:
    """Read the finished artefact and store its status, error, links and files."""
    entry = state.get(key)
    try:
        art = api.get(f"/api/v1/artefacts/{entry['artefact_id']}")
    except UploadRejected as e:
        if e.context.get("http_status") == 404:
            # deleted on the server: forget it, so the next run uploads the files anew
            return state.update(key, status="interrupted", artefact_id=None, fingerprint=None, job_url=None,
                                error=f"artefact {entry['artefact_id']} is gone from the server (deleted?); "
                                      "run the same command again to upload it anew")
        return state.update(key, status="interrupted", error=f"could not read the result: {e.message}")
    except HeritageError as e:
        return state.update(key, status="interrupted", error=f"could not read the result: {e.message}")
    error = art.get("error") or {}
    message = error.get("message") if isinstance(error, dict) else str(error)
    derivatives = {name: d.get("url") for name, d in (art.get("derivatives") or {}).items()}
    return state.update(
        key,
        status=art.get("status"),
        error=message if art.get("status") == "failed" else None,
        links=art.get("links") or entry.get("links") or {},
        derivatives=derivatives,
        poster=poster_url(art.get("derivatives") or {}),
        warnings=art.get("warnings") or [],
    )


def metadata_hash(metadata: dict) -> str:
    """A short hash of an item's metadata: a corrected row is sent as a metadata edit, not a new upload."""
    raw = json.dumps(metadata, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def poster_url(derivatives: dict) -> str | None:
    """The still image to show for an artefact: a poster, else any JPEG/PNG/WebP derivative."""
    images = {n: d for n, d in derivatives.items() if str(d.get("mime") or "").startswith("image/")}
    for name, d in sorted(images.items()):
        if name.startswith("poster") or d.get("role") == "poster":
            return d.get("url")
    for name, d in sorted(images.items()):
        if name.startswith("thumb"):
            return d.get("url")
    return next((d.get("url") for d in images.values()), None)
