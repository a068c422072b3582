"""
state.py
--------

The resume file. One JSON document per collection, rewritten atomically
(temp file + rename) after every change, so a Ctrl-C, a crash or a power
cut leaves the last good state. Entries are grouped by target (server URL
or local folder), so the same collection can go to staging and production.

An entry records what was sent (`fingerprint`), what the server called it
(`artefact_id`, `job_url`) and where it got to (`status`). A rerun skips
finished entries, polls unfinished ones and uploads the rest; an upload
whose answer was lost in the crash is recognised by the server's content
hash, so it is never created twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 1


class State:
    """A thread-safe, crash-safe record of a batch run.

    Parameters
    ----------
    path : Path
      The JSON file (created on first save).
    target : str
      Server URL or output location this run talks to.
    """

    def __init__(self, path: Path, target: str) -> None:
        self.path = Path(path)
        self.target = target
        self._lock = threading.Lock()
        self.doc = {"version": VERSION, "targets": {}, "hashes": {}}
        if self.path.exists():
            try:
                self.doc = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError:
                backup = self.path.with_suffix(".broken.json")
                os.replace(self.path, backup)
                log.warning("state: %s was damaged; kept as %s and starting afresh", self.path, backup.name)
        self.doc.setdefault("targets", {}).setdefault(target, {})
        self.doc.setdefault("hashes", {})

    @property
    def entries(self) -> dict[str, dict]:
        return self.doc["targets"][self.target]

    def get(self, key: str) -> dict:
        with self._lock:
            return dict(self.entries.get(key) or {})

    def update(self, key: str, **fields) -> dict:
        """Merge `fields` into the entry of `key` and save at once."""
        with self._lock:
            entry = self.entries.setdefault(key, {})
            entry.update(fields)
            entry["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self._save()
            return dict(entry)

    def save_hashes(self, hashes: dict) -> None:
        with self._lock:
            self.doc["hashes"] = hashes
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.doc, f, ensure_ascii=False, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
