"""
progress.py
-----------

How a batch run talks to the person (or cron job) watching it. Three
displays share one small interface (`start`, `stage`, `finish`, `close`):

- `BarsDisplay`: an overall bar with ETA plus one bar per artefact in
  flight showing its stage (hash, upload, then the server's stages);
- `JsonlDisplay`: one JSON object per line on stdout, for logs and cron;
- `QuietDisplay`: nothing but failures, on stderr.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO

from tqdm import tqdm


class QuietDisplay:
    """Silent except for artefacts that did not end ready (cron mails only when something broke)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def start(self, total: int, done: int = 0) -> None:
        pass

    def stage(self, key: str, stage: str, pct: float) -> None:
        pass

    def finish(self, key: str, status: str, message: str = "") -> None:
        if status != "ready":
            print(f"{key}: {status}: {message}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class JsonlDisplay:
    """JSON lines: {"t", "event", ...}; stage events only when the stage changes or moves 10 %."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._last: dict[str, tuple[str, int]] = {}

    def _emit(self, event: str, **fields) -> None:
        line = json.dumps({"t": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields},
                          ensure_ascii=False)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def start(self, total: int, done: int = 0) -> None:
        self._emit("start", total=total, done=done)

    def stage(self, key: str, stage: str, pct: float) -> None:
        step = int(pct // 10)
        if self._last.get(key) == (stage, step):
            return
        self._last[key] = (stage, step)
        self._emit("stage", key=key, stage=stage, pct=round(pct, 1))

    def finish(self, key: str, status: str, message: str = "") -> None:
        self._emit("done", key=key, status=status, message=message)

    def note(self, message: str) -> None:
        self._emit("note", message=message)

    def close(self) -> None:
        pass


class BarsDisplay:
    """tqdm bars on stderr: overall (with ETA) on top, one per artefact in flight below."""

    def __init__(self, stream: TextIO | None = None, max_bars: int = 8) -> None:
        self.stream = stream or sys.stderr
        self.max_bars = max_bars
        self._lock = threading.Lock()
        self._bars: dict[str, tqdm] = {}
        self._free = list(range(1, max_bars + 1))
        self.overall: tqdm | None = None

    def start(self, total: int, done: int = 0) -> None:
        self.overall = tqdm(total=total, initial=done, desc="collection", unit="artefact", position=0,
                            file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def stage(self, key: str, stage: str, pct: float) -> None:
        with self._lock:
            bar = self._bars.get(key)
            if bar is None:
                if not self._free:
                    return
                bar = tqdm(total=100, position=self._free.pop(0), leave=False, file=self.stream,
                           dynamic_ncols=True, bar_format="  {desc:<34} {percentage:3.0f}% |{bar}|")
                self._bars[key] = bar
            bar.set_description_str(f"{key[:20]:<20} {stage[:12]}", refresh=False)
            bar.n = max(0.0, min(100.0, pct))
            bar.refresh()

    def finish(self, key: str, status: str, message: str = "") -> None:
        with self._lock:
            bar = self._bars.pop(key, None)
            if bar is not None:
                self._free.append(bar.pos if bar.pos > 0 else abs(bar.pos))
                self._free.sort()
                bar.close()
            if self.overall is not None:
                if status != "ready":
                    self.overall.write(f"{key}: {status}: {message}", file=self.stream)
                self.overall.update(1)

    def note(self, message: str) -> None:
        if self.overall is not None:
            self.overall.write(message, file=self.stream)

    def close(self) -> None:
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()
            if self.overall is not None:
                self.overall.close()


def make_display(mode: str):
    """"bars" (default), "jsonl" or "quiet"."""
    return {"bars": BarsDisplay, "jsonl": JsonlDisplay, "quiet": QuietDisplay}[mode]()
