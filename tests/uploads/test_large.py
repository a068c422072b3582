"""A 2 GB resumable upload over real HTTP (local storage): parts generated on the fly (never the whole file in
memory), one part cut off mid-way and sent again, the file complete with the right sha256, and the process's
memory flat all along. benchmarks/resumable_upload.py measures the same with the server in its own process."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from service import create_app
from service.config import Settings
from tests.conftest import LiveServer
from tests.conftest import _stop
from tests.conftest import make_key

pytestmark = pytest.mark.slow

MB = 1024 * 1024
SIZE = 2 * 1024 * MB + 3 * MB + 12345  # over 2 GB, and a short last part


def part_bytes(number: int, size: int) -> bytes:
    """Part `number`'s bytes, made when needed: each 32-byte block depends on the part."""
    seed = hashlib.sha256(number.to_bytes(4, "big")).digest()
    return (seed * (size // 32 + 1))[:size]


class Peak(threading.Thread):
    """Samples this process's RSS every 50 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.05)


def test_a_2_gb_upload_resumes_and_memory_stays_flat(tmp_path):
    app = create_app(Settings(data_dir=str(tmp_path / "var"), testing=True, start_worker=False, previews=False,
                              max_upload_mb=3072, ratelimit_enabled=False))
    live = LiveServer(app)
    auth = {"Authorization": f"Bearer {make_key(app)}"}
    api = f"{live.url}/api/v1/uploads"
    session = requests.Session()
    peak = Peak()
    peak.start()
    try:
        info = session.post(api, json={"filename": "scan.e57", "size": SIZE}, headers=auth, timeout=30).json()
        part, total = info["part_size"], info["parts_total"]
        assert total == 257 and info["mode"] == "local"
        sizes = [min(part, SIZE - (n - 1) * part) for n in range(1, total + 1)]
        started = time.monotonic()
        for n in range(1, total + 1):
            if n == total // 2:  # the connection drops in the middle of a part
                target = urlsplit(live.url)
                with socket.create_connection((target.hostname, target.port), timeout=30) as sock:
                    sock.sendall(f"PUT /api/v1/uploads/{info['id']}/parts/{n} HTTP/1.1\r\nHost: {target.netloc}\r\n"
                                 f"Authorization: {auth['Authorization']}\r\nContent-Length: {sizes[n - 1]}\r\n\r\n"
                                 .encode() + part_bytes(n, sizes[n - 1])[: part // 3])
                continue
            r = session.put(f"{api}/{info['id']}/parts/{n}", data=part_bytes(n, sizes[n - 1]), headers=auth, timeout=60)
            assert r.status_code == 200, r.text
        have = session.get(f"{api}/{info['id']}", headers=auth, timeout=30).json()["parts"]
        missing = sorted(set(range(1, total + 1)) - {p["number"] for p in have})
        assert missing == [total // 2]  # resume: only the cut part is sent again
        for n in missing:
            assert session.put(f"{api}/{info['id']}/parts/{n}", data=part_bytes(n, sizes[n - 1]), headers=auth,
                               timeout=60).status_code == 200
        done = session.post(f"{api}/{info['id']}/complete", headers=auth, timeout=300).json()
        seconds = time.monotonic() - started
        expected = hashlib.sha256()
        for n in range(1, total + 1):
            expected.update(part_bytes(n, sizes[n - 1]))
        assert (done["state"], done["size"], done["sha256"]) == ("complete", SIZE, expected.hexdigest())
        print(f"2 GB upload: {SIZE / MB / seconds:.0f} MB/s, process RSS {peak.base / MB:.0f} -> peak "
              f"{peak.peak / MB:.0f} MB")
        # parts of 8 MB pass through in 1 MB pieces: the file is never in memory (the client holds one part)
        assert peak.peak - peak.base < 150 * MB
        assert session.delete(f"{api}/{info['id']}", headers=auth, timeout=30).status_code == 204
        assert not (tmp_path / "var" / "uploads" / info["id"]).exists()
    finally:
        peak.running = False
        live.stop()
        _stop(app)
