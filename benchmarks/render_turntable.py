"""Benchmark the preview renderer on a 150k-face scan.

Prints ms per frame (render + readback) at each preview size and MSAA level,
the whole default turntable (6 s, 30 fps, 1080x1920, caption, end card) in
wall and CPU seconds, and peak RSS; saves a plot to benchmarks/out/.

    PYTHONPATH=. python benchmarks/render_turntable.py [model.glb] [--frames 12]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from service.pipeline.render import camera as cam
from service.pipeline.render.gl import Renderer
from service.pipeline.render.model import bounds_of
from service.pipeline.render.model import load_parts
from service.pipeline.render.model import points_of
from service.pipeline.render.worker import render_previews

DEFAULT_MODEL = (
    REPO.parent / "shared" / "corpus" / "scans" / "sea-turtle" / "sea_turtle-150k-2048-medium.glb"
)
SIZES = [(512, 512), (1200, 630), (1080, 1920)]
# (MSAA samples, FXAA): stills use MSAA 4, the turntable MSAA 0 + FXAA
VARIANTS = [(0, False), (0, True), (2, False), (4, False)]
METADATA = {
    "title": {"vi": "Rùa biển đồi mồi", "en": "Hawksbill sea turtle"},
    "institution": "Bảo tàng Thiên nhiên",
    "licence": "CC-BY-4.0",
}


def per_frame(model: Path, frames: int) -> dict:
    """ms per frame (wall and CPU) for each size and MSAA level."""
    parts = load_parts(model)
    bounds, points = bounds_of(parts), points_of(parts)
    center = (bounds[0] + bounds[1]) / 2
    renderer = Renderer(parts)
    out = {}
    for w, h in SIZES:
        cams = cam.turntable_frame(
            points, center, cam.POLAR, w / h, azimuths=np.arange(frames) * 360 / frames
        )
        for s, fxaa in VARIANTS:
            renderer.render(
                cams[0], (w, h), samples=s, fxaa=fxaa
            )  # warm up: shader compile, targets
            t0, c0 = time.perf_counter(), time.process_time()
            for c in cams:
                renderer.render(c, (w, h), samples=s, fxaa=fxaa)
            out[(w, h, s, fxaa)] = (
                (time.perf_counter() - t0) / frames * 1000,
                (time.process_time() - c0) / frames * 1000,
            )
    renderer.release()
    return out


def turntable(model: Path) -> tuple[float, float, float, float]:
    """(all previews wall s, turntable wall s, CPU s incl. ffmpeg, video MB), default options."""
    with tempfile.TemporaryDirectory() as tmp:
        before = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        t0 = time.perf_counter()
        opts = {"share_url": "https://example.org/a/1", "hashtags": ["heritage"]}
        marks: dict[str, float] = {}

        def progress(pct: int, stage: str) -> None:
            marks.setdefault(stage, time.perf_counter())

        files = render_previews(model, tmp, metadata=METADATA, options=opts, progress=progress)
        wall = time.perf_counter() - t0
        video = marks["previews: done"] - marks["previews: turntable"]
        after = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
        mb = (Path(tmp) / "turntable.mp4").stat().st_size / 1e6
        assert any(f["name"] == "turntable.mp4" for f in files)
    return wall, video, cpu, mb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    ap.add_argument("--frames", type=int, default=12, help="frames per size/MSAA cell")
    args = ap.parse_args()
    model = Path(args.model)
    t0 = time.perf_counter()
    stats = per_frame(model, args.frames)
    print(f"model: {model.name}; load avg {Path('/proc/loadavg').read_text().split()[0]}")
    print(
        f"| {'size':<10} | {'anti-aliasing':<13} | {'wall ms/frame':>13} | {'CPU ms/frame':>12} |"
    )
    print(f"|{'-' * 12}|{'-' * 15}|{'-' * 15}|{'-' * 14}|")
    for (w, h, s, fxaa), (wall, cpu) in stats.items():
        print(f"| {f'{w}x{h}':<10} | {_aa(s, fxaa):<13} | {wall:>13.0f} | {cpu:>12.0f} |")
    wall, video, cpu, mb = turntable(model)
    rss = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        f"default turntable (6 s, 1080x1920, 30 fps, FXAA, caption, end card): {video:.1f} s wall, {mb:.2f} MB"
    )
    print(
        f"all previews (load, 6 stills, turntable): {wall:.1f} s wall, {cpu:.1f} s CPU incl. ffmpeg"
    )
    print(f"peak RSS: {rss / 1024:.0f} MB (largest of this process and ffmpeg)")
    print(f"benchmark total {time.perf_counter() - t0:.0f} s")
    _plot(stats, video)


def _aa(samples: int, fxaa: bool) -> str:
    return f"MSAA {samples}" + (" + FXAA" if fxaa else "")


def _plot(stats: dict, wall: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.2
    for i, (s, fxaa) in enumerate(VARIANTS):
        ys = [stats[(w, h, s, fxaa)][0] for w, h in SIZES]
        ax.bar(np.arange(len(SIZES)) + (i - 1.5) * width, ys, width, label=_aa(s, fxaa))
    ax.set_xticks(range(len(SIZES)), [f"{w}x{h}" for w, h in SIZES])
    ax.set_ylabel("wall ms per frame")
    ax.set_title(f"preview renderer, 150k faces (whole default turntable {wall:.1f} s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "render_turntable.png", dpi=100)
    print(f"plot: {out / 'render_turntable.png'}")


if __name__ == "__main__":
    main()
