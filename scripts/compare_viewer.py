"""Render one GLB in the real viewer and in our preview renderer, side by side, and print SSIM.

The viewer is model-viewer from node_modules, in headless Chromium (apt
`chromium`, driven by playwright with executable_path, never `playwright
install`), served by a local HTTP server this script starts. Both renderers
get the same camera (orbit, target, field of view), a white background and a
soft contact shadow. SSIM is computed on luminance (Gaussian window 11,
sigma 1.5, Wang et al. 2004).

    PYTHONPATH=. python scripts/compare_viewer.py model.glb [--size 512] [--out pair.png]

Prints `SSIM 0.xxx` on the last line; target >= 0.8.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image
from PIL import ImageDraw
from scipy.ndimage import gaussian_filter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from service.pipeline.render import camera as cam
from service.pipeline.render.gl import Renderer
from service.pipeline.render.model import bounds_of
from service.pipeline.render.model import load_parts
from service.pipeline.render.model import points_of

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]
SHADOW = 0.55

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<style>
html, body {{ margin: 0; background: #fff; overflow: hidden; }}
model-viewer {{ width: {w}px; height: {h}px; background: #fff; --poster-color: #fff; }}
model-viewer::part(default-progress-bar) {{ display: none; }}
</style>
<script>
self.ModelViewerElement = self.ModelViewerElement || {{}};
self.ModelViewerElement.dracoDecoderLocation = '/draco/';
</script>
<script type="module" src="/model-viewer.min.js"></script>
</head><body>
<model-viewer id="mv" src="/model.glb" camera-orbit="{orbit}" camera-target="{target}"
  field-of-view="{fov}deg" min-field-of-view="1deg" max-field-of-view="90deg"
  min-camera-orbit="auto 0deg {rmin}" max-camera-orbit="auto 180deg {rmax}"
  shadow-intensity="{shadow}" shadow-softness="1" tone-mapping="neutral"
  interaction-prompt="none" disable-zoom></model-viewer>
</body></html>
"""


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of two (h, w) grey images in 0..255."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return gaussian_filter(x, 1.5, truncate=3.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(s.mean())


def ours(glb: Path, size: tuple[int, int], camera: cam.Camera) -> Image.Image:
    """Our renderer over white, with the same shadow strength as the viewer."""
    renderer = Renderer(load_parts(glb), shadow=SHADOW)
    rgba = renderer.render(camera, size, samples=4, transparent=True)
    renderer.release()
    img = Image.fromarray(rgba, "RGBA")
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, img).convert("RGB")


def viewer(
    glb: Path, size: tuple[int, int], camera: cam.Camera, *, timeout_s: float = 120
) -> Image.Image:
    """model-viewer's rendering of the same camera, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    mv = REPO / "node_modules" / "@google" / "model-viewer" / "dist" / "model-viewer.min.js"
    draco = REPO / "node_modules" / "three" / "examples" / "jsm" / "libs" / "draco" / "gltf"
    if not mv.is_file():
        raise SystemExit(f"compare_viewer: {mv} missing; run `npm install` in the repo")
    az, polar, radius = camera.orbit()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(mv, root / "model-viewer.min.js")
        shutil.copytree(draco, root / "draco")
        shutil.copy(glb, root / "model.glb")
        t = camera.target
        (root / "index.html").write_text(
            PAGE.format(
                w=size[0],
                h=size[1],
                orbit=f"{az:.4f}deg {polar:.4f}deg {radius:.6f}m",
                target=f"{t[0]:.6f}m {t[1]:.6f}m {t[2]:.6f}m",
                fov=f"{camera.fov_y:.4f}",
                # a radius limit of 0 m breaks the viewer's near plane: keep it near the real one
                rmin=f"{radius * 0.5:.6f}m",
                rmax=f"{radius * 2:.6f}m",
                shadow=SHADOW,
            ),
            encoding="utf-8",
        )
        handler = functools.partial(_Quiet, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": size[0], "height": size[1]})
                page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
                page.wait_for_function(
                    "() => { const mv = document.getElementById('mv'); return mv && mv.loaded && mv.modelIsVisible; }",
                    timeout=timeout_s * 1000,
                )
                # let the shadow and a few frames settle
                page.evaluate(
                    "() => new Promise(r => { let n = 0; const f = () => ++n > 10 ? r() : requestAnimationFrame(f); f(); })"
                )
                page.wait_for_timeout(500)
                png = page.locator("#mv").screenshot()
                browser.close()
        finally:
            server.shutdown()
    import io

    return Image.open(io.BytesIO(png)).convert("RGB")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".glb": "model/gltf-binary",
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("glb")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--azimuth", type=float)
    ap.add_argument("--polar", type=float)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out" / "compare_viewer.png"))
    args = ap.parse_args()
    glb = Path(args.glb)
    size = (args.size, args.size)
    parts = load_parts(glb)
    bounds = bounds_of(parts)
    az, polar = cam.default_view(bounds)
    az = args.azimuth if args.azimuth is not None else az
    polar = args.polar if args.polar is not None else polar
    camera = cam.frame(
        points_of(parts), (bounds[0] + bounds[1]) / 2, cam.orbit_direction(az, polar), 1.0
    )
    a = ours(glb, size, camera)
    b = viewer(glb, size, camera)
    score = ssim(np.asarray(a.convert("L")), np.asarray(b.convert("L")))
    pair = Image.new("RGB", (size[0] * 2, size[1] + 28), "white")
    pair.paste(a, (0, 28))
    pair.paste(b, (size[0], 28))
    d = ImageDraw.Draw(pair)
    d.text((8, 8), "heritage-ar renderer (moderngl, EGL)", fill=(0, 0, 0))
    d.text((size[0] + 8, 8), f"model-viewer (headless Chromium)   SSIM {score:.3f}", fill=(0, 0, 0))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pair.save(out)
    print(f"pair: {out}")
    print(f"SSIM {score:.3f}")


if __name__ == "__main__":
    main()
