"""QR codes of share links, decoded with a real decoder (OpenCV's QR detector)."""

from __future__ import annotations

import io

import pytest
from lxml import etree
from PIL import Image

from service.api.viewer_qr import qr_png
from tests.viewer.helpers import decode_qr
from tests.viewer.helpers import fetch


def decode(png: bytes) -> str | None:
    return decode_qr(png)


def test_png_decodes_to_the_short_link_marked_as_a_scan(ready):
    slug = ready.art["links"]["share"].rsplit("/", 1)[1]
    resp = fetch(ready.client, f"/qr/{slug}.png?size=300")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert decode(resp.data) == ready.art["links"]["short"] + "?q"  # /s/ counts it as a QR scan
    width, height = Image.open(io.BytesIO(resp.data)).size
    assert width == height and 200 < width <= 300


def test_caption_goes_under_the_code(ready):
    slug = ready.art["links"]["share"].rsplit("/", 1)[1]
    resp = fetch(ready.client, f"/qr/{slug}.png?size=400&caption=1")
    width, height = Image.open(io.BytesIO(resp.data)).size
    assert height > width  # a caption band below the code
    assert decode(resp.data) == ready.art["links"]["short"] + "?q"  # /s/ counts it as a QR scan
    svg = fetch(ready.client, f"/qr/{slug}.svg?caption=%3Cscript%3EBảo%20tàng")
    assert svg.mimetype == "image/svg+xml"
    root = etree.fromstring(svg.data)
    texts = root.findall(".//{http://www.w3.org/2000/svg}text")
    assert [t.text for t in texts] == ["<script>Bảo tàng"]  # parsed as text, not markup
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")


def test_high_error_correction_survives_a_covered_centre():
    png = qr_png("https://ar.example.vn/ar/abcdefghijklmnopqrstuv", size=400)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    w, h = img.size
    # a logo or sticker over ~12 % of the area: level H restores up to 30 % of codewords
    img.paste((255, 255, 255), (int(w * 0.38), int(h * 0.38), int(w * 0.62), int(h * 0.62)))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert decode(buf.getvalue()) == "https://ar.example.vn/ar/abcdefghijklmnopqrstuv"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/qr/{slug}.png?size=big", 400, id="bad-size"),
        pytest.param("/qr/{slug}.png?caption=" + "x" * 81, 400, id="long-caption"),
        pytest.param("/qr/{slug}.gif", 404, id="unknown-format"),
        pytest.param("/qr/nosuchslug123.svg", 404, id="unknown-slug"),
    ],
)
def test_bad_requests(ready, path, status):
    slug = ready.art["links"]["share"].rsplit("/", 1)[1]
    resp = fetch(ready.client, path.format(slug=slug))
    assert resp.status_code == status and resp.get_json()["error"]["message"]


def test_size_is_clamped(ready):
    slug = ready.art["links"]["share"].rsplit("/", 1)[1]
    tiny = Image.open(io.BytesIO(fetch(ready.client, f"/qr/{slug}.png?size=1").data)).size[0]
    huge = Image.open(io.BytesIO(fetch(ready.client, f"/qr/{slug}.png?size=99999").data)).size[0]
    assert tiny >= 37 and huge <= 2048  # one pixel per module at least; never above the cap
