"""
labels.py
---------

The annotated turntable: the same turn as `turntable.mp4`, with each
curator's note drawn beside its point (a numbered dot, a leader line and
its title) while the point faces the camera, fading in and out as it turns
into and out of view. Visibility is the note's surface normal against the
view direction, eased over FADE_DEGREES of turn: exact for convex shapes, and
for a point inside a deep concavity it may show a few frames early, which a
viewer reads as the label leading the turn.

Labels are drawn on the rendered frame in Python (Pillow), so they sit
exactly on the projected point; the caption and the end card are left to
the plain turntable.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from PIL import ImageDraw

from service.pipeline.render import overlay
from service.pipeline.render.camera import Camera

# a note shows fully once its normal is this far (degrees) inside the visible half
FADE_DEGREES = 25.0
ACCENT = (138, 59, 18)


def project(camera: Camera, point: np.ndarray, size: tuple[int, int]) -> tuple[float, float, float] | None:
    """Pixel (x, y from the top) and depth of a world point, or None when behind the camera."""
    w, h = size
    clip = camera.projection() @ camera.view() @ np.append(np.asarray(point, dtype=np.float64), 1.0)
    if clip[3] <= 1e-9:
        return None
    ndc = clip[:3] / clip[3]
    return (ndc[0] + 1) * 0.5 * w, (1 - ndc[1]) * 0.5 * h, float(ndc[2])


def facing(camera: Camera, point, normal) -> float:
    """0 (turned away) to 1 (facing the camera) for a point with a surface normal."""
    to_eye = np.asarray(camera.eye, dtype=np.float64) - np.asarray(point, dtype=np.float64)
    n = np.linalg.norm(to_eye)
    if n < 1e-9:
        return 0.0
    cos = float(np.dot(to_eye / n, np.asarray(normal, dtype=np.float64)))
    return float(np.clip(cos / np.sin(np.radians(FADE_DEGREES)), 0.0, 1.0))


def label_text(note: dict) -> str:
    title = note.get("title") or {}
    return title.get("vi") or title.get("en") or ""


def draw_labels(frame: np.ndarray, camera: Camera, notes: list[dict]) -> np.ndarray:
    """(h, w, 3) uint8 frame, top row first, with the notes that face the camera drawn on it."""
    h, w = frame.shape[:2]
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(12, round(h * 0.022))
    text_font, number_font = overlay.font(size, bold=True), overlay.font(round(size * 0.8), bold=True)
    radius = round(size * 0.75)
    for i, note in enumerate(notes):
        alpha = facing(camera, note["position"], note["normal"])
        at = project(camera, note["position"], (w, h))
        if alpha <= 0 or at is None:
            continue
        x, y, _ = at
        a = round(255 * alpha)
        # the label goes to the side of the frame the point is on, so it stays inside the frame
        side = 1 if x < w / 2 else -1
        lx, ly = x + side * 3 * radius, y - 2 * radius
        draw.line([(x, y), (lx, ly)], fill=(255, 255, 255, a), width=max(2, size // 8))
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(*ACCENT, a),
                     outline=(255, 255, 255, a), width=max(2, size // 10))
        draw.text((x, y), str(i + 1), font=number_font, fill=(255, 255, 255, a), anchor="mm")
        text = label_text(note)
        if text:
            box = draw.textbbox((0, 0), text, font=text_font, anchor="lm")
            tw = box[2] - box[0]
            left = lx if side > 0 else lx - tw - size
            left = min(max(4, left), w - tw - size - 4)
            pad = size // 3
            draw.rounded_rectangle([left, ly - size * 0.75, left + tw + size, ly + size * 0.75], radius=pad,
                                   fill=(20, 18, 16, round(200 * alpha)))
            draw.text((left + size / 2, ly), text, font=text_font, fill=(255, 255, 255, a), anchor="lm")
    return overlay.compose(frame, layer)


def write_annotated(renderer, cameras: list[Camera], notes: list[dict], video, size: tuple[int, int], *,
                    samples: int, fxaa: bool) -> None:
    """Render the turn into `video` (a VideoWriter taking top-row-first frames) with the labels drawn."""
    for camera in cameras:
        rgb = renderer.render(camera, size, samples=samples, fxaa=fxaa)[..., :3]
        video.write(draw_labels(np.ascontiguousarray(rgb), camera, notes))
