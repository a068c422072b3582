"""
levels.py
---------

The delivery levels of DESIGN.md §3 as data, and the function that writes
them: simplify once per face budget, write each level as an uncompressed
GLB, validate all of them in one glTF-Validator run, Draco-compress them
in one glTF-Transform run, decode every compressed file back and compare
it with its source. Small scans are not inflated: a level whose budget is
above the scan's face count reuses the scan, and a texture variant larger
than the source texture is served by the smaller file (`variants`).
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import nullcontext
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass
from dataclasses import replace
from pathlib import Path

from service.errors import InvalidScan
from service.pipeline.derive.compress import DRACO_DEFAULTS
from service.pipeline.derive.compress import decode_check
from service.pipeline.derive.compress import draco
from service.pipeline.derive.compress import start_draco
from service.pipeline.derive.validate import start_validation
from service.pipeline.derive.validate import validate_gltf
from service.pipeline.exchange.glb import patch_glb
from service.pipeline.exchange.glb import read_images
from service.pipeline.exchange.glb import replace_images
from service.pipeline.exchange.gltf_write import GENERATOR
from service.pipeline.exchange.gltf_write import texture_sizes
from service.pipeline.exchange.gltf_write import write_glb
from service.pipeline.manifest import describe_file
from service.pipeline.progress import Progress
from service.pipeline.scene import Scene
from service.pipeline.steps.simplify import simplify
from service.pipeline.texture_files import JPEG_QUALITY
from service.pipeline.texture_files import WEBP_QUALITY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Level:
    """One delivery file: its role, face budget, texture size and byte budget."""

    name: str
    role: str
    max_faces: int
    texture: int
    max_bytes: int | None = None
    base_colour_only: bool = False
    webp: bool = False


# browsers get WebP textures; `ar` stays JPEG/PNG for Scene Viewer and the USDZ
LEVELS = (
    Level("thumb", "thumb", 20_000, 512, max_bytes=200_000, base_colour_only=True, webp=True),
    Level("web-1024", "web", 150_000, 1024, webp=True),
    Level("web-2048", "web", 150_000, 2048, webp=True),
    Level("web-4096", "web", 150_000, 4096, webp=True),
    Level("ar", "ar", 100_000, 2048),
)
# over its byte budget, the thumb first halves its texture (not below
# MIN_THUMB_TEXTURE), then loses faces by this factor, at most MAX_SHRINKS times
THUMB_SHRINK = 0.6
MAX_SHRINKS = 4
MIN_THUMB_TEXTURE = 256


def source_texture_size(scene: Scene) -> int:
    """Longest side of the largest texture in the scene, 0 when untextured."""
    sizes = [0]
    for m in scene.meshes:
        mat = getattr(m.visual, "material", None)
        for image in (getattr(mat, "baseColorTexture", None), getattr(mat, "image", None)):
            if image is not None:
                sizes.append(max(image.size))
    return max(sizes)


def plan(scene: Scene, levels=LEVELS) -> tuple[list[Level], dict[str, str]]:
    """Levels to write for this scene and which file serves each requested level.

    A web variant whose texture size is above the source's is served by the
    next smaller variant rather than written again with the same pixels.
    """
    source = source_texture_size(scene)
    todo, serves = [], {}
    previous: Level | None = None
    for level in levels:
        if level.role == "web" and previous is not None and previous.role == "web" and source <= previous.texture:
            serves[level.name] = serves[previous.name]
            continue
        todo.append(level)
        serves[level.name] = f"{level.name}.glb"
        previous = level
    return todo, serves


def level_scenes(scene: Scene, levels=LEVELS) -> tuple[list[Level], dict[str, str], dict[str, Scene]]:
    """Plan the levels and simplify the scene once per face budget.

    Returns
    -------
    todo : list of Level
      Levels to write.
    serves : dict
      Requested level name -> file that serves it.
    scenes : dict
      Level name -> its Scene (the scene itself when within budget).
    """
    todo, serves = plan(scene, levels)
    by_budget: dict[int, Scene] = {}
    # a chain, largest budget first: 1M -> 150k -> 100k -> 20k costs one full
    # pass instead of three (1.7 s -> 0.6 s on the 1M atlas), at the same error
    source = scene
    for budget in sorted({lv.max_faces for lv in todo}, reverse=True):
        source = by_budget[budget] = simplify(source, max_faces=budget)
    return todo, serves, {lv.name: by_budget[lv.max_faces] for lv in todo}


def write_levels(
    scene: Scene,
    todo: list[Level],
    scenes: dict[str, Scene],
    out_dir: Path,
    *,
    copyright: str | None,
    extensions: dict,
    progress: Progress,
    alongside: Callable[[], Any] | None = None,
) -> tuple[dict, Any]:
    """Write the Draco GLB of every planned level (`level_scenes`) into `out_dir`.

    `alongside` runs in this thread while the Node validator and encoder work
    (in threads, pxr's and Pillow's library loading deadlocked each other).

    Returns
    -------
    files : dict
      Manifest entries by file name.
    done_alongside :
      What `alongside` returned (None without it).
    """
    todo, scenes = list(todo), dict(scenes)  # the thumb's byte budget may shrink its entries
    progress(65, "levels")
    with tempfile.TemporaryDirectory(prefix="levels-") as tmp:
        work = Path(tmp)
        # levels that differ only in texture size share one Draco encode; the
        # encoder (Node) starts as soon as the distinct geometries are written,
        # and the texture-only variants, the validator and `alongside` run beside it
        shared = _shared_geometry(todo, scenes)
        # largest texture first, so each smaller one is resized from the last (textures.fit)
        first = sorted((lv for lv in todo if lv.name not in shared), key=lambda lv: -lv.texture)
        raw = {lv.name: _write_raw(scenes[lv.name], work, lv, copyright, extensions) for lv in first}
        progress(75, "compress")
        pairs = [(raw[lv.name], out_dir / f"{lv.name}.glb") for lv in first]
        with start_draco(pairs) as encoding, start_validation(*raw.values()) as checking:
            variants = {lv.name: _write_raw(scenes[lv.name], work, lv, copyright, extensions) for lv in todo if lv.name in shared}
            with start_validation(*variants.values()) if variants else nullcontext() as checking_variants:
                done_alongside = alongside() if alongside else None
                encoding.result()
                found = checking.result() + (checking_variants.result() if variants else [])
        raw.update(variants)
        reports = {r["file"]: r for r in found}
        for name, path in raw.items():
            if reports[path.name]["errors"]:
                raise InvalidScan(f"validate: {name}.glb has glTF errors: {reports[path.name]['messages'][:2]}")
        for name, base in shared.items():
            replace_images(out_dir / f"{base}.glb", read_images(raw[name]), out_dir / f"{name}.glb")
        # the byte budget of the thumb: a smaller texture, then fewer faces, until it fits
        for i, lv in enumerate(todo):
            tries = 0
            while tries < MAX_SHRINKS and lv.max_bytes and (out_dir / f"{lv.name}.glb").stat().st_size > lv.max_bytes:
                tries += 1
                if tries == 1 and lv.texture > MIN_THUMB_TEXTURE:
                    lv = todo[i] = replace(lv, texture=lv.texture // 2)
                else:
                    smaller = simplify(scenes[lv.name], max_faces=int(scenes[lv.name].faces * THUMB_SHRINK))
                    if smaller.faces >= scenes[lv.name].faces or smaller.faces < 500:
                        break
                    scenes[lv.name] = smaller
                raw[lv.name] = _write_raw(scenes[lv.name], work, lv, copyright, extensions)
                reports[raw[lv.name].name] = validate_gltf(raw[lv.name])[0]
                draco([(raw[lv.name], out_dir / f"{lv.name}.glb")])
            if lv.max_bytes and (out_dir / f"{lv.name}.glb").stat().st_size > lv.max_bytes:
                log.warning("levels: %s stays over %d bytes", lv.name, lv.max_bytes)
        files = {}
        for lv in todo:
            out = out_dir / f"{lv.name}.glb"
            _restamp(out, copyright)
            check = decode_check(out, raw[lv.name])
            level_scene = scenes[lv.name]
            sizes = [s for s in texture_sizes(raw[lv.name]) if s]
            files[out.name] = describe_file(
                out,
                role=lv.role,
                level=lv.name,
                faces=level_scene.faces,
                vertices=level_scene.vertices,
                texture_size=max((max(s) for s in sizes), default=None),
                textures=sizes,
                compression="KHR_draco_mesh_compression",
                validation={"uncompressed": _brief(reports[raw[lv.name].name]), "decoded": check},
                recipe=[
                    {"step": "simplify", "options": {"max_faces": lv.max_faces}, "reused_source": level_scene is scene},
                    {
                        "step": "textures",
                        "options": {
                            "max_size": lv.texture,
                            "format": "webp" if lv.webp else "jpeg/png",
                            "quality": WEBP_QUALITY if lv.webp else JPEG_QUALITY,
                            "base_colour_only": lv.base_colour_only,
                        },
                    },
                    {
                        "step": "draco",
                        "options": DRACO_DEFAULTS,
                        "tool": "glTF-Transform 4.5.1",
                        "geometry_of": shared.get(lv.name, lv.name),
                    },
                ],
            )
    return files, done_alongside


def _shared_geometry(todo: list[Level], scenes: dict[str, Scene]) -> dict[str, str]:
    # level name -> earlier level with the very same Scene (only textures differ)
    # a base-colour-only level (thumb) has fewer images, so it never lends its encode to a full one
    shared, first = {}, {}
    for lv in todo:
        key = (id(scenes[lv.name]), lv.base_colour_only)
        if key in first and lv.role == "web":
            shared[lv.name] = first[key]
        else:
            first.setdefault(key, lv.name)
    return shared


def _write_raw(scene: Scene, work: Path, level: Level, copyright, extensions) -> Path:
    return write_glb(
        scene,
        work / f"{level.name}.glb",
        copyright=copyright,
        texture_size=level.texture,
        base_colour_only=level.base_colour_only,
        webp=level.webp,
        asset_extensions=extensions,
    )


def _restamp(path: Path, copyright: str | None) -> None:
    # glTF-Transform writes its own generator; keep ours and the rights line
    def stamp(doc: dict) -> None:
        asset = doc.setdefault("asset", {"version": "2.0"})
        asset["generator"] = f"{GENERATOR} (Draco by {asset.get('generator', 'glTF-Transform')})"
        if copyright:
            asset["copyright"] = copyright

    patch_glb(path, stamp)


def _brief(report: dict) -> dict:
    return {k: report[k] for k in ("errors", "warnings", "infos", "hints", "messages") if k in report}
