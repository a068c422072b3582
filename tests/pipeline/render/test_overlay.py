"""Caption and end card: Vietnamese text with the bundled font, QR code of the share link."""

from __future__ import annotations

import numpy as np
import zxingcpp
from PIL import Image

from service.pipeline.render import overlay
from tests.pipeline.render.textmatch import best_match

TITLE = "Bình gốm men lam thời Lê"
PLAIN = "Binh gom men lam thoi Le"
METADATA = {
    "title": {"vi": TITLE, "en": "Blue-glazed ceramic vase, Lê dynasty"},
    "institution": "Bảo tàng Lịch sử Quốc gia",
    "licence": "CC-BY-4.0",
    "attribution": "Ảnh quét: Nguyễn Văn A",
}


def test_bundled_font_has_every_vietnamese_glyph():
    f = overlay.font(48)
    notdef = np.asarray(f.getmask("\ue000"))  # private use: no glyph, the .notdef box
    for ch in sorted(
        set(
            "ĂÂĐÊÔƠƯăâđêôơư"
            + "ảạấầẩẫậắằẳẵặẻẽẹếềểễệỉịỏọốồổỗộớờởỡợủụứừửữựỳỵỷỹ"
            + TITLE.replace(" ", "")
        )
    ):
        mask = np.asarray(f.getmask(ch))
        assert mask.size and mask.max() > 0, ch
        assert mask.shape != notdef.shape or not np.array_equal(mask, notdef), (
            f"{ch!r} falls back to .notdef"
        )
    assert overlay.REGULAR.is_file() and overlay.BOLD.is_file()
    assert (overlay.FONTS / "OFL.txt").read_text(encoding="utf-8").count(
        "SIL Open Font License"
    ) >= 1


def test_caption_lines_come_from_metadata_and_options():
    lines = overlay.caption_lines(METADATA, {"hashtags": ["disanvietnam", "#gom"]})
    assert lines == [
        ("title", TITLE),
        ("subtitle", "Blue-glazed ceramic vase, Lê dynasty"),
        ("body", "Bảo tàng Lịch sử Quốc gia"),
        ("small", "Ảnh quét: Nguyễn Văn A · CC BY 4.0"),
        ("tags", "#disanvietnam #gom"),
    ]
    assert overlay.caption_lines({}, {}) == []


def test_vietnamese_title_in_caption_matches_reference_rendering():
    w, h = 1080, 1920
    layer = overlay.caption((w, h), overlay.caption_lines(METADATA, {}))
    frame = Image.new("RGB", (w, h), (128, 128, 128))
    frame.paste(layer, (0, 0), layer)
    grey = np.asarray(frame.convert("L"))
    size = int(overlay.STYLES["title"][0] * w)
    score, (row, _) = best_match(grey, np.asarray(overlay.text_image(TITLE, size)))
    plain, _ = best_match(grey, np.asarray(overlay.text_image(PLAIN, size)))
    assert score > 0.95
    assert plain < score - 0.04  # the diacritics are there, not just the base letters
    assert row > h * (1 - overlay.CAPTION_SHARE)  # in the caption block at the bottom


def test_long_title_wraps_and_ellipsises():
    f = overlay.font(60, bold=True)
    rows = overlay._wrap("Bình gốm men lam " * 20, f, 900, max_rows=2)
    assert len(rows) == 2 and rows[-1].endswith("…")
    assert all(f.getlength(r) <= 900 for r in rows)


def test_end_card_qr_code_decodes_to_the_link():
    url = "https://heritage.example/a/42?lang=vi"
    bg = np.full((1920, 1080, 3), 180, np.uint8)
    card = overlay.end_card(bg, url, TITLE)
    assert card.shape == bg.shape
    found = zxingcpp.read_barcodes(Image.fromarray(card))
    assert [(r.text, r.format) for r in found] == [(url, zxingcpp.BarcodeFormat.QRCode)]


def test_empty_caption_is_transparent():
    layer = overlay.caption((200, 400), [])
    assert np.asarray(layer)[..., 3].max() == 0
