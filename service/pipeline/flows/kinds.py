"""
kinds.py
--------

Decide what an upload is when its metadata does not say (`kind` missing).
The rule a collections photographer would expect, in order:

1. any 3D file (OBJ, PLY, GLB, ...)  -> "scan"
2. no photos at all                  -> "scan" (its flow explains what is missing)
3. one or two photos                 -> "flat" (front, or front and back)
4. twelve or more photos, one size   -> "ring" (a turntable series)
5. anything else (3-11 photos, or mixed sizes) -> ask for metadata.kind

The manifest records `"kind_source": "heuristic"` whenever this decided.
A declared kind always wins.
"""

from __future__ import annotations

from pathlib import Path

from service.errors import InvalidMetadata
from service.pipeline.constants import MIN_RING_FRAMES
from service.pipeline.exchange.sniff import MESH_FORMATS
from service.pipeline.exchange.sniff import sniff
from service.pipeline.photos.images import ring_files


def decide_kind(declared: str | None, files: list[Path]) -> tuple[str, str]:
    """(kind, source): the declared kind ("metadata") or `guess_kind` ("heuristic")."""
    if declared:
        return declared, "metadata"
    return guess_kind(files), "heuristic"


def guess_kind(files: list[Path]) -> str:
    """The flow for an upload without metadata.kind (see the module docstring)."""
    if any(sniff(f) in MESH_FORMATS for f in files):
        return "scan"
    photos = ring_files(files)
    if not photos:
        return "scan"
    if len(photos) <= 2:
        return "flat"
    if len(photos) >= MIN_RING_FRAMES:
        return "ring"
    raise InvalidMetadata(
        f'process: {len(photos)} photos and no metadata.kind; say what they are: "flat" (1-2 photos of a '
        f'painting or page), "ring" ({MIN_RING_FRAMES}+ turntable photos) or "photogrammetry"'
    )
