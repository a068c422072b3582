"""exchange/video: the one MP4 writer (spin videos and preview turntables)."""

from __future__ import annotations

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from service.errors import PreviewFailed
from service.pipeline.exchange.video import VideoWriter
from service.pipeline.exchange.video import write_mp4


def _frames(n=12, size=(64, 48)):
    w, h = size
    for i in range(n):
        frame = np.zeros((h, w, 3), np.uint8)
        frame[:, : (i + 1) * w // n] = (200, 40, 30)
        yield frame


def _probe(path) -> str:
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path)], capture_output=True, text=True).stderr


def test_write_mp4_streams_frames_into_a_web_mp4(tmp_path):
    path = write_mp4(_frames(), tmp_path / "spin.mp4", size=(64, 48), fps=10.0)
    info = _probe(path)
    assert "h264" in info and "yuv420p" in info and "64x48" in info and "10 fps" in info
    # +faststart: the index (moov) comes before the media data
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_odd_sizes_are_refused_before_ffmpeg_starts(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_mp4(_frames(size=(63, 48)), tmp_path / "x.mp4", size=(63, 48), fps=10)


def test_a_frame_of_the_wrong_size_is_refused_and_ffmpeg_stopped(tmp_path):
    with pytest.raises(ValueError, match="does not match"):
        with VideoWriter(tmp_path / "x.mp4", (64, 48), 10) as video:
            video.write(np.zeros((10, 10, 3), np.uint8))
    assert video.proc.poll() is not None


def test_ffmpeg_failing_is_reported_with_its_message(tmp_path):
    video = VideoWriter(tmp_path / "no-such-folder" / "x.mp4", (64, 48), 10)
    with pytest.raises(PreviewFailed, match="ffmpeg failed"):
        try:
            for frame in _frames():
                video.write(frame)
        except BrokenPipeError:
            pass
        video.close()
