"""
exchange
--------

Readers and writers. `load(files)` finds the main file among an upload's
files by content and hands it to the loader registered for its format.
Later format modules add themselves to `LOADERS`.
"""

from __future__ import annotations

from pathlib import Path

from service.errors import MissingFile
from service.errors import UnsupportedFormat
from service.pipeline.constants import DEFAULT_MAX_FACES
from service.pipeline.exchange.meshes import LOADERS as _MESH_LOADERS
from service.pipeline.exchange.sniff import IMAGE_FORMATS
from service.pipeline.exchange.sniff import sniff
from service.pipeline.scene import Scene

LOADERS = dict(_MESH_LOADERS)

# when an upload holds several mesh files, the first format in this list wins
PRIORITY = ["glb", "gltf", "usdz", "usdc", "usda", "obj", "fbx", "dae", "3mf", "ply", "off", "stl", "e57", "xyz"]

_SIDECARS = {"mtl", None} | IMAGE_FORMATS


def find_main(files: list[Path]) -> tuple[Path, str]:
    """Pick the file to load from an upload; raise a readable error if none fits."""
    if not files:
        raise MissingFile("upload: no files to process")
    found = [(f, sniff(f)) for f in files]
    for fmt in PRIORITY:
        for f, got in found:
            if got == fmt:
                return f, fmt
    names = ", ".join(repr(f.name) for f in files[:5])
    if all(got in _SIDECARS for _, got in found):
        hint = "it looks like text or images only" if any(got is None for _, got in found) else "only images"
        raise UnsupportedFormat(
            f"upload: no 3D file found among {names} ({hint}); "
            "send OBJ (+MTL, textures), PLY, STL, OFF, GLB or glTF"
        )
    raise UnsupportedFormat(f"upload: no supported 3D file among {names}")


def load(files: list[Path], *, max_faces: int = DEFAULT_MAX_FACES) -> Scene:
    """Load the main mesh of an upload into a Scene."""
    main, fmt = find_main(files)
    loader = LOADERS.get(fmt)
    if loader is None:
        raise UnsupportedFormat(f"load: {main.name!r} is {fmt.upper()}, which this server cannot read yet")
    return loader(main, fmt, max_faces=max_faces)
