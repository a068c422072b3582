"""Interop fixtures: the viewer's processed artefact, with paradata, a poster, a cover and a turntable video."""

from __future__ import annotations

import io
import subprocess

import imageio_ffmpeg
import pytest
from PIL import Image

from tests.viewer.conftest import make_ready  # noqa: F401 - fixtures shared with the viewer tests
from tests.viewer.conftest import ready_template  # noqa: F401
from tests.viewer.helpers import add_derivative

PARADATA = {
    "digitisation": {"technique": "structured-light", "equipment": "Artec Eva", "date": "2024-05-02",
                     "operator": "Nguyễn Thị Hoa", "operator_id": "0000-0002-1825-0097"},
    "creator_ids": ["Q42", "https://viaf.org/viaf/113230702"],
    "private_note": "insurance value 2 billion VND",
}


def jpeg(size=(1200, 630), colour=(180, 120, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def mp4(path, seconds: float = 1.0, size: str = "108x192") -> bytes:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"color=c=orange:s={size}:d={seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(path)], check=True, timeout=60)
    return path.read_bytes()


@pytest.fixture
def published(make_ready, tmp_path):  # noqa: F811
    """A ready artefact with paradata, poster, cover and turntable: namespace(app, client, auth, art)."""
    r = make_ready()
    resp = r.client.patch(f"/api/v1/artefacts/{r.art['id']}", json=PARADATA, headers=r.auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    add_derivative(r.app, r.art["id"], "poster.jpg", jpeg(), role="poster", width=1200, height=630)
    add_derivative(r.app, r.art["id"], "cover.jpg", jpeg((1080, 1920)), role="cover", width=1080, height=1920)
    add_derivative(r.app, r.art["id"], "turntable.mp4", mp4(tmp_path / "t.mp4"), role="turntable",
                   width=108, height=192, duration=1.0)
    r.art = r.client.get(f"/api/v1/artefacts/{r.art['id']}", headers=r.auth).get_json()
    return r
