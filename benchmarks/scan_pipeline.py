"""
scan_pipeline.py
----------------

Benchmark the scan pipeline against `gltf-transform optimize` and
`gltfpack` in the same run, on corpus scans and a generated 1M-face
textured scan with a 128-chart atlas. For every input and tool: wall
time and peak RSS of the whole run (child process, measured with wait4),
bytes per level, and the error of each level against the full-resolution
mesh (Chamfer and Hausdorff / bbox diagonal, texture error).

Levels compared: thumb (20k faces, 512 px), web (150k, 2048 px), ar (100k,
2048 px). Ours also writes web-1024/4096, master and ar.usdz inside its
measured time. gltf-transform: `optimize` with Draco, simplify ratio and
`--texture-size` per level, `--texture-compress auto` (re-encodes in the
source format; with `false` it does not resize at all). gltfpack (npm build: no texture resizing without BasisU, so its textures stay at source size): -cc
meshopt compression; its errors are measured on an uncompressed run with
the same simplification.

    python -m benchmarks.scan_pipeline [--quick]

Prints a table and writes benchmarks/out/scan_pipeline.{json,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scan_metrics import compare
from benchmarks.scan_metrics import load_mesh
from service.pipeline.tools import node_bin
from tests.fixtures import CORPUS

OUT = Path(__file__).resolve().parent / "out"
LEVELS = {"thumb": (20_000, 512), "web": (150_000, 2048), "ar": (100_000, 2048)}
SCANS = [
    "scans/bali-mask/mask-gltf-2.0_separated-valid.gltf",
    "scans/sea-turtle/sea_turtle-150k-2048-medium.glb",
    "scans/igea/igea.ply",
    "scans/laurana/Laurana50k.ply",
]


# Linux carries the parent's peak RSS into a forked child across exec, so a
# child of this (large) process would report our memory. A small wrapper
# process starts the tool instead and reports its peak RSS (with children).
_WRAPPER = (
    "import os, subprocess, sys, resource\n"
    "p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(max(usage.ru_maxrss, kids)))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def timed(cmd: list[str], **kw) -> tuple[float, int]:
    """Run a command; return (wall seconds, peak RSS in MB of the command and its children)."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-S", "-c", _WRAPPER, rss.name, *cmd], stderr=subprocess.PIPE, check=False, **kw)
        wall = time.perf_counter() - t0
        if done.returncode:
            raise RuntimeError(f"{cmd[0]} failed: {done.stderr.decode(errors='replace')[-500:]}")
        peak = int(Path(rss.name).read_text() or 0)
    return wall, peak // 1024


def as_glb(src: Path, work: Path) -> Path:
    """The peers read glTF only, and gltfpack no Draco: give them the scan as a plain GLB (unnormalised)."""
    if src.suffix.lower() == ".glb":
        from service.pipeline.exchange.glb import read_glb

        if "KHR_draco_mesh_compression" not in (read_glb(src)[0].get("extensionsRequired") or []):
            return src
    out = work / (src.stem + "-plain.glb")
    code = (
        "import sys, trimesh; from service.pipeline.exchange import load; from service.pipeline.exchange.gltf_write import write_glb;"
        "s = load([__import__('pathlib').Path(p) for p in sys.argv[2:]]); write_glb(s, sys.argv[1])"
    )
    files = [str(p) for p in src.parent.iterdir() if p.is_file()] if src.suffix == ".gltf" else [str(src)]
    # the same meshes and textures, written by our writer without normalising
    subprocess.run([sys.executable, "-c", code, str(out), *files], check=True, env=_env())
    return out


def _env() -> dict:
    root = Path(__file__).resolve().parents[1]
    return {**os.environ, "PYTHONPATH": str(root)}


def run_ours(src: Path, work: Path) -> dict:
    out = work / "ours"
    code = (
        "import sys, pathlib; from service.pipeline.flows import process;"
        "process([pathlib.Path(sys.argv[1])], pathlib.Path(sys.argv[2]), metadata={'title': {'en': 'bench'}, 'unit': 'm'}, options={'previews': False})"
    )
    wall, rss = timed([sys.executable, "-c", code, str(src), str(out)], env=_env())
    manifest = json.loads((out / "manifest.json").read_text())
    files = {"thumb": out / "thumb.glb", "web": out / manifest["levels"]["web-2048"], "ar": out / "ar.glb"}
    total = sum(e["bytes"] for n, e in manifest["files"].items() if n != "master.glb")
    return {"wall": wall, "rss": rss, "files": files, "reference": out / "master.glb", "all_bytes": total}


def run_gltf_transform(src: Path, work: Path, faces: int) -> dict:
    tool = str(node_bin("gltf-transform"))
    files, wall, rss = {}, 0.0, 0
    for level, (budget, size) in LEVELS.items():
        out = work / f"gt-{level}.glb"
        ratio = min(1.0, budget / faces)
        cmd = [tool, "optimize", str(src), str(out), "--compress", "draco", "--texture-compress", "auto",
               "--texture-size", str(size), "--simplify", "true" if ratio < 1 else "false",
               "--simplify-ratio", f"{ratio:.4f}", "--simplify-error", "1"]
        w, r = timed(cmd)
        wall, rss, files[level] = wall + w, max(rss, r), out
    return {"wall": wall, "rss": rss, "files": files, "reference": src}


def run_gltfpack(src: Path, work: Path, faces: int) -> dict:
    tool = str(node_bin("gltfpack"))
    files, wall, rss, measure = {}, 0.0, 0, {}
    for level, (budget, _) in LEVELS.items():
        ratio = min(1.0, budget / faces)
        out = work / f"gp-{level}.glb"
        w, r = timed([tool, "-i", str(src), "-o", str(out), "-si", f"{ratio:.4f}", "-cc"])
        wall, rss, files[level] = wall + w, max(rss, r), out
        plain = work / f"gp-{level}-plain.glb"
        timed([tool, "-i", str(src), "-o", str(plain), "-si", f"{ratio:.4f}", "-noq"])
        measure[level] = plain
    return {"wall": wall, "rss": rss, "files": files, "measure": measure, "reference": src}


def bench(name: str, src: Path, work: Path) -> list[dict]:
    glb = as_glb(src, work)
    reference = load_mesh(glb)
    faces = len(reference.faces)
    rows = []
    for tool, fn in (("ours", lambda: run_ours(src, work)),
                     ("gltf-transform", lambda: run_gltf_transform(glb, work, faces)),
                     ("gltfpack", lambda: run_gltfpack(glb, work, faces))):
        res = fn()
        ref = load_mesh(res["reference"]) if tool == "ours" else reference
        row = {"input": name, "faces": faces, "tool": tool, "wall_s": round(res["wall"], 2), "rss_mb": res["rss"]}
        for level, path in res["files"].items():
            mesh = load_mesh(res.get("measure", {}).get(level, path))
            err = compare(ref, mesh)
            row[f"{level}_bytes"] = path.stat().st_size
            row[f"{level}_tex_px"] = _texture_px(path)
            row[f"{level}_faces"] = len(mesh.faces)
            for k, v in err.items():
                row[f"{level}_{k}"] = v
        row["glb_bytes"] = sum(row[f"{lv}_bytes"] for lv in LEVELS)
        if "all_bytes" in res:
            row["all_outputs_bytes"] = res["all_bytes"]
        rows.append(row)
        print(_line(row), flush=True)
    return rows


def _texture_px(path: Path) -> int | None:
    # largest image side in a GLB, from the image headers
    import io

    from PIL import Image

    from service.pipeline.exchange.glb import read_images

    sizes = [max(Image.open(io.BytesIO(data)).size) for data, _, _ in read_images(path)]
    return max(sizes, default=None)


def _line(row: dict) -> str:
    def f(x, fmt):
        return "-" if x is None else format(x, fmt)

    parts = [f"{row['input'][:22]:22s}", f"{row['tool']:14s}", f"{row['wall_s']:7.2f}s", f"{row['rss_mb']:5d}MB"]
    for lv in LEVELS:
        parts.append(
            f"{lv}:{row[f'{lv}_faces']:>7,}f {row[f'{lv}_tex_px'] or 0:>4}px {row[f'{lv}_bytes'] / 1e3:6.0f}KB ch {f(row[f'{lv}_chamfer'], '.1e')}"
            f" hd {f(row[f'{lv}_hausdorff'], '.1e')} tex {f(row[f'{lv}_tex_err'], '.3f')}"
        )
    return " | ".join(parts)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inputs = list(dict.fromkeys(r["input"] for r in rows))
    tools = ["ours", "gltf-transform", "gltfpack"]
    fig, axes = plt.subplots(1, 4, figsize=(20, 5))
    width = 0.27
    for k, (key, label) in enumerate(
        [("wall_s", "wall time (s)"), ("rss_mb", "peak RSS (MB)"), ("glb_bytes", "thumb+web+ar GLB bytes (MB)"), ("web_chamfer", "web Chamfer / diag")]
    ):
        ax = axes[k]
        for t, tool in enumerate(tools):
            vals = []
            for name in inputs:
                row = next((r for r in rows if r["input"] == name and r["tool"] == tool), None)
                v = row.get(key) if row else None
                vals.append((v / 1e6 if key == "glb_bytes" else v) if v is not None else 0)
            ax.bar([i + (t - 1) * width for i in range(len(inputs))], vals, width, label=tool)
        ax.set_xticks(range(len(inputs)))
        ax.set_xticklabels([n[:14] for n in inputs], rotation=30, ha="right", fontsize=8)
        ax.set_title(label)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description="scan pipeline vs gltf-transform vs gltfpack")
    parser.add_argument("--quick", action="store_true", help="only the generated scan at 300k faces")
    parser.add_argument("--faces", type=int, default=1_000_000, help="faces of the generated atlas scan")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        atlas = work / "atlas" / "atlas.glb"
        atlas.parent.mkdir()
        faces = 300_000 if args.quick else args.faces
        subprocess.run([sys.executable, "-m", "benchmarks.scan_atlas", str(atlas), "--faces", str(faces)], check=True, env=_env())
        inputs = [(f"atlas-{faces // 1000}k", atlas)] + ([] if args.quick else [(Path(s).stem, CORPUS / s) for s in SCANS])
        for name, src in inputs:
            sub = work / name
            sub.mkdir(exist_ok=True)
            rows += bench(name, src, sub)
    (OUT / "scan_pipeline.json").write_text(json.dumps(rows, indent=1))
    plot(rows, OUT / "scan_pipeline.png")
    print(f"wrote {OUT / 'scan_pipeline.json'} and {OUT / 'scan_pipeline.png'}")


if __name__ == "__main__":
    main()
