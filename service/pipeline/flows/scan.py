"""
scan.py
-------

The scan flow: load an upload's main mesh, run the normalisation recipe
(repair, sRGB textures, +Y up, metres, base at the origin), then `derive`.
"""

from __future__ import annotations

from pathlib import Path

from service.pipeline import constants as tol
from service.pipeline.derive import derive
from service.pipeline.exchange import load
from service.pipeline.metadata import height_metres
from service.pipeline.progress import Progress
from service.pipeline.steps import run_recipe


def scan_recipe(metadata: dict) -> list[dict]:
    """The normalisation recipe for a scan, from its catalogue metadata."""
    return [
        {"step": "repair", "options": {}},
        {"step": "to_srgb", "options": {}},
        {"step": "orient_up", "options": {"up": metadata.get("up_axis")}},
        {"step": "scale_to_metres", "options": {"unit": metadata.get("unit"), "height": height_metres(metadata)}},
        {"step": "center_base", "options": {}},
    ]


def process_scan(files: list[Path], out_dir: Path, *, metadata: dict, options: dict, progress: Progress) -> dict:
    """Turn an uploaded scan into derivatives; return the manifest body."""
    progress(5, "load")
    scene = load(
        files,
        max_faces=options.get("max_faces", tol.DEFAULT_MAX_FACES),
        max_image_pixels=options.get("max_image_pixels", tol.DEFAULT_MAX_IMAGE_PIXELS),
    )
    progress(30, "normalise")
    scene, ran = run_recipe(scene, scan_recipe(metadata))
    body = derive(scene, out_dir, metadata=metadata, options=options, progress=progress)
    body["recipe"] = ran + body.get("recipe", [])
    return body
