"""
spin.py
-------

The ring flow: an ordered series of photos of an object on a turntable
becomes a 360° spin set: colour- and exposure-matched frames, cropped to one
box centred on the turntable's axis, at two or three sizes
(`spin-<size>-<nnn>.jpg`), a `spin.json` listing them for the viewer in
`service/static/spin/`, and `spin.mp4`.

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

import json
import logging
import math
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image

from service.errors import InvalidPhotoSet
from service.pipeline import constants as tol
from service.pipeline.manifest import describe_file
from service.pipeline.photos.flat import photo_files
from service.pipeline.photos.icc import srgb_decode
from service.pipeline.photos.icc import srgb_encode
from service.pipeline.photos.images import load_photo
from service.pipeline.photos.images import open_checked
from service.pipeline.photos.video import write_mp4

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

# long side of the copies that decide exposure and framing (pass 1)
STATS_SIDE = 480

SPIN_DEFAULTS = {
    "sizes": (512, 1024, 2048),  # long side of each frame set, pixels
    "min_frames": 12,
    "max_frames": 360,
    "band": 0.04,  # outer band taken as backdrop, share of the short side
    "max_gain": 1.3,
    "margin": 0.08,  # space kept around the object, share of the crop
    "quality": 85,
    "video_side": 1080,  # long side of spin.mp4
    "video_seconds": 6.0,  # at least this long: the turn repeats
    "video_fps": 10.0,
}


def _is_mask(p: Path) -> bool:
    return p.stem.lower().rstrip("_- ").endswith("mask")


def ring_files(files: list[Path]) -> list[Path]:
    """The ring's photos in order, masks left out."""
    return [f for f in photo_files(files) if not _is_mask(f)]


def mask_files(files: list[Path], photos: list[Path]) -> list[Path] | None:
    """Masks `<stem>_mask.*` (white = object) for every photo, or None if any is missing."""
    masks = {
        f.stem.lower()[: -len("mask")].rstrip("_- "): f for f in photo_files(files) if _is_mask(f)
    }
    found = [masks.get(p.stem.lower()) for p in photos]
    return found if masks and all(found) else None


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


def _resize(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Scale (h, w, 3) so its long side is `long_side`, both sides even (H.264 needs it)."""
    h, w = pixels.shape[:2]
    scale = long_side / max(h, w)
    size = (max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2))
    if size == (w, h):
        return pixels
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def process_ring(
    files: list[Path], out_dir: Path, *, metadata: dict, options: dict, progress: Progress
) -> dict:
    """Turn an ordered turntable ring into a spin set; return the manifest body.

    Two passes keep memory flat however long the ring: small copies decide
    exposure and framing, then each full frame is decoded, written at every
    size and streamed to the video, one at a time.
    """
    o = {**SPIN_DEFAULTS, **(options.get("spin") or {})}
    max_pixels = options.get("max_image_pixels", tol.DEFAULT_MAX_IMAGE_PIXELS)
    paths = ring_files(files)
    progress(3, "check")
    check_ring(paths, max_pixels=max_pixels, min_frames=o["min_frames"], max_frames=o["max_frames"])
    warnings: list[str] = []
    n = len(paths)
    smalls = []
    for i, p in enumerate(paths):
        progress(5 + int(20 * i / n), "analyse")
        small = load_photo(p, max_pixels=max_pixels, max_side=STATS_SIDE).pixels
        smalls.append(_resize(small, STATS_SIDE) if max(small.shape[:2]) > STATS_SIDE else small)
    gains = exposure_gains(smalls, band=o["band"], max_gain=o["max_gain"])
    if np.any(np.isclose(np.abs(np.log(gains)), np.log(o["max_gain"]))):
        warnings.append(
            "ring: exposure differs a lot between frames; some could not be matched fully"
        )
    smalls = [apply_gains(f, g) for f, g in zip(smalls, gains)]
    masks = _load_masks(mask_files(files, paths), smalls, max_pixels)
    box, found = crop_box(smalls, band=o["band"], margin=o["margin"], masks=masks)
    if not found:
        warnings.append(
            "ring: the object could not be told from the backdrop; frames are not cropped"
        )
    sh, sw = smalls[0].shape[:2]
    rel = np.array(box, np.float64) / [sw, sh, sw, sh]
    used_masks = masks is not None
    del smalls, masks
    # decode big enough that the largest size survives the crop (DCT scaling steps by 2)
    sizes = sorted(int(s) for s in o["sizes"])
    need = math.ceil(max(sizes[-1], o["video_side"]) / max(rel[2] - rel[0], rel[3] - rel[1], 0.1))
    crops = _crops(paths, gains, rel, max_pixels=max_pixels, need=need, progress=progress)
    first, full_size, full_box = next(crops)
    long_side = max(first.shape[:2])
    usable = [s for s in sizes if s <= long_side]
    if len(usable) < len(sizes):
        # a larger size would only be upscaled: keep the frames' own size as the top level
        if not usable or long_side > 1.25 * usable[-1]:
            usable.append(long_side - long_side % 2)
        warnings.append(
            f"ring: frames are {long_side} px after cropping; larger sizes were not made"
        )
    out_dir = Path(out_dir)
    outputs: dict[str, dict] = {}
    names: dict[int, list[str]] = {size: [] for size in usable}
    shapes: dict[int, tuple[int, int]] = {}
    video_side = min(o["video_side"], long_side)
    fps = float(o["video_fps"])
    turns = max(1, int(np.ceil(o["video_seconds"] * fps / n)))

    def write_levels(i: int, crop: np.ndarray) -> np.ndarray:
        # each level is reduced from the next larger one: INTER_AREA keeps it sharp and fast
        level, video = crop, None
        for size in sorted(set(usable) | {video_side}, reverse=True):
            level = _resize(level, size)
            if size == video_side:
                video = level
            if size in names:
                name = f"spin-{size}-{i:03d}.jpg"
                Image.fromarray(level).save(
                    out_dir / name, "JPEG", quality=o["quality"], progressive=True
                )
                shapes[size] = level.shape[1::-1]
                outputs[name] = describe_file(
                    out_dir / name,
                    role="spin-frame",
                    size=size,
                    frame=i,
                    width=shapes[size][0],
                    height=shapes[size][1],
                )
                names[size].append(name)
        return video

    first_video = write_levels(0, first)
    vh, vw = first_video.shape[:2]

    def video_frames():
        cache = [first_video]
        yield first_video
        for i, (crop, _, _) in enumerate(crops, start=1):
            frame = write_levels(i, crop)
            frame = frame if frame.shape[:2] == (vh, vw) else cv2.resize(frame, (vw, vh))
            if turns > 1:
                cache.append(frame)
            yield frame
        progress(85, "video")
        for _ in range(turns - 1):
            yield from cache

    write_mp4(video_frames(), out_dir / "spin.mp4", size=(vw, vh), fps=fps)
    outputs["spin.mp4"] = describe_file(
        out_dir / "spin.mp4", role="spin-video", width=vw, height=vh, frames=turns * n, fps=fps
    )
    listing = [
        {"size": s, "width": shapes[s][0], "height": shapes[s][1], "frames": names[s]}
        for s in usable
    ]
    x0, y0, x1, y1 = full_box
    spin = {
        "version": 1,
        "frames": n,
        "aspect": round((x1 - x0) / (y1 - y0), 5),
        "sizes": listing,
        "poster": listing[0]["frames"][0],
        "video": "spin.mp4",
    }
    (out_dir / "spin.json").write_text(json.dumps(spin, indent=1), encoding="utf-8")
    outputs["spin.json"] = describe_file(out_dir / "spin.json", role="spin")
    log.info("ring: %d frames, crop %s of %s, sizes %s", n, full_box, full_size, usable)
    return {
        "kind": "ring",
        "source": {"photos": [p.name for p in paths], "photo_size": list(full_size)},
        "recipe": [
            ("spin", {"sizes": usable, "crop": list(full_box), "gains": gains.round(4).tolist()})
        ],
        "files": outputs,
        "spin": {
            "frames": n,
            "sizes": usable,
            "crop": list(full_box),
            "centred": found,
            "masks": used_masks,
        },
        "warnings": warnings,
    }


def _crops(
    paths: list[Path],
    gains: np.ndarray,
    rel: np.ndarray,
    *,
    max_pixels: int,
    need: int,
    progress: Progress,
):
    """Yield (crop, (w, h), box) for each frame: decoded, exposure-matched, cropped to `rel`."""
    for i, p in enumerate(paths):
        progress(25 + int(55 * i / len(paths)), "frames")
        full = apply_gains(load_photo(p, max_pixels=max_pixels, max_side=need).pixels, gains[i])
        h, w = full.shape[:2]
        x0, y0, x1, y1 = (int(v) for v in np.round(rel * [w, h, w, h]))
        yield full[y0:y1, x0:x1], (w, h), (x0, y0, x1, y1)


def _load_masks(
    paths: list[Path] | None, frames: list[np.ndarray], max_pixels: int
) -> list[np.ndarray] | None:
    if not paths:
        return None
    out = []
    for p, frame in zip(paths, frames):
        grey = load_photo(p, max_pixels=max_pixels, max_side=STATS_SIDE).pixels[..., 0]
        if grey.shape != frame.shape[:2]:
            grey = cv2.resize(grey, frame.shape[1::-1], interpolation=cv2.INTER_AREA)
        out.append(grey > 127)
    return out
