"""
counters.py
-----------

Counting page views, 3D loads, AR launches, QR scans and embeds without a
database write per event. A beacon calls `hit()` (microseconds: a dict or
one Redis round trip), which de-duplicates by page-load id (each event is
counted once per page load) and adds one to an aggregate keyed by
(slug, UTC day, event). `Flusher` writes the aggregates into `daily_counts`
(and referring hosts into `daily_referrers`) every `count_flush_seconds`
and at shutdown; see `service/db/counts.py`.

- `MemoryCounts` (embedded, and each gunicorn worker): a process's own
  counts; each process flushes its own, so totals stay exact with several
  processes. A killed process loses at most the last flush interval.
  De-duplication is per process (the same page load's beacons landing on two
  workers count twice; use Redis to share it).
- `RedisCounts` (scale-out): HINCRBY into one hash, de-dup with SET NX EX, in
  one Lua call. Counts survive process restarts; any process's flush takes
  the hash with RENAME, so two flushers never write the same counts.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import multiprocessing.util
import os
import re
import threading
import time
import uuid

log = logging.getLogger(__name__)

EVENTS = ("view", "load", "ar", "qr", "embed")
DEDUP_SECONDS = 1800  # a page load's id is remembered this long
MAX_SEEN = 1_000_000  # page-load ids kept per generation in memory
MAX_KEYS = 200_000  # distinct (slug, day, event/host) rows held between flushes; more are dropped (and logged)
_HOST = re.compile(r"^[a-z0-9.-]{1,100}$")
_PAGE_LOAD = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

Batch = tuple[dict[tuple[str, str, str], int], dict[tuple[str, str, str], int]]


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


def clean_host(raw: str | None) -> str | None:
    """A referring host as counted ("museum.vn"), or None when absent or malformed."""
    host = (raw or "").strip().lower().removeprefix("www.")
    return host if _HOST.match(host) else None


def clean_page_load(raw: str | None) -> str | None:
    return raw if raw and _PAGE_LOAD.match(raw) else None


class MemoryCounts:
    """This process's counts, de-duplicated by page load."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = {}
        self._refs: dict[tuple[str, str, str], int] = {}
        self._seen: set = set()
        self._old_seen: set = set()
        self._rotate_at = time.monotonic() + DEDUP_SECONDS
        self.dropped = 0

    def hit(self, slug: str, event: str, page_load: str | None = None, referrer: str | None = None) -> bool:
        """Count one event; False when this page load already sent it."""
        day = today()
        with self._lock:
            if page_load is not None:
                mark = (page_load, slug, event)
                if mark in self._seen or mark in self._old_seen:
                    return False
                if len(self._seen) >= MAX_SEEN or time.monotonic() > self._rotate_at:
                    self._old_seen, self._seen = self._seen, set()
                    self._rotate_at = time.monotonic() + DEDUP_SECONDS
                self._seen.add(mark)
            self._add(self._counts, (slug, day, event))
            if referrer is not None:
                self._add(self._refs, (slug, day, referrer))
        return True

    def _add(self, table: dict, key: tuple, n: int = 1) -> None:
        if key in table or len(table) < MAX_KEYS:
            table[key] = table.get(key, 0) + n
        else:
            self.dropped += n

    def take(self) -> Batch:
        """Everything counted since the last take (and forget it)."""
        with self._lock:
            batch = (self._counts, self._refs)
            self._counts, self._refs = {}, {}
        return batch

    def give_back(self, batch: Batch) -> None:
        """Return a batch that could not be written (the database was down)."""
        with self._lock:
            for table, rows in zip((self._counts, self._refs), batch):
                for key, n in rows.items():
                    self._add(table, key, n)


_HIT = """
if ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], '1', 'NX', 'EX', ARGV[4]) then return 0 end
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[2], 1) end
return 1
"""


class RedisCounts:
    """Counts in Redis, shared by every process (one Lua call per beacon)."""

    def __init__(self, url: str, *, prefix: str = "har:") -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self._hit = self.redis.register_script(_HIT)
        self.prefix = prefix
        self.COUNTS, self.REFS, self.TAKEN = f"{prefix}counts", f"{prefix}refs", f"{prefix}taken:"

    def hit(self, slug: str, event: str, page_load: str | None = None, referrer: str | None = None) -> bool:
        day = today()
        seen = f"{self.prefix}seen:{page_load}:{slug}:{event}" if page_load else ""
        ref = f"{slug}|{day}|{referrer}" if referrer else ""
        return bool(self._hit(keys=[self.COUNTS, self.REFS], args=[f"{slug}|{day}|{event}", ref, seen, DEDUP_SECONDS]))

    def take(self) -> Batch:
        """Move the hashes aside (RENAME is atomic) and read them; leftovers of a crashed flush too."""
        stamp = f"{int(time.time())}:{uuid.uuid4().hex}"
        for name in (self.COUNTS, self.REFS):
            try:
                self.redis.rename(name, f"{self.TAKEN}{name}:{stamp}")
            except Exception as e:  # noqa: BLE001 - "no such key": nothing counted since the last flush
                if "no such key" not in str(e).lower():
                    raise
        batch: Batch = ({}, {})
        self._taken = []
        for key in self.redis.scan_iter(match=f"{self.TAKEN}*", count=1000):
            name = key.decode()
            if not name.endswith(stamp) and int(name.rsplit(":", 2)[-2]) > time.time() - 60:
                continue  # another process is flushing it right now
            table = batch[0] if name.removeprefix(self.TAKEN).startswith(self.COUNTS + ":") else batch[1]
            for field, n in self.redis.hgetall(name).items():
                slug, day, what = field.decode().split("|", 2)
                table[(slug, day, what)] = table.get((slug, day, what), 0) + int(n)
            self._taken.append(name)
        return batch

    def done(self) -> None:
        """The taken batch is in the database: drop it from Redis."""
        if getattr(self, "_taken", None):
            self.redis.delete(*self._taken)
        self._taken = []

    def give_back(self, batch: Batch) -> None:
        self._taken = []  # left in Redis under har:taken:*, picked up by a later flush


def make_counts(settings):
    """The counter named by settings.counter."""
    return RedisCounts(settings.redis_url) if settings.counter == "redis" else MemoryCounts()


class Flusher:
    """Writes counts to the database every `interval` seconds in a daemon thread, and once at stop()."""

    def __init__(self, counts, sessions, interval: float) -> None:
        self.counts, self.sessions, self.interval = counts, sessions, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._starting = threading.Lock()
        self._pid: int | None = None

    def start(self) -> "Flusher":
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._loop, name="count-flusher", daemon=True)
        self._thread.start()
        return self

    def ensure_started(self) -> None:
        """Start the thread in this process (after a fork, gunicorn workers start their own)."""
        if self._pid == os.getpid():
            return
        with self._starting:
            if self._pid != os.getpid():
                self._stop = threading.Event()
                self._lock = threading.Lock()
                self.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - keep counting; the batch was given back
                log.exception("counters: flush failed; will retry")

    def flush(self) -> int:
        """Write what was counted; return the number of events written."""
        from service.db.counts import write_batch

        with self._lock:
            batch = self.counts.take()
            if not batch[0] and not batch[1]:
                if isinstance(self.counts, RedisCounts):
                    self.counts.done()
                return 0
            try:
                written = write_batch(self.sessions, *batch)
            except Exception:
                self.counts.give_back(batch)
                raise
            if isinstance(self.counts, RedisCounts):
                self.counts.done()
            return written

    def stop(self) -> None:
        """Stop the thread and write what is left (shutdown: SIGTERM, Ctrl-C, gunicorn worker exit)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.flush()

    def stop_quietly(self) -> None:
        try:
            self.stop()
        except Exception:  # noqa: BLE001 - at exit there is nobody to tell but the log
            log.exception("counters: final flush failed; counts since the last flush are lost")


def init_app(app) -> None:
    """The app's counter and flusher; the flusher thread starts with the first count outside tests."""
    settings = app.config["SETTINGS"]
    counts = make_counts(settings)
    flusher = Flusher(counts, app.extensions["db_sessions"], settings.count_flush_seconds)
    app.extensions["flusher"] = flusher  # flusher.counts is the app's counter
    if not settings.testing:
        atexit.register(flusher.stop_quietly)
        # a worker process of the production server ends through multiprocessing, which skips atexit
        multiprocessing.util.Finalize(None, flusher.stop_quietly, exitpriority=10)
