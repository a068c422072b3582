"""
worker.py
---------

Render every preview of one GLB: poster, thumbnail, vertical cover (JPEG and
WebP), an optional transparent PNG and the vertical turntable MP4 with its
caption and QR end card. `make_previews` runs this module in a child process
(`python -m service.pipeline.render.worker job.json result.json`) so a crash
in native GL code cannot take the job down; `render_previews` is the same
work in-process, for scripts and benchmarks.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from service.pipeline.exchange.video import VideoWriter
from service.pipeline.metadata import display_title
from service.pipeline.progress import Progress
from service.pipeline.progress import silent
from service.pipeline.render import camera as cam
from service.pipeline.render import labels
from service.pipeline.render import overlay
from service.pipeline.render.gl import Renderer
from service.pipeline.render.model import bounds_of
from service.pipeline.render.model import load_parts
from service.pipeline.render.model import points_of

log = logging.getLogger(__name__)

# name -> (role, width, height, overlay allowed)
STILLS = {
    "poster": ("poster", 1200, 630, False),
    "thumb": ("thumbnail", 512, 512, False),
    "cover": ("cover", 1080, 1920, True),
}
TRANSPARENT = ("transparent", 1024, 1024)
PREVIEW_DEFAULTS = {
    "overlay": True,
    "hashtags": [],
    "share_url": None,
    "transparent_png": False,
    "turntable": True,
    "turntable_seconds": 6.0,
    "turntable_fps": 30,
    "turntable_size": (1080, 1920),
    # MSAA costs 2.5x per frame on llvmpipe; FXAA keeps the default 6 s turntable
    # under 30 s on 2 cores (docs/previews.md)
    "turntable_samples": 0,
    "turntable_fxaa": True,
    # frames are drawn at this share of the video size and upscaled by ffmpeg
    # (Lanczos, in parallel); the caption is drawn at full size, so text stays crisp
    "turntable_scale": 0.75,
    "still_samples": 4,
    "end_card_seconds": 1.5,
    "video_crf": 21,
    "azimuth": None,
    "polar": None,
    # curators' notes ({position, normal, title}) for turntable-annotated.mp4, placed on a model
    # `notes_height_m` tall (the points are scaled to this model's height when it differs)
    "notes": [],
    "notes_height_m": None,
}
# the object stays above the caption block: NDC window when a caption is shown
CAPTION_WINDOW = (-1.0, 1.0, -1.0 + 2 * overlay.CAPTION_SHARE, 0.96)
# panels swing this far either side instead of showing their edge
SWING_DEGREES = 25.0


def render_previews(
    glb: str | Path,
    out_dir: str | Path,
    *,
    metadata: dict,
    options: dict,
    progress: Progress | None = None,
) -> list[dict]:
    """Render all previews of a GLB into out_dir.

    Parameters
    ----------
    glb : path
      Model to render (metres, +Y up, as the pipeline writes it).
    out_dir : path
      Folder for the image and video files (flat names).
    metadata : dict
      Catalogue metadata (title vi/en, institution, licence...).
    options : dict
      See `PREVIEW_DEFAULTS`.
    progress : callable(percent 0-100, stage)

    Returns
    -------
    files : list of dict
      One entry per file: name, role, width, height and format facts.
    """
    opts = {**PREVIEW_DEFAULTS, **{k: v for k, v in options.items() if v is not None}}
    progress = progress or silent
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    parts = load_parts(glb)
    bounds = bounds_of(parts)
    points = points_of(parts)
    center = (bounds[0] + bounds[1]) / 2
    azimuth, polar = cam.default_view(bounds)
    azimuth = float(opts["azimuth"]) if opts["azimuth"] is not None else azimuth
    polar = float(opts["polar"]) if opts["polar"] is not None else polar
    flat = cam.is_flat(bounds)
    renderer = Renderer(parts)
    del parts
    lines = overlay.caption_lines(metadata, opts) if opts["overlay"] else []
    files: list[dict] = []
    try:
        progress(5, "previews: stills")
        for name, (role, w, h, allow_overlay) in STILLS.items():
            caption = lines if allow_overlay else []
            window = CAPTION_WINDOW if caption else (-1.0, 1.0, -1.0, 1.0)
            camera = cam.frame(
                points, center, cam.orbit_direction(azimuth, polar), w / h, window=window
            )
            rgb = renderer.render(camera, (w, h), samples=opts["still_samples"])[..., :3]
            if caption:
                rgb = overlay.compose(rgb, overlay.caption((w, h), caption))
            files += _save_still(
                Image.fromarray(rgb), out_dir, name, role, w, h, overlay_text=bool(caption)
            )
        if opts["transparent_png"]:
            role, w, h = TRANSPARENT
            camera = cam.frame(points, center, cam.orbit_direction(azimuth, polar), w / h)
            rgba = renderer.render(camera, (w, h), samples=opts["still_samples"], transparent=True)
            Image.fromarray(rgba, "RGBA").save(out_dir / "transparent.png", optimize=False)
            files.append(
                {"name": "transparent.png", "role": role, "width": w, "height": h, "alpha": True}
            )
        progress(20, "previews: turntable")
        if opts["turntable"] and float(opts["turntable_seconds"]) > 0:
            files.append(
                _turntable(
                    renderer,
                    points,
                    center,
                    azimuth,
                    polar,
                    flat,
                    lines,
                    metadata,
                    opts,
                    out_dir,
                    progress,
                )
            )
            if opts["notes"]:
                progress(90, "previews: annotated turntable")
                notes = _scaled_notes(opts["notes"], opts["notes_height_m"], bounds)
                files.append(_annotated_turntable(renderer, points, center, azimuth, polar, flat, notes, opts, out_dir))
    finally:
        renderer.release()
    log.info("previews: %d files in %.1f s", len(files), time.perf_counter() - t0)
    progress(100, "previews: done")
    return files


def _save_still(
    img: Image.Image, out_dir: Path, name: str, role: str, w: int, h: int, **info
) -> list[dict]:
    img.save(out_dir / f"{name}.jpg", quality=88, optimize=True, progressive=True)
    img.save(out_dir / f"{name}.webp", quality=85, method=4)
    return [
        {"name": f"{name}.{ext}", "role": role, "width": w, "height": h, **info}
        for ext in ("jpg", "webp")
    ]


def _turntable(
    renderer, points, center, azimuth, polar, flat, lines, metadata, opts, out_dir, progress
) -> dict:
    # one full turn (a gentle swing for panels), then the QR end card when there is a link
    (w, h), (rw, rh), fps, total = _video_sizes(opts)
    url = opts["share_url"]
    end = min(round(float(opts["end_card_seconds"]) * fps), total // 3) if url else 0
    turn = total - end
    cameras = _turn_cameras(points, center, azimuth, polar, flat, turn, rw / rh, captioned=bool(lines))
    path = out_dir / "turntable.mp4"
    caption = out_dir / ".turntable-caption.png"
    if lines:
        overlay.caption((w, h), lines).save(caption)
    fxaa = bool(opts["turntable_fxaa"])
    samples = int(opts["turntable_samples"])
    try:
        with VideoWriter(
            path, (rw, rh), fps, crf=int(opts["video_crf"]), flip=True,
            overlay=caption if lines else None, overlay_frames=turn, output_size=(w, h),
        ) as video:  # fmt: skip
            for i, camera in enumerate(cameras):
                video.write(renderer.render_raw(camera, (rw, rh), samples=samples, fxaa=fxaa))
                if i % 15 == 0:
                    progress(20 + int(75 * i / total), "previews: turntable")
            if end:
                last = renderer.render(cameras[0], (rw, rh), samples=samples, fxaa=fxaa)[..., :3]
                if lines:
                    with Image.open(caption) as layer:
                        small = layer.resize((rw, rh), Image.Resampling.LANCZOS)
                    last = overlay.compose(last, small)
                card = overlay.end_card(last, url, display_title(metadata))
                fade = min(end, fps // 3)
                for i in range(end):
                    t = min(1.0, (i + 1) / (fade + 1))
                    frame = card if t >= 1.0 else (last * (1 - t) + card * t).astype(np.uint8)
                    video.write(np.flipud(frame))
    finally:
        caption.unlink(missing_ok=True)
    return {
        "name": path.name,
        "role": "turntable",
        "width": w,
        "height": h,
        "fps": fps,
        "frames": total,
        "seconds": round(total / fps, 3),
        "codec": "h264",
        "render_size": [rw, rh],
        "end_card": bool(end),
        "overlay_text": bool(lines),
    }


def _video_sizes(opts: dict) -> tuple[tuple[int, int], tuple[int, int], int, int]:
    """(output size, render size, fps, frames of the turn) of a turntable."""
    w, h = (int(x) for x in opts["turntable_size"])
    scale = min(1.0, max(0.25, float(opts["turntable_scale"])))
    fps = int(opts["turntable_fps"])
    return (w, h), (2 * round(w * scale / 2), 2 * round(h * scale / 2)), fps, max(2, round(float(opts["turntable_seconds"]) * fps))


def _turn_cameras(points, center, azimuth, polar, flat, turn, aspect, *, captioned) -> list:
    steps = np.arange(turn) / turn
    if flat:
        # from one side to the other and back: loops, and the middle differs from the start
        azimuths = azimuth - SWING_DEGREES * np.cos(2 * math.pi * steps)
    else:
        azimuths = azimuth + 360.0 * steps
    window = CAPTION_WINDOW if captioned else (-1.0, 1.0, -1.0, 1.0)
    return cam.turntable_frame(points, center, polar, aspect, azimuths=azimuths, window=window)


def _scaled_notes(notes: list[dict], height: float | None, bounds: np.ndarray) -> list[dict]:
    # notes placed on an earlier version: scale about the base centre to this model's height
    ours = float(bounds[1][1] - bounds[0][1])
    s = ours / float(height) if height and ours > 0 else 1.0
    return [{**n, "position": [c * s for c in n["position"]]} for n in notes]


def _annotated_turntable(renderer, points, center, azimuth, polar, flat, notes, opts, out_dir) -> dict:
    # the whole turn with the notes' labels, no caption or end card: a clip for explaining the object
    (w, h), (rw, rh), fps, total = _video_sizes(opts)
    cameras = _turn_cameras(points, center, azimuth, polar, flat, total, rw / rh, captioned=False)
    path = out_dir / "turntable-annotated.mp4"
    with VideoWriter(path, (rw, rh), fps, crf=int(opts["video_crf"]), output_size=(w, h)) as video:
        labels.write_annotated(renderer, cameras, notes, video, (rw, rh), samples=int(opts["turntable_samples"]),
                               fxaa=bool(opts["turntable_fxaa"]))
    return {"name": path.name, "role": "turntable-annotated", "width": w, "height": h, "fps": fps,
            "frames": total, "seconds": round(total / fps, 3), "codec": "h264", "render_size": [rw, rh],
            "notes": len(notes)}


def main(argv: list[str]) -> int:
    """Child-process entry: read the job JSON, render, write the result JSON."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))

    def progress(pct: int, stage: str) -> None:
        print(f"@progress {int(pct)} {stage}", flush=True)

    try:
        files = render_previews(
            job["glb"],
            job["out_dir"],
            metadata=job["metadata"],
            options=job["options"],
            progress=progress,
        )
        result = {"ok": True, "files": files}
    except Exception as e:
        log.exception("previews: failed")
        result = {"ok": False, "error": str(e) or type(e).__name__, "type": type(e).__name__}
    Path(argv[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
