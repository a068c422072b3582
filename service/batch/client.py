"""
client.py
---------

A small HTTP client for the heritage-ar API, made for bad museum networks:
uploads stream from disk with a byte counter (no whole-file copies in
memory), and every request is retried with exponential backoff and jitter
on connection loss, timeouts, 429 and 5xx. A 4xx answer is final: it
becomes `UploadRejected` with the server's own message.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

from service.errors import ServerUnreachable
from service.errors import UploadRejected

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class MultipartFile:
    """A multipart/form-data body read lazily from disk.

    `requests` sends a file-like body with a known length as a normal
    Content-Length request and calls `read()` in chunks, which is where
    the byte counter hooks in.
    """

    def __init__(self, parts: list[tuple[str, Path]], metadata: dict, on_bytes: Callable[[int], None] | None = None):
        self.boundary = uuid.uuid4().hex
        self.on_bytes = on_bytes or (lambda n: None)
        b = self.boundary
        meta = json.dumps(metadata, ensure_ascii=False).encode("utf-8")
        self._pieces: list[bytes | Path] = [
            f'--{b}\r\nContent-Disposition: form-data; name="metadata"\r\n'
            f"Content-Type: application/json; charset=utf-8\r\n\r\n".encode() + meta + b"\r\n"
        ]
        for name, path in parts:
            quoted = name.replace("\\", "\\\\").replace('"', "%22")
            self._pieces.append(
                f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            self._pieces.append(Path(path))
            self._pieces.append(b"\r\n")
        self._pieces.append(f"--{b}--\r\n".encode())
        self.len = sum(len(p) if isinstance(p, bytes) else os.path.getsize(p) for p in self._pieces)
        self._index = 0
        self._open = None
        self._buffer = b""

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self.len

    def read(self, size: int = -1) -> bytes:
        size = 1 << 16 if size is None or size < 0 else size
        out = bytearray()
        while len(out) < size and self._index < len(self._pieces):
            piece = self._pieces[self._index]
            if isinstance(piece, bytes):
                if not self._buffer:
                    self._buffer = piece
                take, self._buffer = self._buffer[: size - len(out)], self._buffer[size - len(out):]
                out += take
                if not self._buffer:
                    self._index += 1
                continue
            if self._open is None:
                self._open = open(piece, "rb")  # noqa: SIM115 - kept open across read() calls, closed below
            chunk = self._open.read(size - len(out))
            if chunk:
                out += chunk
            else:
                self._open.close()
                self._open = None
                self._index += 1
        if out:
            self.on_bytes(len(out))
        return bytes(out)

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None


class Api:
    """The artefacts API of one server, with retries.

    Parameters
    ----------
    server : str
      Base URL, e.g. https://ar.museum.vn
    key : str
      API key of the institution.
    retries : int
      Attempts after the first one for a failing request.
    backoff : float
      First wait in seconds; doubled each attempt (with jitter), at most 60 s.
    """

    def __init__(self, server: str, key: str, *, retries: int = 6, backoff: float = 1.0, timeout: float = 60) -> None:
        self.server = server.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.session.headers["User-Agent"] = "heritage-ar-batch/1"

    def upload(self, parts: list[tuple[str, Path]], metadata: dict, on_bytes: Callable[[int], None] | None = None,
               on_retry: Callable[[], None] | None = None) -> dict:
        """POST the files and metadata; returns the answer (id, status, links, duplicate)."""

        def send() -> requests.Response:
            if on_retry is not None:
                on_retry()
            body = MultipartFile(parts, metadata, on_bytes)
            try:
                return self.session.post(self.server + "/api/v1/artefacts", data=body,
                                         headers={"Content-Type": body.content_type}, timeout=self.timeout)
            finally:
                body.close()

        return self._json(self._retry("upload", send))

    def get(self, url: str) -> dict:
        """GET an API URL (absolute, or a path on the server) as JSON."""
        if url.startswith("/"):
            url = self.server + url
        return self._json(self._retry(f"GET {url}", lambda: self.session.get(url, timeout=self.timeout)))

    def patch_metadata(self, artefact_id: str, metadata: dict) -> dict:
        """Replace the catalogue fields of an artefact (a corrected spreadsheet row)."""
        url = f"{self.server}/api/v1/artefacts/{artefact_id}"
        return self._json(self._retry(f"PATCH {url}", lambda: self.session.patch(url, json=metadata,
                                                                                  timeout=self.timeout)))

    def fetch(self, url: str, *, limit: int = 8 << 20) -> bytes | None:
        """Download a small public file (a poster); None when it is missing or too big."""
        try:
            with requests.get(url, timeout=self.timeout, stream=True) as r:
                if r.status_code != 200:
                    return None
                data = r.raw.read(limit + 1, decode_content=True)
                return data if len(data) <= limit else None
        except requests.RequestException:
            log.warning("fetch: %s failed", url, exc_info=True)
            return None

    def _retry(self, what: str, send: Callable[[], requests.Response]) -> requests.Response:
        last, asked = "", 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                wait = min(60.0, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)
                wait = max(wait, min(asked, 300.0))  # a 429's Retry-After, within reason
                log.info("%s: %s; retry %d/%d in %.1f s", what, last, attempt, self.retries, wait)
                time.sleep(wait)
            try:
                response = send()
            except (requests.ConnectionError, requests.Timeout) as e:
                last = f"network error ({type(e).__name__})"
                continue
            if response.status_code in RETRY_STATUS:
                last = f"server answered {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
                asked = float(retry_after) if retry_after.isdigit() else 0.0
                continue
            return response
        raise ServerUnreachable(f"{what}: gave up after {self.retries + 1} attempts ({last}); check the network "
                                f"and the server at {self.server}, then run the same command again to resume")

    @staticmethod
    def _json(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            message = error.get("message") if isinstance(error, dict) else response.text[:300]
            code = error.get("code") if isinstance(error, dict) else str(response.status_code)
            raise UploadRejected(f"server refused ({response.status_code} {code}): {message}",
                                 http_status=response.status_code)
        return body
