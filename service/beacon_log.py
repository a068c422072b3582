"""
beacon_log.py
-------------

Beacons counted from nginx's access log, for when a front server answers
`POST /b/...` itself (scripts/nginx-front.conf: `return 204` and one log
line, no Python on the request path). `heritage-ar count-log FILE` reads
the lines from where it stopped, de-duplicates by page load and adds them to
the same daily counts as the app's own beacons (`counters.MemoryCounts` +
`Flusher`).

Line format (nginx `log_format heritage_beacon '$request_method $uri $args';`)::

    POST /b/<slug>/<event> p=<page load>&r=<host>

Durability: the file is the journal. The position read is saved in
`FILE.offset` after each flush is committed, so a restart continues where
the last flush ended: nothing is lost, and a crash between the commit and the
offset write (a few milliseconds) would count that one batch twice. A file
shorter than the saved position was rotated: reading starts again at 0.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from urllib.parse import parse_qs

from service.counters import Flusher
from service.counters import MemoryCounts
from service.counters import clean_host
from service.counters import clean_page_load

log = logging.getLogger(__name__)

EVENTS = ("view", "load", "ar", "embed")


def parse_line(line: str) -> tuple[str, str, str | None, str | None] | None:
    """(slug, event, page load, referrer) of one log line, or None for anything else."""
    parts = line.split(" ", 2)
    if len(parts) < 2 or parts[0] != "POST":
        return None
    path = parts[1].split("/")
    if len(path) != 4 or path[1] != "b" or path[3] not in EVENTS or not 8 <= len(path[2]) <= 64:
        return None
    args = parse_qs(parts[2].strip() if len(parts) > 2 and parts[2].strip() != "-" else "")
    referrer = clean_host(args.get("r", [""])[0]) if path[3] == "embed" else None
    return path[2], path[3], clean_page_load(args.get("p", [""])[0]), referrer


class LogCounter:
    """Reads a beacon log from its saved offset into a counter; `flush()` writes and saves the offset."""

    def __init__(self, path: str | Path, sessions, *, counts: MemoryCounts | None = None) -> None:
        self.path = Path(path)
        self.offset_path = self.path.with_name(self.path.name + ".offset")
        self.counts = counts or MemoryCounts()
        self.flusher = Flusher(self.counts, sessions, interval=0)
        self.offset = int(self.offset_path.read_text()) if self.offset_path.is_file() else 0

    def read(self) -> int:
        """Count the complete lines written since the last read; return how many beacons they held."""
        if not self.path.is_file():
            return 0
        if self.path.stat().st_size < self.offset:
            log.info("count-log: %s is shorter than position %d (rotated); reading from the start", self.path,
                     self.offset)
            self.offset = 0
        counted = 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            for raw in f:
                if not raw.endswith(b"\n"):
                    break  # a line nginx is still writing: next time
                self.offset += len(raw)
                found = parse_line(raw.decode("utf-8", errors="replace").rstrip("\n"))
                if found is not None and self.counts.hit(*found):
                    counted += 1
        return counted

    def flush(self) -> int:
        """Write the counts, then remember how far the file was read."""
        written = self.flusher.flush()
        tmp = self.offset_path.with_name(self.offset_path.name + ".tmp")
        tmp.write_text(str(self.offset))
        os.replace(tmp, self.offset_path)
        return written

    def follow(self, interval: float, stop=lambda: False) -> None:
        """Read and flush every `interval` seconds until `stop()` is true (then once more)."""
        while True:
            self.read()
            self.flush()
            if stop():
                return
            time.sleep(interval)
