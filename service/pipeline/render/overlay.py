"""
overlay.py
----------

Text and end-card graphics for vertical stills and the turntable: a caption
block (title, institution, licence line, hashtags) over a soft dark scrim at
the bottom, and an end card with the QR code of the share link. Text uses the
bundled Noto Sans (assets/fonts, SIL OFL 1.1), which covers Vietnamese
diacritics; Pillow shapes it with its basic layout, which places Vietnamese
stacked marks correctly with Noto's precomposed glyphs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import segno
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFilter
from PIL import ImageFont

from service.pipeline.metadata import LICENCES

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parents[3] / "assets" / "fonts"
REGULAR = FONTS / "NotoSans-Regular.ttf"
BOLD = FONTS / "NotoSans-Bold.ttf"
# share of the frame height the caption block may take (the framing keeps the object above it)
CAPTION_SHARE = 0.3
WHITE = (255, 255, 255, 255)
SOFT = (255, 255, 255, 215)
ACCENT = (255, 214, 120, 255)


def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled font at a pixel size."""
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


def caption_lines(metadata: dict, options: dict) -> list[tuple[str, str]]:
    """(style, text) lines of the caption: title vi and en, institution, licence, hashtags."""
    title = metadata.get("title") or {}
    lines: list[tuple[str, str]] = []
    vi, en = title.get("vi"), title.get("en")
    if vi or en:
        lines.append(("title", vi or en))
    if vi and en and en != vi:
        lines.append(("subtitle", en))
    if metadata.get("institution"):
        lines.append(("body", metadata["institution"]))
    licence = metadata.get("licence")
    credit = metadata.get("attribution") or metadata.get("creator")
    parts = [p for p in (credit, LICENCES.get(licence, (None,))[0] if licence else None) if p]
    if parts:
        lines.append(("small", " · ".join(parts)))
    tags = options.get("hashtags") or []
    if isinstance(tags, str):
        tags = tags.split()
    if tags:
        lines.append(("tags", " ".join(t if t.startswith("#") else f"#{t}" for t in tags)))
    return lines


STYLES = {
    # style -> (size as share of frame width, bold, colour)
    "title": (0.058, True, WHITE),
    "subtitle": (0.036, False, SOFT),
    "body": (0.034, False, WHITE),
    "small": (0.026, False, SOFT),
    "tags": (0.032, True, ACCENT),
}


def caption(size: tuple[int, int], lines: list[tuple[str, str]]) -> Image.Image:
    """A transparent RGBA layer with the caption block at the bottom of the frame.

    Parameters
    ----------
    size : (width, height) pixels
    lines : list of (style, text)
      From `caption_lines`.

    Returns
    -------
    layer : PIL.Image RGBA
    """
    w, h = size
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    if not lines:
        return layer
    margin = int(0.07 * w)
    laid: list[tuple[ImageFont.FreeTypeFont, tuple, str, int]] = []
    for style, text in lines:
        share, bold, colour = STYLES[style]
        f = font(max(12, int(share * w)), bold=bold)
        for row in _wrap(text, f, w - 2 * margin, max_rows=2 if style == "title" else 1):
            laid.append((f, colour, row, int(f.size * (1.25 if style == "title" else 1.45))))
    block = sum(step for *_, step in laid)
    bottom = h - int(0.06 * h)
    top = bottom - block
    # scrim: transparent above, about 60% black behind the text
    scrim_top = max(0, top - int(0.2 * h))
    ramp = np.clip((np.arange(h) - scrim_top) / max(1, top - scrim_top), 0.0, 1.0) ** 1.5 * 140
    alpha = np.repeat(ramp.astype(np.uint8)[:, None], w, axis=1)
    layer.putalpha(Image.fromarray(alpha))
    draw = ImageDraw.Draw(layer)
    y = top
    for f, colour, row, step in laid:
        draw.text((margin, y), row, font=f, fill=colour)
        y += step
    return layer


def text_image(text: str, size_px: int, *, bold: bool = True) -> Image.Image:
    """The string alone, white on black, tightly cropped: a reference for tests."""
    f = font(size_px, bold=bold)
    x0, y0, x1, y1 = f.getbbox(text)
    img = Image.new("L", (x1 - x0 + 4, y1 - y0 + 4), 0)
    ImageDraw.Draw(img).text((2 - x0, 2 - y0), text, font=f, fill=255)
    return img


def end_card(background: np.ndarray, url: str, title: str) -> np.ndarray:
    """The closing frame: the last view blurred and dimmed, a white card with the QR code.

    Parameters
    ----------
    background : (h, w, 3) uint8
      The turntable's last frame.
    url : str
      Share link encoded in the QR code and printed under it.
    title : str
      Artefact title shown above the code.

    Returns
    -------
    frame : (h, w, 3) uint8
    """
    h, w = background.shape[:2]
    base = Image.fromarray(background).filter(ImageFilter.GaussianBlur(w * 0.02))
    base = Image.blend(base, Image.new("RGB", (w, h), (20, 20, 24)), 0.45)
    card_w = int(0.72 * w)
    qr = qr_image(url, int(card_w * 0.8))
    pad = int(0.06 * card_w)
    f_title = font(int(0.05 * w), bold=True)
    f_small = font(int(0.03 * w))
    title_rows = _wrap(title, f_title, card_w - 2 * pad, max_rows=2)
    line = int(f_title.size * 1.3)
    card_h = (
        pad
        + len(title_rows) * line
        + pad // 2
        + qr.height
        + pad // 2
        + 2 * int(f_small.size * 1.5)
        + pad
    )
    card = Image.new("RGBA", (card_w, card_h), (0, 0, 0, 0))
    d = ImageDraw.Draw(card)
    d.rounded_rectangle(
        (0, 0, card_w - 1, card_h - 1), radius=int(0.05 * card_w), fill=(255, 255, 255, 255)
    )
    y = pad
    for row in title_rows:
        d.text((card_w // 2, y), row, font=f_title, fill=(25, 25, 30), anchor="ma")
        y += line
    y += pad // 2
    card.paste(qr, ((card_w - qr.width) // 2, y))
    y += qr.height + pad // 2
    d.text(
        (card_w // 2, y),
        "Quét để xem 3D / AR · Scan to view in 3D & AR",
        font=f_small,
        fill=(60, 60, 70),
        anchor="ma",
    )
    y += int(f_small.size * 1.5)
    short = _wrap(url.split("://", 1)[-1], f_small, card_w - 2 * pad, max_rows=1)[0]
    d.text((card_w // 2, y), short, font=f_small, fill=(110, 110, 120), anchor="ma")
    base = base.convert("RGBA")
    base.alpha_composite(card, ((w - card_w) // 2, (h - card_h) // 2))
    return np.asarray(base.convert("RGB"))


def qr_image(url: str, size: int) -> Image.Image:
    """A black-on-white QR code of the URL, at least `size` pixels wide, crisp modules."""
    qr = segno.make(url, error="m")
    m = np.array([list(row) for row in qr.matrix], dtype=bool)
    m = np.pad(m, 2)  # quiet zone
    scale = max(1, size // len(m))
    img = np.where(np.kron(m, np.ones((scale, scale), bool)), 0, 255).astype(np.uint8)
    return Image.fromarray(img).convert("RGBA")


def compose(frame: np.ndarray, layer: Image.Image) -> np.ndarray:
    """Alpha-blend an RGBA layer over an RGB frame (only the rows the layer touches)."""
    a = np.asarray(layer)
    rows = np.nonzero(a[..., 3].any(axis=1))[0]
    if not len(rows):
        return frame
    r0 = rows[0]
    out = frame.copy()
    top = a[r0:, :, :3].astype(np.uint16)
    alpha = a[r0:, :, 3:4].astype(np.uint16)
    out[r0:] = ((top * alpha + out[r0:].astype(np.uint16) * (255 - alpha) + 127) // 255).astype(
        np.uint8
    )
    return out


def _wrap(text: str, f: ImageFont.FreeTypeFont, width: int, *, max_rows: int) -> list[str]:
    # greedy word wrap; the last row is shortened with an ellipsis
    rows: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if f.getlength(trial) <= width or not current:
            current = trial
        else:
            rows.append(current)
            current = word
    rows.append(current)
    if len(rows) > max_rows:
        rows = rows[:max_rows]
        rows[-1] += " …"
    while len(rows[-1]) > 1 and f.getlength(rows[-1]) > width:
        rows[-1] = rows[-1][:-2].rstrip() + "…"
    return rows
