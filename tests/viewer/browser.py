"""Real headless Chromium for viewer tests (Debian's chromium driven by Playwright, never a downloaded build)."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
LOADED = "() => document.querySelector('model-viewer') && document.querySelector('model-viewer').loaded === true"
# model-viewer renders with WebGL on the CPU here (SwiftShader); a first load takes seconds, not minutes
LOAD_TIMEOUT_MS = 120_000


def launch(playwright, *extra_args: str):
    """Debian's Chromium, headless, with the flags this closed network needs (plus `extra_args`)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra_args])


class PageLog:
    """Console messages, page errors and every request of one page (frames included)."""

    def __init__(self, page) -> None:
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"] + self.errors


def origin(url: str) -> str:
    """The origin of a URL; blob: URLs carry their creator's origin."""
    url = url.removeprefix("blob:")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def not_blank(png: bytes, *, min_share: float = 0.02) -> float:
    """Share of pixels that differ clearly from the image's most common colour (the background)."""
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3).astype(int)
    colours, counts = np.unique(img, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    share = float((np.abs(img - background).sum(axis=1) > 60).mean())
    assert share >= min_share, f"screenshot looks blank: only {share:.1%} of pixels differ from the background"
    return share


class PageServer:
    """A second origin: serves one HTML page from memory on its own port."""

    def __init__(self, html: str) -> None:
        body = html.encode("utf-8")

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # "localhost" vs the app's "127.0.0.1", and another port: a different origin twice over
        self.url = f"http://localhost:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
