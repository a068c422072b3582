"""Fixtures and checks shared by the batch tests: the test collection, link checks, label decoding."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import requests

from service.batch.labels import COLS
from service.batch.labels import MARGIN_MM
from service.batch.labels import ROWS
from service.config import Settings
from tests.batch.collection import make_collection
from tests.batch.collection import write_csv
from tests.conftest import _stop
from tests.conftest import start_live


def _live(tmp_path, **settings):
    server = start_live(Settings(data_dir=str(tmp_path / "live"), testing=True, start_worker=True, worker_threads=2,
                                 **settings))
    yield server
    server.stop()
    _stop(server.app)


@pytest.fixture
def live(tmp_path):
    """Like the suite's `live`, with two worker threads (a collection is many jobs, CI has 2 cores) and
    no previews: rendering stills and a turntable triples a job's time and is not what these tests check."""
    yield from _live(tmp_path, previews=False)


@pytest.fixture
def live_previews(tmp_path):
    """A live server that renders posters (and a 1 s turntable) for the report's thumbnails."""
    yield from _live(tmp_path, previews=True, turntable_seconds=1)


@pytest.fixture
def collection(tmp_path, corpus) -> Path:
    """The five-artefact CSV manifest (one broken) with its files under tmp_path/coll."""
    rows = make_collection(tmp_path / "coll", corpus)
    return write_csv(rows, tmp_path / "coll" / "manifest.csv")


def read_report(path: Path) -> dict[str, dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {row["key"]: row for row in csv.DictReader(f)}


def report_links(html_path: Path, csv_rows: dict[str, dict]) -> set[str]:
    """Every http(s) link of the report: the HTML's hrefs and the CSV's URL columns."""
    links = set(re.findall(r'href="(https?://[^"]+)"', html_path.read_text(encoding="utf-8")))
    for row in csv_rows.values():
        links |= {v for k, v in row.items() if k != "embed_snippet" and v.startswith(("http://", "https://"))}
    return links


def check_links(links: set[str], key: str) -> set[str]:
    """GET every link (API links with the key, redirects followed); each must answer 200."""
    checked = set()
    headers = {"Authorization": f"Bearer {key}"}
    for url in sorted(links):
        r = requests.get(url, headers=headers if "/api/" in url else {}, timeout=30)
        assert r.status_code == 200, f"{url} answered {r.status_code}"
        checked.add(url)
    return checked


def decode_labels(pdf_path: Path, count: int) -> list[str]:
    """Render the label sheet's first page and decode the QR code of each of the first `count` cells."""
    import cv2
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    scale = 4
    image = np.array(pdf[0].render(scale=scale).to_pil().convert("L"))
    pdf.close()
    h, w = image.shape
    margin = MARGIN_MM / 25.4 * 72 * scale
    cell_w = (w - 2 * margin) / COLS
    cell_h = (h - 2 * margin) / ROWS
    # the ArUco-based detector: the classic QRCodeDetector misses some random slugs (tests/viewer/helpers.py)
    detector = cv2.QRCodeDetectorAruco()
    out = []
    for i in range(count):
        x0 = int(margin + (i % COLS) * cell_w)
        y0 = int(margin + (i // COLS) * cell_h)
        cell = image[y0:int(y0 + cell_h), x0:int(x0 + cell_w)]
        text, _, _ = detector.detectAndDecode(cell)
        out.append(text)
    return out


def server_artefacts(url: str, key: str) -> list[dict]:
    body = requests.get(f"{url}/api/v1/artefacts?per_page=100", headers={"Authorization": f"Bearer {key}"},
                        timeout=30).json()
    return body["items"]
