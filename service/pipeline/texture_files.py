"""
texture_files.py
----------------

Texture images as the writers need them (glTF, USDZ, every level): fitted
to a level's size, encoded once (JPEG/PNG, WebP for browser levels), factors
baked in for formats that cannot multiply at render time, and keyed by
content so copies of one texture are written once. Results are kept on the
image objects, so levels that share a size resize and encode once.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

from service.pipeline.icc import srgb_decode
from service.pipeline.icc import srgb_encode

# JPEG quality of delivered textures: q85 4:2:0 is 12 % smaller than q88 on
# the benchmark atlas and its texture error stays below glTF-Transform's q80
JPEG_QUALITY = 85
# WebP for the browser levels (thumb, web): on the bali mask's 2048 texture
# q85 is 36 % smaller than JPEG q85 at a higher PSNR (38.5 vs 38.0 dB);
# method 2 is 3x faster than 4 for 3 % more bytes (0.3 s on a 4096 atlas)
WEBP_QUALITY = 85
WEBP_METHOD = 2

# attributes under which resized images and encoded bytes are kept on an image
# object (not in `image.info`, which Pillow copies into every derived image)
_FITS = "_heritage_ar_fits"
_ENCODED = "_heritage_ar_encoded"
_KEY = "_heritage_ar_key"


def fit(image: Image.Image, size: int | None) -> Image.Image:
    """Shrink an image so its longer side is at most `size` (never enlarge); LANCZOS.

    Results are kept on the source image object, so the levels that share a size
    (web-2048, ar, ar.usdz) resize once.
    """
    if size is None or max(image.size) <= size:
        return image
    cache = _memo(image, _FITS)
    if size not in cache:
        scale = size / max(image.size)
        target = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
        # from the next larger size already made (4096 -> 2048 -> 1024 -> 512 costs
        # 0.25 s instead of 0.45 s); reducing_gap: box-reduce first, then LANCZOS
        larger = [s for s in cache if s > size]
        source = cache[min(larger)] if larger else image
        cache[size] = source.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return cache[size]


def encode(image: Image.Image, *, quality: int = JPEG_QUALITY, webp: bool = False) -> tuple[bytes, str]:
    """Encode for glTF/USDZ: JPEG when opaque, PNG when the alpha channel is used;
    WebP (lossy, alpha kept) when `webp` is set.

    Returns
    -------
    data : bytes
    mime : str
      "image/jpeg", "image/png" or "image/webp".
    """
    cache = _memo(image, _ENCODED)
    key = ("webp", WEBP_QUALITY) if webp else ("jpeg", quality)
    if key not in cache:
        cache[key] = _encode_webp(image) if webp else _encode(image, quality)
    return cache[key]


def _encode_webp(image: Image.Image) -> tuple[bytes, str]:
    buf = io.BytesIO()
    mode = "RGBA" if has_alpha(image) and image.convert("RGBA").getextrema()[3][0] < 255 else "RGB"
    image.convert(mode).save(buf, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buf.getvalue(), "image/webp"


def _encode(image: Image.Image, quality: int) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if has_alpha(image) and image.convert("RGBA").getextrema()[3][0] < 255:
        image.convert("RGBA").save(buf, format="PNG", optimize=False, compress_level=6)
        return buf.getvalue(), "image/png"
    image.convert("RGB").save(buf, format="JPEG", quality=quality, optimize=True, progressive=False)
    return buf.getvalue(), "image/jpeg"


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def multiply(image: Image.Image, factors, *, srgb: bool = False) -> Image.Image:
    """Bake per-channel factors into an image, for formats that cannot multiply at render time.

    glTF factors multiply linear values, so with `srgb` the colour channels are
    decoded from sRGB, scaled and encoded again; alpha is always linear.

    Parameters
    ----------
    image : PIL.Image
      RGB or RGBA.
    factors : (3,) or (4,) float
      One factor per band of `image`, 0..1.
    srgb : bool
      Whether R, G and B are sRGB-encoded (base colour, emissive) rather than data.
    """
    bands = image.getbands()
    if len(factors) != len(bands):
        raise ValueError(f"multiply: {len(factors)} factors for a {image.mode} image")
    levels = np.arange(256) / 255.0
    table = []
    for band, factor in zip(bands, factors):
        if srgb and band != "A":
            values = srgb_encode(srgb_decode(levels) * float(factor))
        else:
            values = levels * float(factor)
        table.extend(np.clip(np.round(values * 255.0), 0, 255).astype(int).tolist())
    return image.point(table)


def image_key(image: Image.Image) -> bytes:
    """Content key of an image: loaders hand the same texture to several meshes as copies.

    Kept on the image: hashing a 4096² texture costs 0.1 s and every level asks.
    """
    key = getattr(image, _KEY, None)
    if key is None:
        key = hashlib.sha1(image.tobytes()).digest() + repr((image.mode, image.size)).encode()
        setattr(image, _KEY, key)
    return key


def _memo(image: Image.Image, name: str) -> dict:
    cache = getattr(image, name, None)
    if cache is None:
        cache = {}
        setattr(image, name, cache)
    return cache
