"""Time and memory of the photo-set flows on realistic inputs.

    python benchmarks/photos.py            # table on stdout, bars in benchmarks/out/photos.png

Cases: the socketed-axe ring (22 x 5184x3456 JPEG) at the default spin sizes,
with and without its masks; a flat painting from a 24-megapixel photo, with
rectification; and a 16-bit Adobe RGB TIFF of 24 megapixels (ICC in float).
Each case runs in a child process so peak RSS is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out"

CASE = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
import numpy as np
sys.path.insert(0, {repo!r})
from service.pipeline.flows import process
from tests.fixtures import CORPUS
from tests.pipeline.photos.helpers import matrix_trc_profile, painting
name = {name!r}
tmp = Path(tempfile.mkdtemp())
md = {{"title": {{"en": "bench"}}}}
if name.startswith("ring"):
    axe = CORPUS / "photosets" / "socketed-axe"
    inputs = [axe / "images"] + ([axe / "masks"] if "masks" in name else [])
    md["kind"] = "ring"
elif name == "flat-24mp-rectify":
    import cv2
    from tests.pipeline.photos.test_rectify import _wall
    art = cv2.resize(painting(610, 460), (3050, 2300), interpolation=cv2.INTER_CUBIC)
    wall = cv2.resize(_wall(), (6000, 4000))
    src = np.float32([[0, 0], [3050, 0], [3050, 2300], [0, 2300]])
    dst = np.float32([[1500, 800], [4600, 1000], [4450, 3300], [1400, 3150]])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(art, m, (6000, 4000))
    inside = cv2.warpPerspective(np.full((2300, 3050), 1, np.uint8), m, (6000, 4000))[..., None]
    photo = np.where(inside > 0, warped, wall)
    cv2.imwrite(str(tmp / "front.jpg"), photo[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    inputs = [tmp / "front.jpg"]
    md.update(kind="flat", rectify=True, dimensions={{"width": 61, "height": 46, "unit": "cm"}})
else:
    import tifffile
    px = (np.random.default_rng(0).random((4000, 6000, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(tmp / "scan.tif", px, photometric="rgb", iccprofile=matrix_trc_profile())
    inputs = [tmp / "scan.tif"]
    md.update(kind="flat", dimensions={{"width": 60, "height": 40, "unit": "cm"}})
t = time.perf_counter()
m = process(inputs, tmp / "out", metadata=md)
dt = time.perf_counter() - t
size = sum(f["bytes"] for f in m["files"].values())
print(json.dumps({{"case": name, "seconds": round(dt, 2), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "files": len(m["files"]), "output_mb": round(size / 2**20, 2)}}))
"""

CASES = ["ring-axe", "ring-axe-masks", "flat-24mp-rectify", "tiff16-24mp"]


def main() -> None:
    rows = []
    for name in CASES:
        code = CASE.format(repo=str(REPO), name=name)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        if res.returncode:
            print(res.stderr[-2000:], file=sys.stderr)
            continue
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"{'case':22} {'seconds':>8} {'peak MB':>8} {'files':>6} {'out MB':>7}")
    for r in rows:
        print(
            f"{r['case']:22} {r['seconds']:8.2f} {r['peak_mb']:8d} {r['files']:6d} {r['output_mb']:7.2f}"
        )
    _plot(rows)


def _plot(rows: list[dict]) -> None:
    from PIL import Image
    from PIL import ImageDraw

    OUT.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (640, 40 + 40 * len(rows)), "white")
    draw = ImageDraw.Draw(img)
    top = max([r["seconds"] for r in rows] + [1])
    draw.text((10, 10), "photo-set flows: wall seconds (bar), peak MB", fill="black")
    for i, r in enumerate(rows):
        y = 40 + 40 * i
        draw.text((10, y + 8), r["case"], fill="black")
        draw.rectangle([180, y, 180 + int(380 * r["seconds"] / top), y + 28], fill=(70, 110, 160))
        draw.text((186, y + 8), f"{r['seconds']} s, {r['peak_mb']} MB", fill="white")
    img.save(OUT / "photos.png")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
