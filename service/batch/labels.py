"""
labels.py
---------

A printable A4 sheet of QR labels (PDF): one cell per ready artefact with
its QR code, title and accession number, for display cases and storage
boxes. QR codes are drawn as vector squares (sharp at any printer
resolution); text uses a TrueType font with Vietnamese glyphs, embedded in
the PDF, and is NFC-normalised first because spreadsheets from macOS often
hold decomposed diacritics that a PDF would draw as loose marks.

NOTES
  Cell 3 x 7 on A4 with 10 mm margins: 63 x 39 mm, QR 27 mm (about 1 mm per
  module for a 25-module code, which phones read at arm's length).
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import segno

from service.errors import MissingFile

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
# first match wins: a font bundled in the repo, then Debian's fonts-dejavu-core
FONT_CANDIDATES = (
    REPO / "assets" / "fonts" / "NotoSans-Regular.ttf",
    REPO / "assets" / "fonts" / "DejaVuSans.ttf",
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
)
FONT_NAME = "LabelSans"
MM = 72 / 25.4
COLS = 3
ROWS = 7
MARGIN_MM = 10.0


def find_font() -> Path:
    """The TTF used for labels; fails with what to install when none is found."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    raise MissingFile("labels: no font with Vietnamese glyphs found; install the Debian package "
                      "fonts-dejavu-core (scripts/setup.sh does) or put DejaVuSans.ttf in assets/fonts/")


def write_labels(labels: list[dict], path: Path, *, cols: int = COLS, rows: int = ROWS, margin_mm: float = MARGIN_MM,
                 heading: str | None = None) -> Path:
    """Draw the label sheet.

    Parameters
    ----------
    labels : list of dict
      Each with "url" (encoded in the QR), "title" and "accession_number".
    path : Path
      The PDF to write.
    cols, rows : int
      Grid per A4 page.
    margin_mm : float
      Page margin.

    Returns
    -------
    path : Path
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = find_font()
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(font)))
    path.parent.mkdir(parents=True, exist_ok=True)
    page_w, page_h = A4
    margin = margin_mm * MM
    cell_w = (page_w - 2 * margin) / cols
    cell_h = (page_h - 2 * margin) / rows
    qr_size = min(cell_w, cell_h) * 0.70
    pdf = canvas.Canvas(str(path), pagesize=A4, pageCompression=1)
    pdf.setTitle(heading or "heritage-ar QR labels")
    pdf.setCreator("heritage-ar batch")
    per_page = cols * rows
    for i, label in enumerate(labels):
        if i and i % per_page == 0:
            pdf.showPage()
        slot = i % per_page
        x = margin + (slot % cols) * cell_w
        y = page_h - margin - (slot // cols + 1) * cell_h
        _cut_marks(pdf, x, y, cell_w, cell_h)
        _draw_qr(pdf, label["url"], x + (cell_w - qr_size) / 2, y + cell_h - qr_size - 1 * MM, qr_size)
        title = unicodedata.normalize("NFC", label.get("title") or "")
        lines = simpleSplit(title, FONT_NAME, 7.5, cell_w - 4 * MM)[:2]
        if len(simpleSplit(title, FONT_NAME, 7.5, cell_w - 4 * MM)) > 2:
            lines[-1] = _ellipsis(lines[-1], cell_w - 4 * MM, pdfmetrics)
        ty = y + cell_h - qr_size - 4.5 * MM
        pdf.setFont(FONT_NAME, 7.5)
        for line in lines:
            pdf.drawCentredString(x + cell_w / 2, ty, line)
            ty -= 8.5
        accession = unicodedata.normalize("NFC", label.get("accession_number") or "")
        if accession:
            pdf.setFont(FONT_NAME, 6.5)
            pdf.drawCentredString(x + cell_w / 2, ty, accession)
    if not labels:
        pdf.setFont(FONT_NAME, 11)
        pdf.drawString(margin, page_h - margin - 11, "No artefact is ready yet: no labels to print.")
    pdf.showPage()
    pdf.save()
    log.info("labels: %d labels on %d page(s) -> %s", len(labels), max(1, -(-len(labels) // per_page)), path)
    return path


def _draw_qr(pdf, url: str, x: float, y: float, size: float) -> None:
    """Vector QR code with its quiet zone inside `size`; one rectangle per run of dark modules."""
    qr = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    n = len(matrix)
    module = size / n
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + (n - 1 - r) * module, (c - start) * module, module,
                         stroke=0, fill=1)
            else:
                c += 1


def _cut_marks(pdf, x: float, y: float, w: float, h: float) -> None:
    pdf.setStrokeColorRGB(0.8, 0.8, 0.8)
    pdf.setLineWidth(0.3)
    pdf.rect(x, y, w, h, stroke=1, fill=0)


def _ellipsis(line: str, width: float, pdfmetrics) -> str:
    while line and pdfmetrics.stringWidth(line + "…", FONT_NAME, 7.5) > width:
        line = line[:-1]
    return line.rstrip() + "…"
