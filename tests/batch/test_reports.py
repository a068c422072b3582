"""Reports without a server: label sheet text and QR codes, HTML posters, CSV for Excel, progress displays."""

from __future__ import annotations

import io
import unicodedata

import pypdfium2 as pdfium
from PIL import Image

from service.batch.labels import find_font
from service.batch.labels import write_labels
from service.batch.progress import BarsDisplay
from service.batch.progress import JsonlDisplay
from service.batch.report import write_csv
from service.batch.report import write_html
from tests.batch.conftest import decode_labels

TITLES = ["Trống đồng Ngọc Lũ", "Tượng Phật bà Quan Âm nghìn mắt nghìn tay", ("Ấm trà men rạn Bát Tràng thế kỷ 18, "
          "có nắp, quai và vòi cong hình đầu rồng, vẽ lam cảnh sơn thủy hữu tình")]


def test_label_sheet_text_keeps_vietnamese_and_qr_codes_decode(tmp_path):
    labels = [{"url": f"https://ar.museum.vn/ar/slug-{i}", "title": unicodedata.normalize("NFD", t),
               "accession_number": f"BTLS-{i:04d}"} for i, t in enumerate(TITLES * 8)]  # 24 labels: two pages
    pdf_path = write_labels(labels, tmp_path / "labels.pdf")
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        text = pdf[0].get_textpage().get_text_range()
        fonts = pdf_path.read_bytes()
    finally:
        pdf.close()
    # decomposed input (macOS spreadsheets) comes out as the precomposed letters a reader expects
    assert "Trống đồng Ngọc Lũ" in text and "BTLS-0000" in text and "Tượng Phật bà Quan Âm" in text
    assert "…" in text  # the long title is cut to two lines
    assert find_font().stem.encode() in fonts or b"LabelSans" in fonts
    assert decode_labels(pdf_path, 3) == [label["url"] for label in labels[:3]]


def test_empty_label_sheet_says_so(tmp_path):
    pdf = pdfium.PdfDocument(str(write_labels([], tmp_path / "labels.pdf")))
    try:
        assert "No artefact is ready yet" in pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()


def row(**kw) -> dict:
    base = {"key": "K-1", "source": "row 2", "accession_number": "K-1", "title_vi": "Bình gốm", "title_en": "Jar",
            "status": "ready", "error": "", "artefact_id": "a1", "share": "https://x.vn/ar/s1", "short": "",
            "embed": "https://x.vn/embed/s1", "embed_snippet": '<iframe src="https://x.vn/embed/s1"></iframe>',
            "qr": "", "model": "https://x.vn/files/m.glb", "poster": "https://x.vn/files/poster.jpg", "job": "",
            "api": ""}
    return {**base, **kw}


def test_html_embeds_posters_and_qr_codes(tmp_path):
    poster = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 40, 30)).save(poster, format="PNG")
    asked = []

    def fetch(url):
        asked.append(url)
        return poster.getvalue()

    rows = [row(), row(key="K-2", status="failed", error="load: <bad> file", share="", embed="", embed_snippet="",
                       poster="")]
    html = write_html(rows, tmp_path / "r.html", title="Bộ sưu tập", fetch=fetch).read_text(encoding="utf-8")
    assert asked == ["https://x.vn/files/poster.jpg"]
    assert html.count("data:image/jpeg;base64,") == 1 and html.count("data:image/svg+xml") == 1
    assert "load: &lt;bad&gt; file" in html and "&lt;iframe src=" in html
    assert "1 failed, 1 ready" in html


def test_csv_opens_in_excel_with_diacritics(tmp_path):
    data = write_csv([row()], tmp_path / "r.csv").read_bytes()
    assert data.startswith("\ufeff".encode()) and "Bình gốm".encode() in data


def test_progress_displays():
    err = io.StringIO()
    bars = BarsDisplay(stream=err)
    bars.start(2)
    bars.stage("BT-1", "upload", 50)
    bars.finish("BT-1", "ready")
    bars.finish("BT-2", "failed", "load: bad file")
    bars.close()
    out = err.getvalue()
    assert "collection" in out and "BT-1" in out and "upload" in out and "BT-2: failed: load: bad file" in out
    assert "2/2" in out
    lines = io.StringIO()
    jsonl = JsonlDisplay(lines)
    for pct in (1, 2, 3, 15, 16):
        jsonl.stage("BT-1", "upload", pct)
    assert lines.getvalue().count('"event": "stage"') == 2  # only when the stage or its 10 % step changes
