"""
spin.py
-------

Turntable frames for the ring flow (`flows/ring.py`): checks of the series,
exposure matching in linear light and one crop box centred on the
turntable's axis.

NOTES
-----
- Order is natural file-name order (IMG_8839 ... IMG_8860), as cameras number
  a series; masks named `*_mask.*` are left out.
- Exposure: each frame's gain per channel (linear light) brings the median of
  its outer band (the backdrop) to the ring's median backdrop, clamped to
  ±30 % so a frame where the object fills the band is not blown out.
- Centring: ONE crop box for every frame, centred on the mean horizontal
  centroid of the object (the turntable axis). Re-centring each frame on its
  own centroid would make an off-centre object wobble as it turns.
- Decoding uses JPEG DCT scaling (`Image.draft`), so the 22 frames of the
  5184x3456 socketed-axe ring decode at 1/2 size without full-size pixels.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from service.errors import InvalidPhotoSet
from service.pipeline import constants as tol
from service.pipeline.icc import srgb_decode
from service.pipeline.icc import srgb_encode
from service.pipeline.photos.images import open_checked

log = logging.getLogger(__name__)

# long side of the copies that decide exposure and framing (pass 1)
STATS_SIDE = 480

SPIN_DEFAULTS = {
    "sizes": (512, 1024, 2048),  # long side of each frame set, pixels
    "min_frames": tol.MIN_RING_FRAMES,
    "max_frames": 360,
    "band": 0.04,  # outer band taken as backdrop, share of the short side
    "max_gain": 1.3,
    "margin": 0.08,  # space kept around the object, share of the crop
    "quality": 85,
    "video_side": 1080,  # long side of spin.mp4
    "video_seconds": 6.0,  # at least this long: the turn repeats
    "video_fps": 10.0,
}


def _oriented_size(path: Path, max_pixels: int) -> tuple[int, int]:
    with open_checked(path, max_pixels=max_pixels) as im:
        w, h = im.size
        return (h, w) if im.getexif().get(0x0112, 1) in (5, 6, 7, 8) else (w, h)


def check_ring(
    paths: list[Path], *, max_pixels: int, min_frames: int, max_frames: int
) -> tuple[int, int]:
    """Refuse rings that are too short, too long or of mixed sizes; return (w, h)."""
    if len(paths) < min_frames:
        raise InvalidPhotoSet(
            f"ring: {len(paths)} photo(s); a spin set needs at least {min_frames} photos taken all around "
            'the object (every 30° or closer). For one or two photos of a flat artefact use kind "flat"'
        )
    if len(paths) > max_frames:
        raise InvalidPhotoSet(
            f"ring: {len(paths)} photos, over the limit of {max_frames}; upload every 2nd or 3rd frame"
        )
    sizes: dict[tuple[int, int], list[str]] = {}
    for p in paths:
        sizes.setdefault(_oriented_size(p, max_pixels), []).append(p.name)
    if len(sizes) > 1:
        common = max(sizes, key=lambda s: len(sizes[s]))
        odd = [
            f"{n} ({w}x{h})"
            for (w, h), names in sizes.items()
            if (w, h) != common
            for n in names[:3]
        ]
        raise InvalidPhotoSet(
            f"ring: photos of mixed sizes; most are {common[0]}x{common[1]} but {', '.join(odd)} differ. "
            "Export every frame of the ring at the same size and crop"
        )
    return next(iter(sizes))


def _band_median(lin: np.ndarray, band: float) -> np.ndarray:
    h, w = lin.shape[:2]
    b = max(1, int(min(h, w) * band))
    edge = np.concatenate(
        [
            lin[:b].reshape(-1, 3),
            lin[-b:].reshape(-1, 3),
            lin[:, :b].reshape(-1, 3),
            lin[:, -b:].reshape(-1, 3),
        ]
    )
    return np.median(edge, axis=0)


def exposure_gains(frames: list[np.ndarray], *, band: float, max_gain: float) -> np.ndarray:
    """(n, 3) per-channel gains (linear light) bringing each backdrop to the ring's median."""
    backdrops = np.array([_band_median(srgb_decode(f / 255.0), band) for f in frames])
    target = np.median(backdrops, axis=0)
    return np.clip(target / np.maximum(backdrops, 1e-4), 1 / max_gain, max_gain)


def apply_gains(frame: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Scale an (h, w, 3) uint8 sRGB frame's channels by `gain` in linear light."""
    levels = srgb_decode(np.arange(256) / 255.0)[:, None]
    lut = np.clip(srgb_encode(levels * gain) * 255 + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(np.ascontiguousarray(frame), lut.reshape(1, 256, 3))


def _object_mask(frame: np.ndarray, step: int, band: float) -> np.ndarray:
    """Pixels that differ from the backdrop (the median of the outer band)."""
    s = frame[::step, ::step].astype(np.float32)
    bg = _band_median(s, band)
    noise = float(np.percentile(np.abs(s[: max(1, int(s.shape[0] * band))] - bg).max(axis=2), 95))
    return np.abs(s - bg).max(axis=2) > max(24.0, 3 * noise)


def crop_box(
    frames: list[np.ndarray], *, band: float, margin: float, masks: list[np.ndarray] | None = None
) -> tuple[tuple[int, int, int, int], bool]:
    """One (x0, y0, x1, y1) box for the whole ring, centred on the turntable axis.

    `masks` ((h, w) bool, True = object, one per frame) replace the backdrop
    difference when the photographer supplied them. Returns the box and
    whether an object was found (else the whole frame).
    """
    h, w = frames[0].shape[:2]
    step = max(1, max(h, w) // 256)
    boxes, centres = [], []
    for i, f in enumerate(frames):
        mask = masks[i][::step, ::step] if masks is not None else _object_mask(f, step, band)
        if mask.mean() < 0.002 or mask.mean() > 0.85:
            continue
        ys, xs = np.nonzero(mask)
        x0, x1 = np.percentile(xs, [0.5, 99.5])
        y0, y1 = np.percentile(ys, [0.5, 99.5])
        boxes.append((x0 * step, y0 * step, (x1 + 1) * step, (y1 + 1) * step))
        centres.append(xs.mean() * step)
    if len(boxes) < len(frames) // 2:
        return (0, 0, w, h), False
    b = np.array(boxes)
    axis = float(np.mean(centres))
    half_w = max(axis - b[:, 0].min(), b[:, 2].max() - axis)
    y0, y1 = b[:, 1].min(), b[:, 3].max()
    cy, half_h = (y0 + y1) / 2, (y1 - y0) / 2
    half_w, half_h = half_w / (1 - 2 * margin), half_h / (1 - 2 * margin)
    aspect = w / h  # keep the camera's shape, so every device shows the same framing
    half_w, half_h = max(half_w, half_h * aspect), max(half_h, half_w / aspect)
    half_w, half_h = min(half_w, w / 2), min(half_h, h / 2)
    cx = min(max(axis, half_w), w - half_w)
    cy = min(max(cy, half_h), h - half_h)
    return (
        int(round(cx - half_w)),
        int(round(cy - half_h)),
        int(round(cx + half_w)),
        int(round(cy + half_h)),
    ), True


def resize_even(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Scale (h, w, 3) so its long side is `long_side`, both sides even (H.264 needs it)."""
    h, w = pixels.shape[:2]
    scale = long_side / max(h, w)
    size = (max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2))
    if size == (w, h):
        return pixels
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
