"""Upload speed and client memory of the batch client: streamed multipart vs requests' in-memory `files=`.

Starts `heritage-ar serve` (no worker) in a subprocess on a temporary data folder, uploads random files of
growing size both ways, prints a table and saves benchmarks/out/batch_upload.png.

    PYTHONPATH=. python benchmarks/batch_upload.py [--sizes 1,16,64,256]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from service.batch.client import Api  # noqa: E402

META = {"title": {"en": "benchmark"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(fn) -> tuple[float, float]:
    """Seconds and peak Python memory (MB) of fn()."""
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,16,64,256", help="file sizes in MB")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(REPO), "HERITAGE_AR_DATA_DIR": tmp, "HERITAGE_AR_START_WORKER": "0"}
        cli = [sys.executable, "-m", "service.cli"]
        key = subprocess.run([*cli, "keys", "create", "--institution", "Bench"], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        port = free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(url + "/healthz", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            api = Api(url, key)
            warm = Path(tmp) / "warm.bin"
            warm.write_bytes(os.urandom(1024))
            api.upload([(warm.name, warm)], META)  # first request: imports and database on the server
            rows = []
            for mb in sizes:
                a, b = Path(tmp) / f"a-{mb}.bin", Path(tmp) / f"b-{mb}.bin"
                a.write_bytes(os.urandom(mb * 2**20))
                b.write_bytes(os.urandom(mb * 2**20))
                streamed = measure(lambda a=a: api.upload([(a.name, a)], META))

                def in_memory(b: Path = b) -> None:
                    with open(b, "rb") as f:
                        r = requests.post(url + "/api/v1/artefacts", files={"file": (b.name, f)},
                                          data={"metadata": '{"title": {"en": "benchmark"}}'},
                                          headers={"Authorization": f"Bearer {key}"}, timeout=600)
                    r.raise_for_status()

                plain = measure(in_memory)
                rows.append((mb, *streamed, *plain))
                a.unlink()
                b.unlink()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{'MB':>6} {'streamed s':>11} {'MB/s':>7} {'peak MB':>8} {'files= s':>9} {'MB/s':>7} {'peak MB':>8}")
    for mb, ts, ps, tp, pp in rows:
        print(f"{mb:>6} {ts:>11.2f} {mb / ts:>7.1f} {ps:>8.1f} {tp:>9.2f} {mb / tp:>7.1f} {pp:>8.1f}")
    plot(rows)


def plot(rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [r[0] for r in rows]
    ax.plot(sizes, [r[2] for r in rows], "o-", label="streamed (batch client)")
    ax.plot(sizes, [r[4] for r in rows], "s-", label="requests files= (in memory)")
    ax.set_xlabel("upload size (MB)")
    ax.set_ylabel("client peak Python memory (MB)")
    ax.set_title("heritage-ar batch: upload memory")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "batch_upload.png", dpi=120)
    print(f"plot: {out / 'batch_upload.png'}")


if __name__ == "__main__":
    main()
