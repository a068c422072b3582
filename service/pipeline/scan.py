"""
scan.py
-------

The scan recipe: load an upload's main mesh, normalise it, write the
validated `master.glb`. Later levels (thumb, web, ar, USDZ) hang off
`DERIVE` so this flow stays one readable list.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from service.errors import InvalidScan
from service.pipeline import constants as tol
from service.pipeline import run_recipe
from service.pipeline.exchange import load
from service.pipeline.exchange.gltf_write import write_glb
from service.pipeline.manifest import describe_file
from service.pipeline.metadata import copyright_line
from service.pipeline.metadata import height_metres
from service.pipeline.scene import Scene
from service.pipeline.validate import validate_gltf

log = logging.getLogger(__name__)

Progress = Callable[[int, str], None]


def scan_recipe(metadata: dict) -> list[tuple[str, dict]]:
    """The normalisation recipe for a scan, from its catalogue metadata."""
    return [
        ("orient_up", {"up": metadata.get("up_axis")}),
        ("scale_to_metres", {"unit": metadata.get("unit"), "height": height_metres(metadata)}),
        ("center_base", {}),
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


def derive(scene: Scene, out_dir: Path, *, metadata: dict, options: dict, progress: Progress) -> dict:
    """Write every 3D derivative of a normalised scene (metres, +Y up, base at y=0).

    Shared by all flows (scans, flat panels, photogrammetry), so each kind of
    input gets the same levels. Returns the manifest body with "files".
    """
    progress(50, "write")
    master = write_glb(scene, out_dir / "master.glb", copyright=copyright_line(metadata))
    progress(60, "validate")
    report = validate_gltf(master)[0]
    if report["errors"]:
        first = report["messages"][0]["message"] if report["messages"] else "see manifest"
        raise InvalidScan(f"validate: master.glb has {report['errors']} glTF errors ({first})")
    lo, hi = scene.bounds
    outputs = {
        "master.glb": describe_file(
            master,
            role="master",
            faces=scene.faces,
            vertices=scene.vertices,
            bounds=[lo.round(6).tolist(), hi.round(6).tolist()],
            validation=report,
        )
    }
    return {
        "kind": metadata.get("kind") or "scan",
        "source": scene.info,
        "recipe": [],
        "files": outputs,
        "dimensions_m": (hi - lo).round(6).tolist(),
        "warnings": scene.warnings,
    }
