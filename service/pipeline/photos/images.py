"""
images.py
---------

Load one photo of an artefact as an 8-bit sRGB array, the way a collections
photographer expects: EXIF orientation honoured, embedded ICC profiles
converted to sRGB (8 and 16 bit, RGB, greyscale and CMYK), HEIC decoded, and a
decompression-bomb limit checked from the header before any pixel is decoded.

NOTES
-----
16-bit TIFFs are read with tifffile (Pillow reduces 16-bit RGB to 8 bit on
open). A matrix/TRC profile (Adobe RGB, ProPhoto, Display P3, most camera
exports) is applied in float by `icc.py` at full depth; any other profile goes
through LittleCMS after the pixels are reduced to 8 bit.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
from PIL import Image
from PIL import UnidentifiedImageError

from service.errors import InvalidImage
from service.errors import ScanTooLarge
from service.errors import UnsupportedFormat
from service.pipeline import icc
from service.pipeline.constants import DEFAULT_MAX_IMAGE_PIXELS
from service.pipeline.exchange.sniff import IMAGE_FORMATS
from service.pipeline.exchange.sniff import sniff

log = logging.getLogger(__name__)

# resolution values cameras and editors write by default: they say nothing
# about the artefact's size, so they never count as a scan resolution
_DEFAULT_DPI = {1, 72, 96, 240}
# EXIF tags only a camera writes (ExposureTime, FNumber, FocalLength)
_CAMERA_TAGS = (0x829A, 0x829D, 0x920A)


@dataclass
class Photo:
    """A decoded photo in sRGB.

    Parameters
    ----------
    pixels : (h, w, 3) uint8
      sRGB pixels, orientation applied.
    name : str
      File name, for messages.
    info : dict
      Facts for the manifest: format, source size, bits, profile, orientation.
    dpi : float or None
      Scan resolution when the file carries one we trust (see `trusted_dpi`).
    warnings : list of str
    """

    pixels: np.ndarray
    name: str
    info: dict = field(default_factory=dict)
    dpi: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.pixels.shape[1], self.pixels.shape[0]


def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - pinned in pyproject
        return False
    pillow_heif.register_heif_opener()
    return True


_HEIF = _register_heif()


def open_checked(path: Path, *, max_pixels: int) -> Image.Image:
    """Open `path` lazily with Pillow and refuse bombs before decoding.

    Pillow's own limit only warns below twice MAX_IMAGE_PIXELS; ours is
    checked on the header's size, so a 100-megapixel JPEG of 200 KB is
    refused without allocating its pixels.
    """
    name = path.name
    fmt = sniff(path)
    if fmt not in IMAGE_FORMATS:
        raise UnsupportedFormat(
            f"photo {name!r}: not a JPEG, PNG, TIFF, WebP or HEIC image ({fmt or 'unknown'} content)"
        )
    if fmt == "heic" and not _HEIF:  # pragma: no cover
        raise UnsupportedFormat(
            f"photo {name!r}: HEIC needs pillow-heif; install it or upload JPEG/TIFF"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError:
        raise ScanTooLarge(
            f"photo {name!r}: far more pixels than the limit of {max_pixels:,}; downscale it"
        )
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InvalidImage(f"photo {name!r}: cannot be read ({e}); export it again as JPEG or TIFF")
    w, h = im.size
    if w * h > max_pixels or w < 16 or h < 16:
        im.close()
    if w * h > max_pixels:
        raise ScanTooLarge(
            f"photo {name!r}: {w}x{h} = {w * h / 1e6:.0f} megapixels, over the limit of "
            f"{max_pixels / 1e6:.0f}; downscale it (a decompression bomb is refused too)"
        )
    if w < 16 or h < 16:
        raise InvalidImage(
            f"photo {name!r}: {w}x{h} pixels is too small to be a photo of an artefact"
        )
    return im


def load_photo(
    path: str | Path, *, max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS, max_side: int | None = None
) -> Photo:
    """Decode a photo into sRGB pixels with orientation applied.

    Parameters
    ----------
    path : path
      JPEG, PNG, TIFF (8/16 bit), WebP or HEIC.
    max_pixels : int
      Refuse images with more pixels than this (decompression bombs).
    max_side : int or None
      When given, JPEGs are decoded at a reduced scale (DCT scaling) so the
      long side stays at least this big; the result may still be larger.

    Returns
    -------
    photo : Photo
    """
    path = Path(path)
    with open_checked(path, max_pixels=max_pixels) as im:
        photo = _load(path, im, max_side)
    log.debug("load_photo: %s %s -> %dx%d", path.name, photo.info["mode"], *photo.size)
    return photo


def _load(path: Path, im: Image.Image, max_side: int | None) -> Photo:
    name = path.name
    info = {
        "file": name,
        "format": (im.format or "").lower(),
        "source_size": list(im.size),
        "mode": im.mode,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            if max_side and im.format == "JPEG" and max(im.size) > max_side:
                # DCT scaling: Pillow decodes at 1/2, 1/4 or 1/8, never below this size
                f = max_side / max(im.size)
                im.draft(im.mode, (math.ceil(im.size[0] * f), math.ceil(im.size[1] * f)))
            photo = _decode(path, im, info)
        except (OSError, SyntaxError, ValueError, EOFError) as e:
            raise InvalidImage(
                f"photo {name!r}: the file is damaged or truncated ({e}); copy it again from the camera"
            )
    photo.dpi = trusted_dpi(im)
    return photo


def _decode(path: Path, im: Image.Image, info: dict) -> Photo:
    profile = im.info.get("icc_profile")
    orientation = im.getexif().get(0x0112, 1)
    info["orientation"] = orientation
    if im.format == "TIFF" and _bits(im) > 8:
        rgb = _tiff16_to_srgb(path, profile, info)
        return Photo(np.asarray(_orient(Image.fromarray(rgb), orientation)), path.name, info)
    im.load()
    oriented = _orient(im, orientation)
    rgb = _to_srgb(oriented, profile, info)
    return Photo(np.asarray(rgb), path.name, info)


def _orient(im: Image.Image, orientation: int) -> Image.Image:
    # ImageOps.exif_transpose reads the tag from the image; a 16-bit TIFF
    # decoded by tifffile has lost it, so the transpose is applied by number
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    return im.transpose(method) if method is not None else im


def _bits(im: Image.Image) -> int:
    bits = im.tag_v2.get(258) if hasattr(im, "tag_v2") else None
    if isinstance(bits, tuple):
        bits = max(bits)
    return int(bits or 8)


def _to_srgb(im: Image.Image, profile: bytes | None, info: dict) -> Image.Image:
    """8-bit path: LittleCMS for any embedded profile, Pillow's defaults otherwise."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode != "F" else max(1.0, float(a.max()))
        im = Image.fromarray(np.clip(a / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode in ("P", "PA", "1", "LA", "RGBA", "La", "RGBa"):
        im = _flatten(im)
    if profile:
        try:
            src, info["icc"] = icc.lcms_profile(profile)
            if im.mode not in ("RGB", "CMYK", "L"):
                im = im.convert("RGB")
            return icc.lcms_to_srgb(im, src, "RGB")
        except icc.LCMS_ERRORS as e:
            info["icc"] = "unreadable"
            log.warning("load_photo: %s: ICC profile ignored (%s)", info["file"], e)
    return im.convert("RGB")


def _flatten(im: Image.Image) -> Image.Image:
    # transparency over white, as a photo of a document on a light box reads
    rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _tiff16_to_srgb(path: Path, profile: bytes | None, info: dict) -> np.ndarray:
    """16-bit TIFF: full-depth float conversion for matrix/TRC profiles."""
    import tifffile

    try:
        data = tifffile.imread(path, key=0)
    except (ValueError, OSError, tifffile.TiffFileError) as e:
        raise InvalidImage(f"photo {path.name!r}: TIFF cannot be decoded ({e})")
    info["bits"] = 16
    a = np.asarray(data)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] < 3:
        raise InvalidImage(f"photo {path.name!r}: TIFF layout {a.shape} is not RGB or greyscale")
    if a.shape[2] == 4 and profile and icc.colour_space(profile) == "CMYK":
        im = Image.fromarray(
            (a >> 8).astype(np.uint8) if a.dtype == np.uint16 else a.astype(np.uint8), "CMYK"
        )
        return np.asarray(_to_srgb(im, profile, info))
    a = a[..., :3]
    if a.dtype.kind not in "uf":
        raise InvalidImage(
            f"photo {path.name!r}: TIFF samples of type {a.dtype} are not supported; export 8 or 16-bit RGB"
        )
    model = icc.matrix_trc(profile) if profile else None
    if model is not None:
        info["icc"] = model.description
        return icc.to_srgb8(a, model)
    top = float(np.iinfo(a.dtype).max) if a.dtype.kind == "u" else 1.0
    u8 = np.clip(a.astype(np.float32) / top * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(_to_srgb(Image.fromarray(u8, "RGB"), profile, info))


def trusted_dpi(im: Image.Image) -> float | None:
    """The scan resolution of `im` in dots per inch, if it can be believed.

    A resolution is trusted when both axes agree, it is not a value that
    cameras and editors write by default (72, 96, 300, ...), and the file has
    no camera EXIF (exposure, aperture, focal length): that is a flatbed or
    book-scanner file, whose pixels map to the original at a known scale.
    """
    dpi = im.info.get("dpi")
    if not dpi or len(dpi) != 2:
        return None
    x, y = (float(v) for v in dpi)
    if x <= 0 or abs(x - y) > 0.01 * x or round(x) in _DEFAULT_DPI or not 100 <= x <= 12000:
        return None
    exif = im.getexif()
    sub = exif.get_ifd(0x8769) if exif else {}
    if any(tag in sub or tag in exif for tag in _CAMERA_TAGS):
        return None
    return x


def photo_files(files: list[Path]) -> list[Path]:
    """The image files of an upload, in natural name order (IMG_2 before IMG_10).

    The one photo finder of the flat, ring and photogrammetry flows.
    """
    images = [f for f in files if sniff(f) in IMAGE_FORMATS]

    def key(p: Path):
        return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]

    return sorted(images, key=key)


def is_mask(p: Path) -> bool:
    """A mask is named `<photo stem>_mask.<ext>` (also `-mask`, ` mask`), white on the object."""
    return p.stem.lower().rstrip("_- ").endswith("mask")


def mask_stem(p: Path) -> str:
    """The (lower-case) stem of the photo a mask belongs to."""
    return p.stem.lower().rstrip("_- ")[: -len("mask")].rstrip("_- ")


def ring_files(files: list[Path]) -> list[Path]:
    """The photos of an upload in order, masks left out."""
    return [f for f in photo_files(files) if not is_mask(f)]


def mask_files(files: list[Path], photos: list[Path]) -> list[Path] | None:
    """Masks `<stem>_mask.*` (white = object) for every photo, or None if any is missing."""
    masks = {
        mask_stem(f): f for f in photo_files(files) if is_mask(f)
    }
    found = [masks.get(p.stem.lower()) for p in photos]
    return found if masks and all(found) else None
