"""
video.py
--------

Encode frames to a web MP4 (H.264, yuv420p, +faststart so it plays while it
downloads) by piping raw RGB into the ffmpeg binary shipped by
imageio-ffmpeg; no apt ffmpeg is needed and frames are never all in memory.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

import numpy as np

log = logging.getLogger(__name__)


def write_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    *,
    size: tuple[int, int],
    fps: float,
    crf: int = 23,
) -> Path:
    """Write (h, w, 3) uint8 frames of `size` (w, h, both even) as an MP4 at `path`."""
    try:
        import imageio_ffmpeg
    except ImportError as e:  # pragma: no cover - pinned in pyproject
        raise RuntimeError(
            "write_mp4: needs imageio-ffmpeg; pip install imageio-ffmpeg==0.8.1"
        ) from e
    w, h = size
    if w % 2 or h % 2:
        raise ValueError(f"write_mp4: H.264 yuv420p needs even sizes, got {w}x{h}")
    path = Path(path)
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (w, h),
        fps=fps,
        codec="libx264",
        quality=None,
        macro_block_size=2,
        pix_fmt_out="yuv420p",
        ffmpeg_log_level="error",
        output_params=["-preset", "veryfast", "-crf", str(crf), "-movflags", "+faststart"],
    )
    writer.send(None)
    count = 0
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame, dtype=np.uint8))
            count += 1
    finally:
        writer.close()
    log.info(
        "write_mp4: %s, %d frames %dx%d at %g fps, %d bytes",
        path.name,
        count,
        w,
        h,
        fps,
        path.stat().st_size,
    )
    return path
