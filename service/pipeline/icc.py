"""
icc.py
------

The one colour module: the sRGB transfer curves, a matrix/TRC ICC profile
(Adobe RGB, ProPhoto, Display P3, ...) applied in float so 16-bit TIFFs keep
their depth until the final sRGB encoding, and LittleCMS (through Pillow,
perceptual intent) for every other profile, at 8 bit. Photos
(`photos/images.py`), textures (`steps/textures.py`), baked factors and the
preview renderer all convert through here.

The maths is the ICC v2/v4 "matrix/TRC" model: linearise each channel with
its tone curve, multiply by the colorant matrix to XYZ (D50 PCS), adapt to
D65 with Bradford, then to linear sRGB and the sRGB transfer curve.
Out-of-gamut colours are clipped, as LittleCMS's relative intent does.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image
from PIL import ImageCms

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# LittleCMS errors worth catching when a file's profile is broken
LCMS_ERRORS = (ImageCms.PyCMSError, OSError, ValueError)

# Bradford D50 -> D65 (ICC PCS white to sRGB white), from Lindbloom
_D50_TO_D65 = np.array(
    [
        [0.9555766, -0.0230393, 0.0631636],
        [-0.0282895, 1.0099416, 0.0210077],
        [0.0122982, -0.0204830, 1.3299098],
    ]
)
# XYZ (D65) -> linear sRGB, IEC 61966-2-1
_XYZ_TO_SRGB = np.array(
    [
        [3.2404542, -1.5371385, -0.4985314],
        [-0.9692660, 1.8760108, 0.0415560],
        [0.0556434, -0.2040259, 1.0572252],
    ]
)


@dataclass
class MatrixTRC:
    """A parsed matrix/TRC profile: (3, 3) colorants to XYZ D50 and 3 curves."""

    matrix: np.ndarray
    curves: list
    description: str


def colour_space(profile: bytes) -> str:
    """The profile's data colour space signature ("RGB", "CMYK", "GRAY", ...)."""
    return profile[16:20].decode("latin-1").strip() if len(profile) >= 20 else ""


def _tags(profile: bytes) -> dict[str, bytes]:
    (count,) = struct.unpack(">I", profile[128:132])
    out = {}
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", profile[132 + 12 * i : 144 + 12 * i])
        out[sig.decode("latin-1")] = profile[off : off + size]
    return out


def _s15(raw: bytes) -> float:
    return struct.unpack(">i", raw)[0] / 65536.0


def _xyz(tag: bytes) -> np.ndarray:
    return np.array([_s15(tag[8 + 4 * i : 12 + 4 * i]) for i in range(3)])


def _curve(tag: bytes):
    kind = tag[:4]
    if kind == b"curv":
        (n,) = struct.unpack(">I", tag[8:12])
        if n == 0:
            return lambda x: x
        if n == 1:
            gamma = struct.unpack(">H", tag[12:14])[0] / 256.0
            return lambda x: np.power(x, gamma)
        table = np.frombuffer(tag[12 : 12 + 2 * n], dtype=">u2").astype(np.float64) / 65535.0
        grid = np.linspace(0.0, 1.0, n)
        return lambda x: np.interp(x, grid, table)
    if kind == b"para":
        (fn,) = struct.unpack(">H", tag[8:10])
        count = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}.get(fn)
        if count is None:
            raise ValueError(f"icc: parametric curve type {fn}")
        p = [_s15(tag[12 + 4 * i : 16 + 4 * i]) for i in range(count)]
        g, a, b, c, d, e, f = (
            (p + [1.0, 0.0, 0.0, 0.0, 0.0, 0.0])[:7] if fn else (p[0], 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        )
        if fn == 1:
            return lambda x: np.where(x >= -b / a, np.power(np.maximum(a * x + b, 0), g), 0.0)
        if fn == 2:
            return lambda x: np.where(x >= -b / a, np.power(np.maximum(a * x + b, 0), g) + c, c)
        if fn == 3:
            return lambda x: np.where(x >= d, np.power(np.maximum(a * x + b, 0), g), c * x)
        if fn == 4:
            return lambda x: np.where(x >= d, np.power(np.maximum(a * x + b, 0), g) + e, c * x + f)
        return lambda x: np.power(x, g)
    raise ValueError(f"icc: curve type {kind!r}")


def _description(tags: dict[str, bytes]) -> str:
    tag = tags.get("desc", b"")
    if tag[:4] == b"desc":
        (n,) = struct.unpack(">I", tag[8:12])
        return tag[12 : 12 + n].rstrip(b"\x00").decode("latin-1", "replace")
    if tag[:4] == b"mluc":
        size, off = struct.unpack(">II", tag[20:28])
        return tag[off : off + size].decode("utf-16-be", "replace")
    return ""


def matrix_trc(profile: bytes) -> MatrixTRC | None:
    """Parse an RGB matrix/TRC profile; None for any other kind (use LittleCMS)."""
    try:
        if colour_space(profile) != "RGB":
            return None
        tags = _tags(profile)
        if not all(k in tags for k in ("rXYZ", "gXYZ", "bXYZ", "rTRC", "gTRC", "bTRC")):
            return None
        if any(k in tags for k in ("A2B0", "A2B1")):
            return None  # a LUT profile: its tables win over the matrix
        matrix = np.stack([_xyz(tags["rXYZ"]), _xyz(tags["gXYZ"]), _xyz(tags["bXYZ"])], axis=1)
        curves = [_curve(tags[k]) for k in ("rTRC", "gTRC", "bTRC")]
        return MatrixTRC(matrix, curves, _description(tags) or "matrix/TRC profile")
    except (struct.error, ValueError, IndexError):
        return None


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light [0, 1] -> sRGB-encoded [0, 1]."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_decode(encoded: np.ndarray) -> np.ndarray:
    """sRGB-encoded [0, 1] -> linear light."""
    x = np.clip(encoded, 0.0, 1.0)
    return np.where(x <= 0.04045, x / 12.92, np.power((x + 0.055) / 1.055, 2.4))


def to_srgb8(data: np.ndarray, model: MatrixTRC, *, rows: int = 256) -> np.ndarray:
    """Convert (h, w, 3) pixels in `model`'s space to uint8 sRGB.

    `data` is unsigned integer (full range of its dtype, e.g. 16-bit TIFF)
    or float in [0, 1]. Integer input is linearised through a lookup table
    per channel; the sRGB encoding goes through a 16-bit table. Bands of
    `rows` keep the float scratch space small for 100-megapixel scans.
    """
    m = (_XYZ_TO_SRGB @ _D50_TO_D65 @ model.matrix).T.astype(np.float32)
    if data.dtype.kind == "u":
        levels = (
            np.arange(np.iinfo(data.dtype).max + 1, dtype=np.float64) / np.iinfo(data.dtype).max
        )
        luts = [model.curves[c](levels).astype(np.float32) for c in range(3)]
    else:
        luts = None
    encode = np.clip(srgb_encode(np.arange(65536) / 65535.0) * 255 + 0.5, 0, 255).astype(np.uint8)
    out = np.empty(data.shape[:2] + (3,), np.uint8)
    for y in range(0, data.shape[0], rows):
        band = data[y : y + rows]
        if luts is not None:
            lin = np.stack([luts[c][band[..., c]] for c in range(3)], axis=-1)
        else:
            lin = np.stack(
                [model.curves[c](np.clip(band[..., c], 0, 1)) for c in range(3)], axis=-1
            ).astype(np.float32)
        rgb = lin @ m
        out[y : y + rows] = encode[(np.clip(rgb, 0.0, 1.0) * 65535 + 0.5).astype(np.uint16)]
    return out


def lcms_profile(profile: bytes) -> tuple[ImageCms.ImageCmsProfile, str]:
    """Open an embedded ICC profile with LittleCMS; return it and its description."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return source, ImageCms.getProfileDescription(source).strip()


def lcms_to_srgb(im: Image.Image, source: ImageCms.ImageCmsProfile, mode: str = "RGB") -> Image.Image:
    """Convert an 8-bit image from `source` to sRGB with LittleCMS (perceptual intent)."""
    return ImageCms.profileToProfile(
        im, source, SRGB_PROFILE, outputMode=mode, renderingIntent=ImageCms.Intent.PERCEPTUAL
    )
