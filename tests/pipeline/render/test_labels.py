"""The annotated turntable: a note's label appears beside its point while the point faces the camera,
and is gone while it faces away; the plain turntable is unchanged by notes."""

from __future__ import annotations

import av
import numpy as np
import pytest
import trimesh

from service.pipeline.render import labels
from service.pipeline.render.camera import Camera
from tests.pipeline.render.test_previews import SMALL_VIDEO
from tests.pipeline.render.test_previews import _job

# a 20 x 30 x 10 cm box, base at the origin; one note on the front (+Z) face, one on the back
NOTES = [
    {"position": [0.0, 0.15, 0.05], "normal": [0, 0, 1], "title": {"vi": "Mặt trước", "en": "Front"}},
    {"position": [0.0, 0.15, -0.05], "normal": [0, 0, -1], "title": {"en": "Back"}},
]


def _box_glb(path):
    box = trimesh.creation.box(extents=[0.2, 0.3, 0.1])
    box.apply_translation([0, 0.15, 0])
    box.visual = trimesh.visual.ColorVisuals(box, face_colors=[200, 200, 200, 255])
    box.export(path)
    return path


def _front_camera(aspect=9 / 16):
    return Camera(eye=np.array([0.0, 0.15, 1.2]), target=np.array([0.0, 0.15, 0.0]), fov_y=30.0, aspect=aspect,
                  near=0.05, far=5.0)


def test_projection_puts_the_target_in_the_middle():
    x, y, depth = labels.project(_front_camera(), [0.0, 0.15, 0.0], (270, 480))
    assert (x, y) == pytest.approx((135, 240), abs=1e-3) and -1 < depth < 1


def test_facing_fades_with_the_turn():
    cam = _front_camera()
    assert labels.facing(cam, NOTES[0]["position"], NOTES[0]["normal"]) == 1.0
    assert labels.facing(cam, NOTES[1]["position"], NOTES[1]["normal"]) == 0.0
    side = Camera(eye=np.array([1.2, 0.15, 0.3]), target=cam.target, fov_y=30.0, aspect=cam.aspect, near=0.05, far=5)
    assert 0.0 < labels.facing(side, NOTES[0]["position"], NOTES[0]["normal"]) < 1.0


def test_labels_drawn_only_for_notes_facing_the_camera():
    frame = np.full((480, 270, 3), 128, np.uint8)
    drawn = labels.draw_labels(frame, _front_camera(), NOTES)
    changed = np.abs(drawn.astype(int) - frame).sum(axis=2) > 30
    x, y, _ = labels.project(_front_camera(), NOTES[0]["position"], (270, 480))
    assert changed[round(y), round(x)]  # the numbered dot sits on the point
    assert changed.sum() > 400  # and the title box beside it
    back_only = labels.draw_labels(frame, _front_camera(), NOTES[1:])
    assert (back_only == frame).all()


def test_annotated_turntable_video(tmp_path):
    src = _box_glb(tmp_path / "box.glb")
    out, body, _ = _job(tmp_path, src, **SMALL_VIDEO, overlay=False, notes=NOTES, notes_height_m=0.3)
    entry = body["files"]["turntable-annotated.mp4"]
    assert (entry["role"], entry["width"], entry["height"], entry["notes"]) == ("turntable-annotated", 270, 480, 2)
    with av.open(str(out / "turntable-annotated.mp4")) as annotated, av.open(str(out / "turntable.mp4")) as plain:
        a = [f.to_ndarray(format="rgb24").astype(int) for f in annotated.decode(video=0)]
        p = [f.to_ndarray(format="rgb24").astype(int) for f in plain.decode(video=0)]
    assert len(a) == entry["frames"] == 12
    # the turn starts at the 3/4 front view: the front note's label shows; half a turn later the back one's
    diff = [float((np.abs(x - y).sum(axis=2) > 60).mean()) for x, y in zip(a, p)]
    assert diff[0] > 0.005 and diff[6] > 0.005
    # a quarter turn on, both faces are edge-on to the camera: (almost) no label
    assert min(diff[2:5]) < diff[0] / 3
