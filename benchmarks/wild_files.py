"""
wild_files.py
-------------

Files from the wild (issue 15): how many third-party 3D files that assimp
imports does `heritage-ar process` turn into valid derivatives, and does
anything crash? Each file is run as a new user would run it, through the
command line (`python -m service.cli process FILE + side files --out DIR
--no-previews`), in its own process with a time limit. Outcomes:

- ok: exit 0, manifest written, every GLB validated (derive refuses otherwise);
- refused: exit 2 with one "Error: ..." line and no traceback;
- crash: any other exit, a signal, the time limit, or "Traceback" on stderr.

The share's denominator is the files assimp imports with at least one
triangle or polygon (`assimp info`); files it refuses or that hold only
points or lines are run too and their crashes reported, but they are not
in the share. The folder is any collection of
third-party sample models kept outside the repository, e.g. assimp's own
`test/models` (see docs/scan-pipeline.md, "Files from the wild").

    python -m benchmarks.wild_files FOLDER [--jobs 2] [--only SUBSTRING]

Prints a table and writes benchmarks/out/wild_files.{json,png}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from service.pipeline.exchange.sniff import MESH_FORMATS
from service.pipeline.exchange.sniff import sniff

OUT = Path(__file__).resolve().parent / "out"
REPO = Path(__file__).resolve().parents[1]
FORMATS = {".obj", ".gltf", ".glb", ".dae", ".fbx", ".ply", ".stl", ".off", ".3mf"}
# other 3D files beside a main file are not sent with it (the upload would pick one by priority)
MODEL_SUFFIXES = FORMATS | {".zae", ".3ds", ".blend", ".lwo", ".x", ".ase", ".ms3d", ".md2", ".md5mesh", ".irr"}
TIME_LIMIT_S = 300


def assimp_faces(path: Path) -> int | None:
    """Faces assimp reads from a file, or None when it refuses it."""
    try:
        done = subprocess.run(["assimp", "info", str(path)], capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    # per mesh: "[vertices / bones / faces | primitive_types]"; points and lines are not surfaces
    meshes = re.findall(r"\[\s*\d+\s*/\s*\d+\s*/\s*(\d+)\s*\|\s*([^\]]*)\]", done.stdout)
    faces = sum(int(n) for n, kinds in meshes if "triangle" in kinds or "polygon" in kinds)
    return faces or None


def side_files(main: Path) -> list[Path]:
    """The main file plus what sits in its folder and sub-folders, other 3D files left out."""
    out = [main]
    for f in sorted(main.parent.rglob("*")):
        if f.is_file() and f != main and f.suffix.lower() not in MODEL_SUFFIXES and f.stat().st_size < 64 << 20:
            if sniff(f) not in MESH_FORMATS:  # e.g. a PLY saved without a suffix
                out.append(f)
    return out[:200]


def run_one(main: Path, root: Path) -> dict:
    """Process one file through the CLI in a child process; classify the outcome."""
    row = {"file": str(main.relative_to(root)), "format": main.suffix.lower().lstrip(".")}
    with tempfile.TemporaryDirectory(prefix="wild-") as tmp:
        tmp = Path(tmp)
        upload = tmp / "upload"
        for f in side_files(main):
            dst = upload / f.relative_to(main.parent)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst)
        env = {**os.environ, "PYTHONPATH": str(REPO), "HERITAGE_AR_DATA_DIR": str(tmp / "var")}
        t0 = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "service.cli", "process", str(upload), "--out", str(tmp / "out"), "--no-previews"],
                capture_output=True, text=True, timeout=TIME_LIMIT_S, env=env, cwd=REPO, check=False,
            )
        except subprocess.TimeoutExpired:
            row.update(outcome="crash", reason=f"over {TIME_LIMIT_S} s", seconds=TIME_LIMIT_S)
            return row
        row["seconds"] = round(time.perf_counter() - t0, 2)
        err = done.stderr
        errors = [ln for ln in err.splitlines() if ln.startswith("Error: ")]
        if "Traceback" in err or done.returncode not in (0, 2):
            last = [ln for ln in err.splitlines() if ln.strip()][-1:] or [f"exit {done.returncode}"]
            row.update(outcome="crash", reason=last[0][:200], traceback="Traceback" in err)
        elif done.returncode == 0:
            manifest = json.loads((tmp / "out" / "manifest.json").read_text())
            row.update(outcome="ok", reader=manifest.get("source", {}).get("reader"),
                       warnings=len(manifest.get("warnings", [])), faces=manifest.get("source", {}).get("faces"))
        else:
            row.update(outcome="refused", reason=errors[-1][7:][:200] if errors else "")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="process only paths containing this")
    args = ap.parse_args()
    root = args.folder.resolve()
    files = sorted(f for f in root.rglob("*") if f.is_file() and f.suffix.lower() in FORMATS and args.only in str(f))
    with ThreadPoolExecutor(args.jobs) as pool:
        faces = dict(zip(files, pool.map(assimp_faces, files)))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda f: run_one(f, root), files))
    wall = time.perf_counter() - t0
    for f, row in zip(files, rows):
        row["assimp_faces"] = faces[f]
    report(rows, root, wall)


def report(rows: list[dict], root: Path, wall: float) -> None:
    """Print the per-format table (files assimp imports) and every failure; write JSON and the plot."""
    counted = [r for r in rows if r["assimp_faces"]]
    others = [r for r in rows if not r["assimp_faces"]]
    by_format: dict[str, dict] = {}
    for r in counted:
        c = by_format.setdefault(r["format"], {"files": 0, "ok": 0, "refused": 0, "crash": 0})
        c["files"] += 1
        c[r["outcome"]] += 1
    total = {k: sum(c[k] for c in by_format.values()) for k in ("files", "ok", "refused", "crash")}
    print("| format | files assimp imports | valid derivatives | refused | crashes | share |")
    print("|---|---|---|---|---|---|")
    for fmt, c in sorted(by_format.items()) + [("**all**", total)]:
        share = 100.0 * c["ok"] / c["files"] if c["files"] else 0.0
        print(f"| {fmt} | {c['files']} | {c['ok']} | {c['refused']} | {c['crash']} | {share:.1f} % |")
    outcome = {k: sum(r["outcome"] == k for r in others) for k in ("ok", "refused", "crash")}
    print(f"\nfiles assimp refuses or finds no faces in (not in the share): {len(others)}: "
          f"{outcome['ok']} ok, {outcome['refused']} refused, {outcome['crash']} crashes; wall {wall:.0f} s")
    for r in rows:
        if r["outcome"] != "ok":
            print(f"  {r['outcome']:8} {'' if r['assimp_faces'] else '(not counted) '}{r['file']}: {r.get('reason', '')}")
    OUT.mkdir(parents=True, exist_ok=True)
    doc = {"folder": str(root), "rows": rows, "by_format": by_format, "total": total,
           "not_counted": outcome, "wall_s": round(wall, 1)}
    (OUT / "wild_files.json").write_text(json.dumps(doc, indent=1))
    plot(by_format, OUT / "wild_files.png")


def plot(by_format: dict, path: Path) -> None:
    """Stacked bars per format: valid, refused, crashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(by_format)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    bottom = [0] * len(names)
    for key, colour in (("ok", "#3a7d44"), ("refused", "#e0a030"), ("crash", "#c0392b")):
        values = [by_format[n][key] for n in names]
        ax.bar(names, values, bottom=bottom, color=colour, label=key)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_ylabel("files assimp imports")
    ax.set_title("Third-party files: valid derivatives, clean refusals, crashes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
