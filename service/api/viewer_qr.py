"""
viewer_qr.py
------------

QR codes of share links for video overlays, posters and labels: SVG or PNG,
high error correction (a logo or a video filter may cover part of it), a
size in pixels, and an optional caption under the code (the short link, or
text the creator chooses).

NOTES: segno writes SVG and PNG without Pillow; Pillow only draws the PNG
caption, with Noto Sans (fonts-noto-core) so Vietnamese diacritics render.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from service.errors import BadRequest

log = logging.getLogger(__name__)

QR_DEFAULTS = {"size": 512, "border": 4}
SIZE_RANGE = (64, 2048)
CAPTION_MAX = 80
_FONTS = (
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _qr(text: str) -> segno.QRCode:
    # error="h" restores up to 30 % of the symbol; boost_error=False keeps it exactly H
    return segno.make_qr(text, error="h", boost_error=False)


def _scale(code: segno.QRCode, size: int, border: int) -> int:
    modules = code.symbol_size(scale=1, border=border)[0]
    return max(1, size // modules)


def qr_svg(text: str, *, size: int = QR_DEFAULTS["size"], caption: str | None = None) -> bytes:
    """An SVG QR code about `size` px wide, with an optional caption line under it.

    Parameters
    ----------
    text : str
      What the code holds (a share link).
    size : int
      Target width in pixels; the code uses whole pixels per module, so it may be a little smaller.
    caption : str or None
      Text printed under the code (escaped).
    """
    code = _qr(text)
    border = QR_DEFAULTS["border"]
    scale = _scale(code, size, border)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True, nl=False,
              title=text if caption is None else caption)
    svg = out.getvalue().decode("utf-8")
    if not caption:
        return svg.encode("utf-8")
    width, height = code.symbol_size(scale=scale, border=border)
    font = max(12, width // 18)
    extra = font * 2
    svg = svg.replace(f'height="{height}"', f'height="{height + extra}"', 1)
    svg = svg.replace(f'viewBox="0 0 {width} {height}"', f'viewBox="0 0 {width} {height + extra}"', 1)
    text_el = (
        f'<rect x="0" y="{height}" width="{width}" height="{extra}" fill="#fff"/>'
        f'<text x="{width / 2:g}" y="{height + font * 1.2:g}" font-family="Noto Sans, DejaVu Sans, sans-serif" '
        f'font-size="{font}" text-anchor="middle" fill="#000">{escape(caption)}</text>'
    )
    return svg.replace("</svg>", text_el + "</svg>").encode("utf-8")


def qr_png(text: str, *, size: int = QR_DEFAULTS["size"], caption: str | None = None) -> bytes:
    """A PNG QR code about `size` px wide (black on white), with an optional caption under it."""
    code = _qr(text)
    border = QR_DEFAULTS["border"]
    scale = _scale(code, size, border)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border, dark="#000", light="#fff")
    if not caption:
        return out.getvalue()
    img = Image.open(io.BytesIO(out.getvalue())).convert("RGB")
    width, height = img.size
    font_px = max(12, width // 18)
    canvas = Image.new("RGB", (width, height + font_px * 2), "white")
    canvas.paste(img, (0, 0))
    draw = ImageDraw.Draw(canvas)
    font = _font(font_px)
    draw.text((width / 2, height + font_px), caption, fill="black", font=font, anchor="mm")
    buf = io.BytesIO()
    canvas.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _font(px: int) -> ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, px)
    log.warning("qr: no Noto Sans or DejaVu font; install fonts-noto-core for Vietnamese captions")
    return ImageFont.load_default(size=px)


def parse_size(raw: str | None) -> int:
    """The `size` query parameter in pixels, clamped to SIZE_RANGE; BadRequest if not a number."""
    if not raw:
        return QR_DEFAULTS["size"]
    if not raw.isdigit():
        raise BadRequest(f"qr: size must be a whole number of pixels ({SIZE_RANGE[0]}-{SIZE_RANGE[1]}), got {raw!r}")
    return min(max(int(raw), SIZE_RANGE[0]), SIZE_RANGE[1])
