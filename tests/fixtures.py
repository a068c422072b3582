"""Small generated inputs shared by the tests (no binary fixtures in git)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from scripts.corpus import find_corpus
from scripts.corpus import how

REPO = Path(__file__).resolve().parents[1]
# resolved in one place (scripts/corpus.py); conftest stops the run when it is None
CORPUS = find_corpus() or REPO / "corpus-not-found"
CORPUS_FOUND = CORPUS.is_dir()
CORPUS_HOW = how()


def checker_png(size: int = 64) -> bytes:
    """A red/yellow checker texture: easy to recognise in renders and colour checks."""
    y, x = np.mgrid[0:size, 0:size]
    cells = ((x // 8) + (y // 8)) % 2
    img = np.zeros((size, size, 3), np.uint8)
    img[cells == 0] = (200, 40, 30)
    img[cells == 1] = (230, 200, 40)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def textured_box_obj(width: float = 20.0, height: float = 30.0, depth: float = 10.0) -> str:
    """OBJ text of a box in centimetres, +Y up, with UVs, a material and a corner off centre."""
    w, h, d = width / 2, height, depth / 2
    v = [(-w, 0, -d), (w, 0, -d), (w, h, -d), (-w, h, -d), (-w, 0, d), (w, 0, d), (w, h, d), (-w, h, d)]
    v = [(x + 5.0, y + 2.0, z - 3.0) for x, y, z in v]
    quads = [(1, 2, 3, 4), (5, 8, 7, 6), (1, 5, 6, 2), (2, 6, 7, 3), (3, 7, 8, 4), (4, 8, 5, 1)]
    lines = ["mtllib box material.mtl", "o box"]
    lines += [f"v {x} {y} {z}" for x, y, z in v]
    lines += ["vt 0 0", "vt 1 0", "vt 1 1", "vt 0 1"]
    lines.append("usemtl painted")
    for a, b, c, e in quads:
        lines.append(f"f {a}/1 {b}/2 {c}/3")
        lines.append(f"f {a}/1 {c}/3 {e}/4")
    return "\n".join(lines) + "\n"


MTL = "newmtl painted\nKd 1 1 1\nmap_Kd textures/checker tex.png\n"


def textured_obj_zip(path: Path) -> Path:
    """A zip like museums send: OBJ + MTL with spaces in names, texture in a sub-folder."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("scan/box.obj", textured_box_obj())
        z.writestr("scan/box material.mtl", MTL)
        z.writestr("scan/textures/checker tex.png", checker_png())
    return path
