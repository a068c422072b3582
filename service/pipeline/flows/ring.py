"""
ring.py
-------

The ring flow: an ordered series of photos of an object on a turntable
becomes a 360° spin set: colour- and exposure-matched frames, cropped to one
box centred on the turntable's axis, at two or three sizes
(`spin-<size>-<nnn>.jpg`), a `spin.json` listing them for the viewer in
`service/static/spin/`, and `spin.mp4`. The frame maths is in
`photos/spin.py`.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from service.messages import Message
from service.pipeline import constants as tol
from service.pipeline.exchange.video import write_mp4
from service.pipeline.manifest import describe_file
from service.pipeline.photos.images import load_photo
from service.pipeline.photos.images import mask_files
from service.pipeline.photos.images import ring_files
from service.pipeline.photos.spin import SPIN_DEFAULTS
from service.pipeline.photos.spin import STATS_SIDE
from service.pipeline.photos.spin import apply_gains
from service.pipeline.photos.spin import check_ring
from service.pipeline.photos.spin import crop_box
from service.pipeline.photos.spin import exposure_gains
from service.pipeline.photos.spin import resize_even
from service.pipeline.progress import Progress

log = logging.getLogger(__name__)


def process_ring(
    files: list[Path], out_dir: Path, *, metadata: dict, options: dict, progress: Progress
) -> dict:
    """Turn an ordered turntable ring into a spin set; return the manifest body.

    Two passes keep memory flat however long the ring: small copies decide
    exposure and framing, then each full frame is decoded, written at every
    size and streamed to the video, one at a time.

    Over 80 lines on purpose: the two writers (`write_levels`, `video_frames`)
    are closures over the level names and shapes they fill in, so frames are
    written and encoded in one pass without keeping them.
    """
    o = {**SPIN_DEFAULTS, **(options.get("spin") or {})}
    max_pixels = options.get("max_image_pixels", tol.DEFAULT_MAX_IMAGE_PIXELS)
    paths = ring_files(files)
    progress(3, "check")
    check_ring(paths, max_pixels=max_pixels, min_frames=o["min_frames"], max_frames=o["max_frames"])
    warnings: list[str] = []
    n = len(paths)
    gains, rel, found, used_masks = _analyse(files, paths, o, max_pixels, progress, warnings)
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
        warnings.append(Message("ring_small_frames", side=long_side))
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
            level = resize_even(level, size)
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
    _write_spin_json(out_dir / "spin.json", n, full_box, listing)
    outputs["spin.json"] = describe_file(out_dir / "spin.json", role="spin")
    log.info("ring: %d frames, crop %s of %s, sizes %s", n, full_box, full_size, usable)
    return {
        "kind": "ring",
        "source": {"photos": [p.name for p in paths], "photo_size": list(full_size)},
        "recipe": [
            {
                "step": "spin",
                "options": {"sizes": usable, "crop": list(full_box), "gains": gains.round(4).tolist()},
            }
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


def _analyse(
    files: list[Path], paths: list[Path], o: dict, max_pixels: int, progress: Progress, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """Pass 1 on small copies: per-frame gains, the crop box relative to the frame,
    whether an object was found and whether masks were used."""
    n = len(paths)
    smalls = []
    for i, p in enumerate(paths):
        progress(5 + int(20 * i / n), "analyse")
        small = load_photo(p, max_pixels=max_pixels, max_side=STATS_SIDE).pixels
        smalls.append(resize_even(small, STATS_SIDE) if max(small.shape[:2]) > STATS_SIDE else small)
    gains = exposure_gains(smalls, band=o["band"], max_gain=o["max_gain"])
    if np.any(np.isclose(np.abs(np.log(gains)), np.log(o["max_gain"]))):
        warnings.append(Message("ring_exposure"))
    smalls = [apply_gains(f, g) for f, g in zip(smalls, gains)]
    masks = _load_masks(mask_files(files, paths), smalls, max_pixels)
    box, found = crop_box(smalls, band=o["band"], margin=o["margin"], masks=masks)
    if not found:
        warnings.append(Message("ring_no_crop"))
    sh, sw = smalls[0].shape[:2]
    rel = np.array(box, np.float64) / [sw, sh, sw, sh]
    used_masks = masks is not None
    return gains, rel, found, used_masks


def _write_spin_json(path: Path, n: int, full_box: tuple, listing: list[dict]) -> None:
    """The listing the spin viewer (`service/static/spin/`) reads."""
    x0, y0, x1, y1 = full_box
    spin = {
        "version": 1,
        "frames": n,
        "aspect": round((x1 - x0) / (y1 - y0), 5),
        "sizes": listing,
        "poster": listing[0]["frames"][0],
        "video": "spin.mp4",
    }
    path.write_text(json.dumps(spin, indent=1), encoding="utf-8")

