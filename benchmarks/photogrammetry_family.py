"""Accuracy of the photogrammetry flow on a family of synthetic objects (issue 16), per stage.

    python benchmarks/photogrammetry_family.py                      # every object, label "run"
    python benchmarks/photogrammetry_family.py --label before lobed_vase box
    python benchmarks/photogrammetry_family.py --size 1200x900 --option voxels=320 figurine

Objects: `tests/pipeline/photogrammetry/synth.FAMILY` (bowl, lobed vase,
fluted vase, figurine with a handle loop and a thin arm, sharp-edged box),
each rendered from a ring of 16 photos at 15 degrees and 12 at 50 degrees
(28; `--rings` changes it) and run through `process()` with its true height
declared, in a child process of its own so its peak RSS is its own.

Scores, as % of the truth's bounding-box diagonal, against the truth surface
some camera sees (truth.visible_samples):
- `sparse`: COLMAP's sparse points, placed on the truth by the similarity that
  takes the recovered camera centres onto the true ones: mean distance to the truth;
- `dense acc`: the filtered depth points, placed the same way (mean distance to the truth);
- `fused acc / comp`: the TSDF surface, the same way;
- `acc / comp / chamfer`: the final mesh after the best rigid alignment (yaw
  search + ICP): accuracy = mean distance result -> truth, completeness =
  truth -> result, Chamfer = their mean;
- `scale %`: the size the declared height gave, against the truth: the placed
  cameras (manifest, model metres) fitted onto the true ones by a similarity.

Prints a table, appends the rows to benchmarks/out/family-<label>.json and
draws benchmarks/out/family.png (Chamfer per object, every label found) and
benchmarks/out/family-<object>.png (truth and result, shaded, seen from an
angle between the ring's photos).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out"
RINGS = [(15, 16), (50, 12)]

CASE = r"""
import json, pickle, re, resource, sys, tempfile, time
from pathlib import Path
import numpy as np, trimesh
sys.path.insert(0, {repo!r})
from service.pipeline.flows import photogrammetry as flow
from service.pipeline.flows import process
from service.pipeline.photogrammetry.fuse import depth_points
from tests.pipeline.photogrammetry import synth
from tests.pipeline.photogrammetry.truth import align, camera_similarity, scale_error, surface_scores, visible_samples
name, out, rings, size, opts = {name!r}, Path({out!r}), {rings!r}, tuple({size!r}), {opts!r}
caught = {{}}
def spy(fn, key):
    def inner(*a, **k):
        caught[key] = fn(*a, **k)
        return caught[key]
    return inner
flow.reconstruct = spy(flow.reconstruct, "sparse")
flow.dense_maps = spy(flow.dense_maps, "maps")
flow.tsdf_fuse = spy(flow.tsdf_fuse, "fused")
tmp = Path(tempfile.mkdtemp())
truth = synth.FAMILY[name]()
synth.write_photo_set(truth, tmp / "photos", rings=rings, size=size)
md = {{"title": {{"en": name}}, "kind": "photogrammetry",
       "dimensions": {{"height": round(truth.extents[1] * 100, 4), "unit": "cm"}}}}
t0 = time.perf_counter()
body = process([tmp / "photos"], out / "result", metadata=md, options={{"usdz": False, **opts}})
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
diag = float(np.linalg.norm(truth.extents))
eyes = synth.camera_eyes(truth, rings, size)
tp, _ = visible_samples(truth, eyes, 30000)
sparse = caught["sparse"]
idx = [int(re.search(r"(\d+)", v.name).group(1)) for v in sparse.views]
S = camera_similarity(np.array([v.centre for v in sparse.views]), eyes[idx])
place = lambda p: trimesh.transform_points(np.asarray(p, float), S)
row = {{"object": name, "photos": len(eyes), "placed": len(sparse.views), "size": list(size), "options": opts,
        "wall": round(wall, 1), "rss_mb": round(rss), "seconds": body["photogrammetry"]["seconds"],
        "dense_method": body["photogrammetry"]["dense"]["method"]}}
row["sparse"] = surface_scores(place(sparse.points), tp, diag)["acc"]
dense = surface_scores(place(depth_points(list(caught["maps"].values()), sample=100_000)), tp, diag)
row["dense_acc"], row["dense_comp"] = dense["acc"], dense["comp"]
fused = surface_scores(place(caught["fused"].sample(30000)), tp, diag)
row["fused_acc"], row["fused_comp"] = fused["acc"], fused["comp"]
mesh = trimesh.load(out / "result" / "master.glb", force="mesh")
rp = mesh.sample(30000)
T = align(rp, tp)
rp = trimesh.transform_points(rp, T)
row.update(surface_scores(rp, tp, diag))
# the scale the declared height gave: the placed cameras (model metres) against the true ones
row["scale_err"] = round(100 * scale_error(body["photogrammetry"]["cameras"], eyes), 2)
row["height_err"] = round(100 * abs(mesh.extents[1] / truth.extents[1] - 1), 2)
mesh.apply_transform(T)
mesh.export(out / "aligned.ply")
if {keep!r}:  # the stages' inputs, to try fusion and closure variants without SfM and stereo
    with open(out / "stages.pkl", "wb") as f:
        pickle.dump({{"sparse": sparse, "maps": caught["maps"], "S": S, "opts": body["recipe"][0]["options"]}}, f)
print("RESULT " + json.dumps(row))
"""


def run_object(name: str, *, size: tuple[int, int], rings: list, opts: dict, keep: bool = False) -> dict:
    out = OUT / f"family-{name}"
    out.mkdir(parents=True, exist_ok=True)
    code = CASE.format(repo=str(REPO), name=name, out=str(out), rings=rings, size=list(size), opts=opts, keep=keep)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode or not line:
        print(proc.stderr[-3000:], file=sys.stderr)
        return {"object": name, "failed": proc.stderr.strip().splitlines()[-1:] or ["?"]}
    row = json.loads(line[0][7:])
    picture(name, out / "aligned.ply", OUT / f"family-{name}.png", rings=rings)
    return row


def picture(name: str, aligned: Path | list[Path], dst: Path, *, rings: list, height: int = 300) -> None:
    """Truth (left) and the aligned result(s) (right; e.g. before and after a change), grey-shaded
    by their normals, seen from halfway between two ring photos and 32 degrees up: an angle no
    photo was taken from."""
    import numpy as np
    import trimesh
    from PIL import Image

    from tests.pipeline.photogrammetry import synth

    truth = synth.FAMILY[name]()
    results = [trimesh.load(p, force="mesh") for p in (aligned if isinstance(aligned, list) else [aligned])]
    size = (round(height * 4 / 3), height)
    centre, distance = synth._placement(truth, size, 32)
    # a little farther than the photos, so the whole object shows with a margin
    pose = synth.ring_cameras(centre, 1.1 * distance, [(32, 1)], phase=np.pi / rings[0][1])[0]
    focal = 32 * np.hypot(*size) / 43.267
    tiles = [_shaded(m, pose, size, focal) for m in (truth, *results)]
    Image.fromarray(np.concatenate(tiles, 1)).save(dst, optimize=True)


def _shaded(mesh, pose, size, focal):
    import numpy as np

    from tests.pipeline.photogrammetry.synth import cast

    w, h = size
    rays, hit = cast(mesh, pose, size, focal)
    ok = np.isfinite(hit["t_hit"].numpy())
    n = hit["primitive_normals"].numpy()[ok]
    # a head lamp raised a little: facets turned away from the eye go dark
    light = -rays[ok, 3:] + np.array([0.3, 0.6, 0.0])
    light /= np.linalg.norm(light, axis=1, keepdims=True)
    img = np.full(len(rays), 235.0)
    img[ok] = 40 + 190 * np.abs((n * light).sum(1))
    return np.repeat(img.reshape(h, w, 1), 3, axis=2).astype(np.uint8)


COLUMNS = ("sparse", "dense_acc", "dense_comp", "fused_acc", "fused_comp", "acc", "comp", "chamfer", "scale_err")


def table(rows: list[dict]) -> str:
    head = f"{'object':12} {'placed':>7} " + " ".join(f"{c:>10}" for c in COLUMNS) + f" {'time s':>7} {'peak MB':>8}"
    lines = [head]
    for r in rows:
        if "failed" in r:
            lines.append(f"{r['object']:12} failed: {r['failed'][0]}")
            continue
        cells = " ".join(f"{r[c]:10.2f}" for c in COLUMNS)
        lines.append(f"{r['object']:12} {r['placed']:3d}/{r['photos']:<3d} {cells} {r['wall']:7.0f} {r['rss_mb']:8.0f}")
    return "\n".join(lines)


def plot() -> None:
    """Chamfer per object, one bar per label (family-<label>.json), the 1 % target drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = sorted(OUT.glob("family-*.json"), key=lambda p: (p.stem != "family-before", p.stem))
    runs = {p.stem[len("family-"):]: json.loads(p.read_text()) for p in files}
    objects = sorted({r["object"] for rows in runs.values() for r in rows if "chamfer" in r})
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(1, len(runs))
    for k, (label, rows) in enumerate(runs.items()):
        last = {r["object"]: r["chamfer"] for r in rows if "chamfer" in r}  # the latest run of each
        xs = [i + k * width for i, o in enumerate(objects) if o in last]
        ax.bar(xs, [last[o] for o in objects if o in last], width, label=label)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(objects))], objects)
    ax.set_ylabel("Chamfer, % of diagonal")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "family.png", dpi=100)


def main() -> None:
    from tests.pipeline.photogrammetry.synth import FAMILY

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("objects", nargs="*", default=list(FAMILY))
    ap.add_argument("--label", default="run")
    ap.add_argument("--size", default="800x600", help="photo size, WxH")
    ap.add_argument("--rings", default="15:16,50:12", help="elevation:count,...")
    ap.add_argument("--keep", action="store_true", help="pickle SfM and the depth maps to out/family-<object>/")
    ap.add_argument("--option", action="append", default=[], help="flow option key=value (numbers parsed)")
    args = ap.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))
    rings = [(float(e), int(n)) for e, n in (r.split(":") for r in args.rings.split(","))]
    opts = {"mesh_faces": 20_000, "texture_size": 1024}
    for kv in args.option:
        k, v = kv.split("=", 1)
        opts[k] = json.loads(v) if v[:1].isdigit() or v in ("true", "false") else v
    OUT.mkdir(parents=True, exist_ok=True)
    store = OUT / f"family-{args.label}.json"
    rows = []
    for name in args.objects:
        rows.append(run_object(name, size=size, rings=rings, opts=opts, keep=args.keep))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
        kept = json.loads(store.read_text()) if store.exists() else []
        store.write_text(json.dumps(kept + rows[-1:], indent=1))
    print(table(rows))
    plot()


if __name__ == "__main__":
    main()
