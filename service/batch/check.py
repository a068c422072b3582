"""
check.py
--------

Validate a collection before anything is uploaded: every problem of every
row, not just the first, so a technician fixes the spreadsheet in one pass.
`--dry-run` prints these; a real run skips the rows that have any.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from service.batch.bundle import part_name
from service.batch.items import Item
from service.errors import InvalidMetadata
from service.pipeline.exchange.sniff import sniff
from service.pipeline.metadata import CATEGORIES
from service.pipeline.metadata import FLAT_KINDS
from service.pipeline.metadata import KINDS
from service.pipeline.metadata import LICENCES
from service.pipeline.metadata import validate_metadata

log = logging.getLogger(__name__)

# extension -> formats `sniff` may report for a healthy file of that name
EXPECTED = {
    ".glb": {"glb"}, ".gltf": {"gltf"}, ".obj": {"obj"}, ".mtl": {"mtl"}, ".ply": {"ply"},
    ".stl": {"stl"}, ".off": {"off"}, ".dae": {"dae"}, ".3mf": {"3mf", "zip"}, ".usdz": {"usdz", "zip"},
    ".zip": {"zip", "3mf", "usdz"}, ".e57": {"e57"}, ".fbx": {"fbx"}, ".jpg": {"jpeg"}, ".jpeg": {"jpeg"},
    ".png": {"png"}, ".tif": {"tiff"}, ".tiff": {"tiff"}, ".webp": {"webp"}, ".heic": {"heic"},
}
MODELS = {"glb", "gltf", "obj", "ply", "stl", "off", "dae", "3mf", "usdz", "usda", "usdc", "zip", "e57", "fbx", "xyz"}
IMAGES = {"jpeg", "png", "tiff", "webp", "heic"}
# extensions of files that are fine to carry along but are never sniffed as models (README, sidecars)
SIDECARS = {".bin", ".txt", ".md", ".xml", ".json", ".csv", ".pdf"}


def check_items(items: list[Item]) -> dict[str, list[str]]:
    """Find every problem of every item.

    Returns
    -------
    problems : dict
      item key -> list of messages (empty for a good item); also stored on
      each item's `problems`.
    """
    seen: dict[str, str] = {}
    for item in items:
        if item.key in seen:
            item.problems.append(f"accession number {item.key!r} is also used by {seen[item.key]}; "
                                 "each artefact needs its own")
        else:
            seen[item.key] = item.source
        item.problems.extend(check_metadata(item.metadata))
        item.problems.extend(check_files(item.files, kind=item.metadata.get("kind")))
    return {item.key: item.problems for item in items}


def check_metadata(md: dict) -> list[str]:
    """Every metadata problem, not only the first one `validate_metadata` would raise."""
    problems = []
    rest = dict(md)
    choices = (("licence", LICENCES), ("category", CATEGORIES), ("kind", KINDS), ("flat_kind", FLAT_KINDS))
    for name, allowed in choices:
        value = md.get(name)
        if value is not None and value not in allowed:
            hint = _closest(str(value), list(allowed))
            problems.append(f"{name}: unknown {name} {value!r}; "
                            + (f"did you mean {hint!r}? " if hint else "") + f"use one of {', '.join(allowed)}")
            rest.pop(name)
    kind = md.get("kind") or "scan"
    dims = md.get("dimensions") if isinstance(md.get("dimensions"), dict) else {}
    if kind == "flat" and not (dims.get("width") or dims.get("height")):
        problems.append("dimensions: a flat artefact (painting, textile, document) needs its width or height "
                        "to be shown at true size; fill in width and/or height and the unit")
    try:
        validate_metadata(rest)
    except InvalidMetadata as e:
        problems.append(e.message.removeprefix("metadata."))
    return problems


def check_files(files: list[Path], *, kind: str | None = None) -> list[str]:
    """Missing, unreadable, empty or mislabelled files, and uploads with nothing to process.

    Parameters
    ----------
    kind : str or None
      Declared kind; None lets the server decide from the files (docs/photosets.md: a 3D file -> scan,
      1-2 photos -> flat, 12 or more -> ring).
    """
    if not files:
        return ["files: no file given; list the scan's files (or its folder) in the `files` column"]
    problems = []
    formats = set()
    photos = 0
    names = [part_name(p) for p in files]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"files: two uploads would be named {name!r}; rename one (uploads are flat)")
    for path in files:
        if not path.exists():
            problems.append(f"file not found: {str(path)!r}; check the path (relative to the manifest)")
            continue
        for f in _walk(path):
            fmt, problem = _sniff_one(f)
            if problem:
                problems.append(problem)
            elif fmt:
                formats.add(fmt)
                photos += fmt in IMAGES and "_mask" not in f.stem
    if problems:
        return problems
    if kind in ("flat", "ring", "photogrammetry") or (kind in (None, "scan") and not formats & MODELS and photos):
        return _check_photos(kind, photos)
    if not formats & MODELS:
        problems.append("files: none of them is a 3D file (GLB, glTF, OBJ, PLY, STL, OFF, zip, ...) or photo")
    return problems


def _check_photos(kind: str | None, photos: int) -> list[str]:
    if kind == "flat" and photos not in (1, 2):
        return [f"files: a flat artefact takes one photo (front) or two (front, back), got {photos}"]
    if kind == "ring" and photos < 12:
        return [f"files: a turntable ring needs at least 12 photos in order, got {photos}"]
    if kind == "photogrammetry" and photos < 3:
        return [f"files: photogrammetry needs many overlapping photos, got {photos}"]
    if kind in (None, "scan") and 3 <= photos <= 11:
        return [f"kind: {photos} photos and no 3D file; say kind flat (1-2 photos) or ring (12 or more)"]
    return []


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [path]


def _sniff_one(path: Path) -> tuple[str | None, str | None]:
    if not os.access(path, os.R_OK):
        return None, f"unreadable file {path.name!r}: permission denied; let this user read it"
    try:
        size = path.stat().st_size
        if size == 0:
            return None, f"unreadable file {path.name!r}: it is empty (0 bytes); copy it again from the scanner"
        fmt = sniff(path)
    except Exception as e:  # noqa: BLE001 - a damaged file may break any reader; report it instead
        return None, f"unreadable file {path.name!r}: {e}"
    expected = EXPECTED.get(path.suffix.lower())
    if expected is not None and fmt not in expected:
        got = f"its content looks like {fmt.upper()}" if fmt else "its content is not a format we know"
        return None, f"unreadable file {path.name!r}: named {path.suffix} but {got}; re-export it"
    if fmt is None and path.suffix.lower() not in SIDECARS:
        log.debug("check: %s has an unknown format, uploading it as a sidecar", path)
    return fmt, None


def _closest(value: str, choices: list[str]) -> str | None:
    import difflib

    lower = {c.lower(): c for c in choices}
    hit = difflib.get_close_matches(value.lower(), list(lower), n=1, cutoff=0.6)
    return lower[hit[0]] if hit else None
