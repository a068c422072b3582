"""Generate the demo artefact in assets/samples/: a blue-and-white glazed vase (lathe mesh + painted texture).

Run once; the output is committed so `heritage-ar seed` needs nothing else:
    python scripts/make_sample.py
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFilter
from trimesh.visual.material import PBRMaterial

OUT = Path(__file__).resolve().parents[1] / "assets" / "samples"


def profile() -> np.ndarray:
    """(n, 2) radius/height in cm of a Lê-dynasty style baluster vase, foot to lip."""
    h = np.linspace(0.0, 32.0, 48)
    r = 6.5 + 4.5 * np.sin(np.clip((h - 2) / 20, 0, 1) * np.pi) - 3.5 * np.clip((h - 20) / 8, 0, 1) ** 1.5
    r[h > 28] = 3.2 + (h[h > 28] - 28) * 0.45
    r[0] = 0.01
    return np.column_stack([r, h])


def lathe(p: np.ndarray, sections: int) -> tuple[trimesh.Trimesh, np.ndarray]:
    """Revolve a profile about +Z with a split UV seam: (mesh, (n, 2) uv).

    The last column of vertices repeats the first at u = 1, so no face wraps
    from u=0.98 back to 0 (that face squeezed the whole texture into a dark
    streak down the side; exchange/uv_wrap.py warns about it in uploads).
    """
    rows, cols = len(p), sections + 1
    angle = 2 * np.pi * np.arange(cols) / sections
    r, h = p[:, :1], p[:, 1:]
    vertices = np.stack([r * np.cos(angle), r * np.sin(angle), np.repeat(h, cols, axis=1)], axis=-1).reshape(-1, 3)
    u, v = np.meshgrid(np.arange(cols) / sections, p[:, 1] / p[:, 1].max())
    a = (np.arange(rows - 1)[:, None] * cols + np.arange(sections)[None]).ravel()
    b, c, d = a + 1, a + cols, a + cols + 1
    faces = np.concatenate([np.column_stack([a, b, d]), np.column_stack([a, d, c])])
    return trimesh.Trimesh(vertices, faces, process=False), np.column_stack([u.ravel(), v.ravel()])


def texture(size: int = 512) -> Image.Image:
    img = Image.new("RGB", (size, size), (236, 233, 222))
    d = ImageDraw.Draw(img)
    blue = (38, 64, 139)
    for y in (40, 60, 440, 470):
        d.rectangle([0, y, size, y + 8], fill=blue)
    rng = np.random.default_rng(7)
    for i in range(14):
        cx, cy = i * size / 14 + 18, 250 + 60 * np.sin(i)
        d.ellipse([cx - 16, cy - 28, cx + 16, cy + 28], outline=blue, width=4)
        for _ in range(3):
            a = rng.uniform(0, 2 * np.pi)
            d.line([cx, cy, cx + 40 * np.cos(a), cy + 40 * np.sin(a)], fill=blue, width=3)
    for x in range(0, size, 32):
        d.polygon([(x, 110), (x + 16, 150), (x + 32, 110)], outline=blue, width=3)
    return img.filter(ImageFilter.GaussianBlur(0.8))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    p = profile()
    sections = 64
    mesh, uv = lathe(p, sections)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    buf = io.BytesIO()
    texture().save(buf, format="JPEG", quality=88)
    img = Image.open(io.BytesIO(buf.getvalue()))
    mesh.visual = trimesh.visual.TextureVisuals(
        uv=uv,
        material=PBRMaterial(baseColorTexture=img, baseColorFactor=[255, 255, 255, 255], metallicFactor=0.0,
                             roughnessFactor=0.35),
    )
    mesh.apply_scale(0.01)  # metres
    mesh.export(OUT / "vase.glb")
    meta = {
        "title": {"vi": "Bình gốm men lam (mẫu)", "en": "Blue-and-white glazed vase (sample)"},
        "creator": "heritage-ar sample, generated",
        "culture": "Đại Việt, Lê dynasty style",
        "date": "generated 2026",
        "accession_number": "SAMPLE-0001",
        "dimensions": {"height": 32, "unit": "cm"},
        "licence": "CC0-1.0",
        "attribution": "heritage-ar project",
        "category": "cultural-heritage",
        "description": "A procedurally generated vase so a new installation has something to show.",
    }
    (OUT / "vase.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(OUT / "vase.glb", (OUT / "vase.glb").stat().st_size)


if __name__ == "__main__":
    main()
