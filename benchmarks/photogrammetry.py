"""Per-stage time and peak memory of the photogrammetry flow, with pictures.

    python benchmarks/photogrammetry.py                 # all cases
    python benchmarks/photogrammetry.py axe bowl        # some cases

Cases: `bowl` and `vase` (synthetic truth, 24 views of 640x480, declared
height, Chamfer and height error printed), `axe` (corpus socketed axe, 22 x
5184x3456 JPEG with masks, default options: photos capped at 1600 px) and
`buddha` (corpus, 6 x 2736x1540 PNG, no EXIF, no masks). Each case runs in
a child process so its peak RSS is its own. Prints a table, writes
benchmarks/out/photogrammetry.png (stage bars) and, per case,
benchmarks/out/photogrammetry-<case>.jpg: one photo (the first; the
buddha's face-side photo), the result ray-cast from that photo's recovered
camera, and the result turned 90 degrees about +Y.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out"
STAGES = ("photos", "sparse", "dense", "mesh", "texture", "orient", "derive")

CASE = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
import numpy as np, trimesh
sys.path.insert(0, {repo!r})
from service.pipeline.flows import process
from tests.fixtures import CORPUS
from tests.pipeline.photogrammetry import synth
from tests.pipeline.photogrammetry.truth import align, chamfer, visible_samples
name, out = {name!r}, Path({out!r})
tmp = Path(tempfile.mkdtemp())
md = {{"title": {{"en": name}}, "kind": "photogrammetry"}}
opts = {{"usdz": False}}
rings, size = [(15, 16), (50, 12)], (640, 480)
if name in ("bowl", "vase"):
    truth = getattr(synth, name)()
    synth.write_photo_set(truth, tmp / "photos", rings=rings, size=size)
    inputs, source = [tmp / "photos"], tmp / "photos" / "view_000.jpg"
    md["dimensions"] = {{"height": round(truth.extents[1] * 100, 3), "unit": "cm"}}
elif name == "axe":
    axe = CORPUS / "photosets" / "socketed-axe"
    inputs, source = [axe / "images", axe / "masks"], axe / "images" / "IMG_8839.JPG"
else:
    b = CORPUS / "photosets" / "buddha-head" / "images"
    inputs, source = [b], b / "00018._c.png"  # the face side, with the board and markers
    opts["min_photos"] = 6
t0 = time.perf_counter()
body = process(inputs, out / "result", metadata=md, options=opts)
wall = time.perf_counter() - t0
facts = body["photogrammetry"]
row = {{"case": name, "wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": facts["seconds"], "registered": facts["registered"], "photos": facts["photos"]["photos"],
        "faces": facts["mesh"]["faces"], "scale": facts["scale"]["source"], "source": str(source),
        "camera": next((c for c in facts["cameras"] if c["photo"] == source.name), facts["cameras"][0])}}
mesh = trimesh.load(out / "result" / "master.glb", force="mesh")
if name in ("bowl", "vase"):
    eyes = synth.camera_eyes(truth, rings, size)
    tp, _ = visible_samples(truth, eyes, 15000)
    rp = mesh.sample(15000)
    T = align(rp, tp)
    diag = np.linalg.norm(truth.extents)
    row["chamfer_pct"] = 100 * chamfer(rp @ T[:3, :3].T + T[:3, 3], tp) / diag
    row["height_err_pct"] = 100 * abs(mesh.extents[1] / truth.extents[1] - 1)
print("RESULT " + json.dumps(row))
"""


def run_case(name: str) -> dict:
    out = OUT / f"pg-{name}"
    out.mkdir(parents=True, exist_ok=True)
    code = CASE.format(repo=str(REPO), name=name, out=str(out))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{name}: failed")
    row = json.loads(line[0][7:])
    picture(row, out / "result" / "master.glb", OUT / f"photogrammetry-{name}.jpg")
    return row


def picture(row: dict, glb: Path, dst: Path, height: int = 480) -> None:
    """The source photo, the result ray-cast (texture colours) from that photo's camera, and the
    result from 90 degrees to the side, where the photo says nothing."""
    import trimesh
    from PIL import Image

    from tests.pipeline.photogrammetry.truth import render_texture

    mesh = trimesh.load(glb, force="mesh")
    render, _ = render_texture(mesh, row["camera"], height)
    side, _ = render_texture(mesh, side_camera(mesh, row["camera"]), height)
    h, w = render.shape[:2]
    photo = Image.open(row["source"]).convert("RGB").resize((w, h))
    sheet = Image.new("RGB", (3 * w, h))
    sheet.paste(photo, (0, 0))
    sheet.paste(Image.fromarray(render), (w, 0))
    sheet.paste(Image.fromarray(side), (2 * w, 0))
    sheet.save(dst, quality=88)


def side_camera(mesh, camera: dict) -> dict:
    """`camera` turned 90 degrees about the model's vertical axis (+Y) through its centre."""
    import numpy as np

    M = np.array(camera["world_to_camera"], float)
    centre = mesh.bounds.mean(axis=0)
    a = np.radians(90)
    turn = np.array([[np.cos(a), 0, np.sin(a), 0], [0, 1, 0, 0], [-np.sin(a), 0, np.cos(a), 0], [0, 0, 0, 1]])
    shift, back = np.eye(4), np.eye(4)
    shift[:3, 3], back[:3, 3] = -centre, centre
    # the world turns by -90 degrees about the centre, so the camera sees its side
    M = M @ back @ np.linalg.inv(turn) @ shift
    return {**camera, "world_to_camera": M.tolist()}


def main(cases: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [run_case(c) for c in cases]
    head = f"{'case':8} {'photos':>7} {'placed':>7} {'faces':>7} " + " ".join(
        f"{s:>8}" for s in STAGES
    )
    print(head + f" {'total s':>8} {'peak MB':>8} {'chamfer%':>8} {'height%':>8}")
    for r in rows:
        secs = " ".join(f"{r['seconds'].get(s, 0):8.1f}" for s in STAGES)
        extra = f"{r.get('chamfer_pct', float('nan')):8.2f} {r.get('height_err_pct', float('nan')):8.2f}"
        print(
            f"{r['case']:8} {r['photos']:7d} {r['registered']:7d} {r['faces']:7d} {secs} {r['wall']:8.1f} {r['rss_mb']:8.0f} {extra}"
        )
    _plot(rows)


def _plot(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.5 * len(rows)))
    for i, r in enumerate(rows):
        left = 0.0
        for s in STAGES:
            v = r["seconds"].get(s, 0)
            ax.barh(i, v, left=left, label=s if i == 0 else None)
            left += v
    ax.set_yticks(range(len(rows)), [f"{r['case']} ({r['rss_mb']:.0f} MB)" for r in rows])
    ax.set_xlabel("seconds (2 shared vCPU)")
    ax.legend(ncol=4, fontsize=7)
    fig.tight_layout()
    fig.savefig(OUT / "photogrammetry.png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:] or ["bowl", "vase", "axe", "buddha"])
