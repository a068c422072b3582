"""
resumable_upload.py
-------------------

Benchmark (not a test) of the server's memory during a large resumable
upload, docs/uploads.md:

1. starts `heritage-ar serve` (or `serve --production`: granian) in its own
   process on a temporary data dir with local storage;
2. uploads a 2 GB file through the local-mode protocol (POST, PUT parts
   3 at a time, complete), the parts made on the fly, never the whole file;
3. samples the server's RSS (its processes together) every 0.25 s;
4. prints a table (time, bytes sent, RSS) and saves docs/img/uploads-memory.png
   and benchmarks/out/resumable_upload.json.

Run: `PYTHONPATH=. python benchmarks/resumable_upload.py [--gb 2] [--parallel 3] [--production]`
(about a minute; needs GB of free disk in the temporary folder).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.config import Settings  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tests.servers import settings_env  # noqa: E402
from tests.servers import start_cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PLOT = ROOT / "docs" / "img" / "uploads-memory.png"
MB = 1024 * 1024


def part_bytes(number: int, size: int) -> bytes:
    seed = hashlib.sha256(number.to_bytes(4, "big")).digest()
    return (seed * (size // 32 + 1))[:size]


class Sampler(threading.Thread):
    """RSS of a process and its children, with the bytes sent so far, every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.sent = 0
        self.rows: list[tuple[float, int, int]] = []
        self.running = True
        self.t0 = time.monotonic()

    def rss(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def run(self) -> None:
        while self.running:
            self.rows.append((time.monotonic() - self.t0, self.sent, self.rss()))
            time.sleep(self.interval)


def upload(url: str, key: str, size: int, parallel: int, sampler: Sampler) -> dict:
    auth = {"Authorization": f"Bearer {key}"}
    info = requests.post(f"{url}/api/v1/uploads", json={"filename": "bench.e57", "size": size}, headers=auth,
                         timeout=30).json()
    part, total = info["part_size"], info["parts_total"]
    lock = threading.Lock()
    local = threading.local()

    def send(n: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        data = part_bytes(n, min(part, size - (n - 1) * part))
        r = session.put(f"{url}/api/v1/uploads/{info['id']}/parts/{n}", data=data, headers=auth, timeout=120)
        r.raise_for_status()
        with lock:
            sampler.sent += len(data)

    started = time.monotonic()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(send, range(1, total + 1)))
    sent_s = time.monotonic() - started
    done = requests.post(f"{url}/api/v1/uploads/{info['id']}/complete", headers=auth, timeout=600).json()
    complete_s = time.monotonic() - started - sent_s
    requests.delete(f"{url}/api/v1/uploads/{info['id']}", headers=auth, timeout=60)
    return {"parts": total, "part_size": part, "send_seconds": sent_s, "complete_seconds": complete_s,
            "sha256": done.get("sha256")}


def wait_up(url: str, timeout: float = 120) -> None:
    """Until the server answers (production workers take a few seconds to import the app on 2 cores)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def plot(rows, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r[0] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    ax.plot(t, [r[2] / MB for r in rows], color="#b5462f", label="server RSS (MB)")
    ax.set_xlabel("seconds")
    ax.set_ylabel("server RSS (MB)")
    ax.set_ylim(0, max(r[2] for r in rows) / MB * 1.6)
    ax2 = ax.twinx()
    ax2.plot(t, [r[1] / MB / 1024 for r in rows], color="#3b6ea5", linestyle="--", label="uploaded (GB)")
    ax2.set_ylabel("uploaded (GB)")
    ax.set_title(title)
    fig.legend(loc="upper left", bbox_to_anchor=(0.1, 0.88))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("--gb", type=float, default=2.0, help="file size in GB (default 2)")
    parser.add_argument("--parallel", type=int, default=3, help="parts in flight, as uploader.js (default 3)")
    parser.add_argument("--production", action="store_true", help="granian (serve --production) instead of serve")
    parser.add_argument("--plot", type=Path, default=PLOT)
    args = parser.parse_args()
    size = int(args.gb * 1024 * MB)
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    settings = Settings(data_dir=str(work / "var"), start_worker=False, previews=False, ratelimit_enabled=False,
                        max_upload_mb=int(size / MB) + 1)
    env = settings_env(dataclasses.replace(settings.resolved(), testing=False))
    key = subprocess.run([sys.executable, "-m", "service.cli", "keys", "create", "--institution", "Bench"], env=dict(
        env, PYTHONPATH=str(ROOT)), cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip().split()[-1]
    port = free_port()
    serve = ["serve", "--port", str(port)] + (["--production", "--workers", "2"] if args.production else [])
    server = start_cli(serve, env, work / "server.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/healthz")
        time.sleep(3)  # let the workers settle before the baseline
        sampler = Sampler(server.pid)
        sampler.start()
        time.sleep(1)
        result = upload(url, key, size, args.parallel, sampler)
        time.sleep(1)
        sampler.running = False
        sampler.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    rows = sampler.rows
    base, peak, end = rows[0][2], max(r[2] for r in rows), rows[-1][2]
    kind = "granian, 2 workers" if args.production else "serve (threaded)"
    print(f"resumable upload, local storage, {size / MB / 1024:.2f} GB in {result['parts']} parts of "
          f"{result['part_size'] // MB} MB, {args.parallel} at a time, server: {kind}")
    print(f"{'seconds':>8}  {'sent GB':>8}  {'server RSS MB':>14}")
    step = max(1, len(rows) // 12)
    for t, sent, rss in rows[::step] + [rows[-1]]:
        print(f"{t:8.1f}  {sent / MB / 1024:8.2f}  {rss / MB:14.1f}")
    throughput = size / MB / result["send_seconds"]
    print(f"sent in {result['send_seconds']:.1f} s ({throughput:.0f} MB/s); complete (sha256 of the file) "
          f"{result['complete_seconds']:.1f} s")
    print(f"server RSS: start {base / MB:.1f} MB, peak {peak / MB:.1f} MB (+{(peak - base) / MB:.1f}), "
          f"end {end / MB:.1f} MB")
    plot(rows, args.plot, f"Server memory during a {size / MB / 1024:.0f} GB resumable upload ({kind})")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "resumable_upload.json").write_text(json.dumps({
        "size": size, "parallel": args.parallel, "server": kind, **result, "rss_start": base, "rss_peak": peak,
        "rss_end": end, "samples": rows}, indent=1))
    print(f"plot: {args.plot.relative_to(ROOT) if args.plot.is_relative_to(ROOT) else args.plot}")


if __name__ == "__main__":
    main()
