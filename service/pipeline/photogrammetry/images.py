"""
images.py
---------

Photo preparation for photogrammetry: find the photos and their masks in an
upload and decode them with the shared finder and decoder
(`photos/images.py`: pixel limit before decoding, EXIF orientation, ICC to
sRGB, HEIC), downscale them to the job's size cap (memory is bounded by it),
read the focal length from EXIF, and drop blurred and duplicate photos with
a reason.

Masks are optional files named `<photo>_mask.<ext>`, white on the object.
"""

from __future__ import annotations

import hashlib

import logging
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from PIL import ImageOps

from service.errors import InvalidImage
from service.pipeline.constants import DEFAULT_MAX_IMAGE_PIXELS
from service.pipeline.photos.images import is_mask
from service.pipeline.photos.images import load_photo
from service.pipeline.photos.images import mask_stem
from service.pipeline.photos.images import open_checked
from service.pipeline.photos.images import photo_files

log = logging.getLogger(__name__)

MIN_PHOTOS = 8
# more is refused before any decoding: matching and texturing time grow with the
# count, and 200 views of one object are already far more than it needs
MAX_PHOTOS = 200
DEFAULT_MAX_SIDE = 1600
# a photo whose sharpness is below this share of the set's median is blurred
BLUR_RATIO = 0.3
# dHash bits that may differ between two photos that are still duplicates
DUPLICATE_BITS = 3
# ... and the mean grey-level difference of their 64 x 48 thumbnails: a second press of the shutter
# differs by sensor noise (< 1 level); a turntable step of 10 degrees moves the object by several levels
DUPLICATE_LEVELS = 2.0
THUMB = (64, 48)
# 35 mm film diagonal, for EXIF FocalLengthIn35mmFilm
FILM_DIAGONAL_MM = 43.267

@dataclass
class PreparedPhoto:
    """One photo decoded (`photos.images.load_photo`), downscaled and saved for SfM.

    Parameters
    ----------
    name : str
      File name of the prepared JPEG (unique, the upload's stem + .jpg).
    path : Path
      The prepared, upright, downscaled image.
    size : (int, int)
      Prepared width and height in pixels.
    scale : float
      Prepared size / original size (1.0 when not downscaled).
    focal_px : float or None
      Focal length in prepared pixels from EXIF, None when EXIF has none.
    camera : str
      Camera make, model and original size, to spot mixed cameras.
    mask : Path or None
      Prepared mask (PNG, 255 on the object), same size as the photo.
    """

    name: str
    path: Path
    size: tuple[int, int]
    scale: float
    focal_px: float | None
    camera: str
    mask: Path | None = None
    sharpness: float = 0.0
    source: str = ""
    hash: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)
    thumb: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32), repr=False)
    digest: str = ""


def find_photos(files: list[Path]) -> tuple[list[Path], dict[str, Path]]:
    """Split uploaded files into photos and masks keyed by their photo's stem (`photos.images` rules)."""
    images = photo_files([f for f in files if not f.name.startswith(".")])
    photos = [f for f in images if not is_mask(f)]
    masks = {mask_stem(f): f for f in images if is_mask(f)}
    return photos, masks


def prepare_photos(
    files: list[Path],
    work: Path,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    min_photos: int = MIN_PHOTOS,
    max_photos: int = MAX_PHOTOS,
    max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> tuple[list[PreparedPhoto], dict]:
    """Decode, orient, downscale and vet the photos of an upload.

    Returns
    -------
    photos : list of PreparedPhoto
      The photos kept, in name order.
    report : dict
      {"photos": n uploaded, "masks": n, "max_side": cap, "downscaled": n,
      "dropped": {name: reason}} for the manifest.
    """
    paths, masks = find_photos(files)
    if len(paths) < min_photos:
        raise InvalidImage(
            f"photos: {len(paths)} photo(s) uploaded, photogrammetry needs at least {min_photos}; "
            "photograph the object all round, about every 10-15 degrees, in two or three rings"
        )
    if len(paths) > max_photos:
        raise InvalidImage(
            f"photos: {len(paths)} photos uploaded, the limit is {max_photos}; "
            f"keep about one photo every 10-15 degrees per ring (e.g. one photo in {-(-len(paths) // max_photos)})"
        )
    out = work / "images"
    out.mkdir(parents=True, exist_ok=True)
    (work / "masks").mkdir(exist_ok=True)
    photos, seen = [], set()
    for p in paths:
        name = _unique(p.stem, seen) + ".jpg"
        photo = _prepare_one(p, out / name, max_side, max_pixels)
        mask = masks.get(p.stem.lower())
        if mask is not None:
            photo.mask = _prepare_mask(mask, work / "masks" / (name + ".png"), photo.size, max_pixels)
        photos.append(photo)
    vetted = _vet(photos)
    kept = [ph for ph in photos if ph.name not in vetted]
    # keyed by the uploaded file's name, which is what the photographer knows
    dropped = {ph.source: vetted[ph.name] for ph in photos if ph.name in vetted}
    cameras = sorted({ph.camera for ph in kept})
    if len(cameras) > 1:
        counts = {c: sum(ph.camera == c for ph in kept) for c in cameras}
        raise InvalidImage(
            "photos: the set mixes cameras or image sizes ("
            + "; ".join(f"{n} x {c}" for c, n in counts.items())
            + "); upload the photos of one camera at one setting"
        )
    if len(kept) < min_photos:
        reasons = "; ".join(f"{k}: {v}" for k, v in list(dropped.items())[:5])
        raise InvalidImage(
            f"photos: only {len(kept)} of {len(photos)} photos are usable ({reasons}); "
            f"photogrammetry needs at least {min_photos} sharp, different photos"
        )
    report = {
        "photos": len(photos),
        "masks": sum(ph.mask is not None for ph in kept),
        "max_side": max_side,
        "downscaled": sum(ph.scale < 1 for ph in photos),
        "scale": round(min(ph.scale for ph in photos), 4),
        "size": list(kept[0].size),
        "focal_from_exif": kept[0].focal_px is not None,
        "dropped": dropped,
    }
    if report["downscaled"]:
        log.info("photos: %d downscaled to at most %d px", report["downscaled"], max_side)
    return kept, report


def _unique(stem: str, seen: set) -> str:
    name, i = stem, 1
    while name.lower() in seen:
        i += 1
        name = f"{stem}-{i}"
    seen.add(name.lower())
    return name


def _prepare_one(src: Path, dst: Path, max_side: int, max_pixels: int) -> PreparedPhoto:
    with open_checked(src, max_pixels=max_pixels) as im:
        exif = im.getexif()
        w0, h0 = im.size
    im = Image.fromarray(load_photo(src, max_pixels=max_pixels).pixels)
    w, h = im.size
    scale = min(1.0, max_side / max(w, h))
    if scale < 1:
        im = im.resize((round(w * scale), round(h * scale)), Image.LANCZOS)
    im.save(dst, quality=95)
    grey = np.asarray(im.convert("L"), dtype=np.float32)
    focal = _exif_focal(exif, (w0, h0))
    make = f"{exif.get(0x010F, '')} {exif.get(0x0110, '')}".strip() or "unknown camera"
    return PreparedPhoto(
        name=dst.name,
        path=dst,
        size=im.size,
        scale=scale,
        focal_px=None if focal is None else focal * scale,
        camera=f"{make} {max(w, h)}x{min(w, h)}",
        sharpness=_sharpness(grey),
        source=src.name,
        hash=_dhash(grey),
        thumb=cv2.resize(grey, THUMB, interpolation=cv2.INTER_AREA),
        digest=hashlib.sha256(src.read_bytes()).hexdigest(),
    )


def _prepare_mask(src: Path, dst: Path, size: tuple[int, int], max_pixels: int) -> Path:
    with open_checked(src, max_pixels=max_pixels) as im:
        im = ImageOps.exif_transpose(im).convert("L")
        if im.size != size:
            im = im.resize(size, Image.BILINEAR)
        m = (np.asarray(im) > 127).astype(np.uint8) * 255
    Image.fromarray(m).save(dst)
    return dst


def _exif_focal(exif, size: tuple[int, int]) -> float | None:
    """Focal length in original pixels from EXIF, or None."""
    sub = exif.get_ifd(0x8769)
    w, h = size
    f35 = sub.get(0xA405)
    fmm = sub.get(0x920A)
    res = sub.get(0xA20E)
    unit = {2: 25.4, 3: 10.0, 4: 1.0}.get(int(sub.get(0xA210, 2) or 2))
    try:
        if fmm and res and unit:
            xdim = float(sub.get(0xA002) or max(w, h))
            return float(fmm) * float(res) / unit * max(w, h) / xdim
        if f35:
            return float(f35) * np.hypot(w, h) / FILM_DIAGONAL_MM
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return None


def _sharpness(grey: np.ndarray) -> float:
    small = cv2.resize(
        grey, None, fx=800 / max(grey.shape), fy=800 / max(grey.shape), interpolation=cv2.INTER_AREA
    )
    return float(cv2.Laplacian(small, cv2.CV_32F).var())


def _looks_the_same(a: PreparedPhoto, b: PreparedPhoto) -> bool:
    if int((a.hash != b.hash).sum()) > DUPLICATE_BITS or a.thumb.shape != b.thumb.shape:
        return False
    return float(np.abs(a.thumb - b.thumb).mean()) < DUPLICATE_LEVELS


def _dhash(grey: np.ndarray) -> np.ndarray:
    small = cv2.resize(grey, (17, 16), interpolation=cv2.INTER_AREA)
    return (small[:, 1:] > small[:, :-1]).ravel()


def _vet(photos: list[PreparedPhoto]) -> dict[str, str]:
    """{name: reason} for blurred photos and duplicates.

    A duplicate is a photo that is the same file as, or looks the same as, the one just before it in
    name order (a second press of the shutter, a file uploaded twice as "IMG_0001 (1).jpg"). Photos
    further apart are never compared: on a turntable, views 120 degrees round a three-lobed vase can
    be the same picture, and both are needed.
    """
    dropped = {}
    median = float(np.median([p.sharpness for p in photos]))
    for p in photos:
        if p.sharpness < BLUR_RATIO * median:
            dropped[p.name] = (
                f"blurred (sharpness {p.sharpness:.0f} vs {median:.0f} for the set): reshoot it in focus"
            )
    previous: PreparedPhoto | None = None
    for p in photos:
        if previous is not None and p.digest and p.digest == previous.digest:
            dropped.setdefault(p.name, f"the same file as {previous.source}: upload each photo once")
        elif previous is not None and _looks_the_same(p, previous):
            dropped.setdefault(p.name, f"duplicate of {previous.source}: move the camera between shots")
        if p.name not in dropped:
            previous = p
    for name, why in dropped.items():
        log.info("photos: dropped %s: %s", name, why)
    return dropped
