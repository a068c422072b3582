"""
derive
------

What turns a normalised Scene into the derivative set every flow shares:
the validated uncompressed `master.glb`, the Draco levels (thumb,
web-1024/2048/4096, ar) and `ar.usdz`, each with the rights embedded and a
manifest entry (bytes, sha256, faces, texture size, validation, recipe).

Modules: `levels` (which level gets which budget, and writing them),
`compress` (Draco/meshopt through Node), `validate` (Khronos validator),
`usdz` and `usd_material` (the USDZ for Quick Look), `rights` (licence and
credit in the files).
"""

from __future__ import annotations

import logging
from pathlib import Path

from service.errors import InvalidScan
from service.pipeline.derive.levels import level_scenes
from service.pipeline.derive.levels import write_levels
from service.pipeline.derive.rights import gltf_extensions
from service.pipeline.derive.usdz import check_usdz
from service.pipeline.derive.usdz import write_usdz
from service.pipeline.derive.validate import start_validation
from service.pipeline.exchange.gltf_write import texture_sizes
from service.pipeline.exchange.gltf_write import write_glb
from service.pipeline.manifest import describe_file
from service.pipeline.metadata import copyright_line
from service.pipeline.progress import Progress
from service.pipeline.scene import Scene
from service.pipeline.steps.simplify import simplify

log = logging.getLogger(__name__)

# the master keeps the upload's resolution up to this many faces
MASTER_FACES = 1_000_000
USDZ_TEXTURE = 2048


def _write_usdz(ar: Scene, path: Path, metadata: dict, progress: Progress) -> tuple[Path, dict]:
    progress(80, "usdz")
    usdz = write_usdz(ar, path, metadata=metadata, texture_size=USDZ_TEXTURE)
    check = check_usdz(usdz)
    if check["errors"]:
        raise InvalidScan(f"usdz: ar.usdz fails its checks: {check['messages'][:3]}")
    return usdz, check


def derive(scene: Scene, out_dir: Path, *, metadata: dict, options: dict, progress: Progress) -> dict:
    """Write every 3D derivative of a normalised scene (metres, +Y up, base at y=0).

    Shared by all flows (scans, flat panels, photogrammetry), so each kind of
    input gets the same levels. Writes master.glb, thumb.glb, web-*.glb,
    ar.glb and ar.usdz into `out_dir` (flat names) and returns the manifest
    body with "files" (every file, with its "role"), "levels" (which file
    serves each requested level) and "recipe".

    Parameters
    ----------
    scene : Scene
      Normalised meshes.
    out_dir : Path
      Existing output folder.
    metadata : dict
      Catalogue metadata (title, creator, licence, accession number ...).
    options : dict
      Job options; `usdz` (default True) can switch the USDZ off.
    progress : callable(percent, stage)
    """
    out_dir = Path(out_dir)
    if not scene.meshes or scene.faces == 0:
        raise InvalidScan("derive: the scene has no faces to write")
    copyright = copyright_line(metadata)
    extensions = gltf_extensions(metadata)
    progress(50, "write")
    # the master is the upload as it came, up to MASTER_FACES (DESIGN.md §3)
    master_scene = simplify(scene, max_faces=MASTER_FACES)
    master = write_glb(master_scene, out_dir / "master.glb", copyright=copyright, asset_extensions=extensions)
    # overlap on 2 cores: the validator (Node) checks the master while we
    # simplify, and the USDZ is authored while the levels wait on Draco (Node)
    with start_validation(master) as master_check:
        progress(60, "simplify")
        todo, variants, scenes = level_scenes(scene)
        usdz_wanted = options.get("usdz", True)
        level_files, usdz = write_levels(
            scene,
            todo,
            scenes,
            out_dir,
            copyright=copyright,
            extensions=extensions,
            progress=progress,
            alongside=(lambda: _write_usdz(scenes["ar"], out_dir / "ar.usdz", metadata, progress)) if usdz_wanted else None,
        )
        progress(90, "validate")
        report = master_check.result()[0]
    if report["errors"]:
        first = report["messages"][0]["message"] if report["messages"] else "see manifest"
        raise InvalidScan(f"validate: master.glb has {report['errors']} glTF errors ({first})")
    lo, hi = scene.bounds
    outputs = {"master.glb": _master_entry(master, master_scene, scene, report), **level_files}
    if usdz is not None:
        outputs["ar.usdz"] = _usdz_entry(*usdz, scenes["ar"], outputs["ar.glb"]["texture_size"])
        variants["usdz"] = "ar.usdz"
    progress(95, "derived")
    return {
        "kind": metadata.get("kind") or "scan",
        "source": scene.info,
        "recipe": [{"step": "derive", "options": {"levels": sorted(variants)}}],
        "files": outputs,
        "levels": variants,
        "dimensions_m": (hi - lo).round(6).tolist(),
        "warnings": scene.warnings,
    }


def _master_entry(master: Path, master_scene: Scene, scene: Scene, report: dict) -> dict:
    """The manifest entry of master.glb: the upload's resolution up to MASTER_FACES, uncompressed."""
    lo, hi = scene.bounds
    sizes = [s for s in texture_sizes(master) if s]
    return describe_file(
        master,
        role="master",
        level="master",
        faces=master_scene.faces,
        vertices=master_scene.vertices,
        bounds=[lo.round(6).tolist(), hi.round(6).tolist()],
        texture_size=max((max(s) for s in sizes), default=None),
        textures=sizes,
        compression=None,
        validation=report,
        recipe=[
            {"step": "simplify", "options": {"max_faces": MASTER_FACES}, "reused_source": master_scene is scene},
            {"step": "write_glb", "options": {"texture_size": None, "compression": None}},
        ],
    )


def _usdz_entry(path: Path, check: dict, ar: Scene, texture_size: int | None) -> dict:
    """The manifest entry of ar.usdz, authored from the ar level."""
    return describe_file(
        path,
        role="usdz",
        level="ar",
        faces=ar.faces,
        vertices=ar.vertices,
        texture_size=texture_size,
        validation=check,
        recipe=[{"step": "write_usdz", "options": {"from": "ar.glb level", "texture_size": USDZ_TEXTURE}}],
    )
