"""
fbx.py
------

FBX through the Open Asset Import Library CLI (`assimp`, Debian package
assimp-utils): convert to glTF binary in a scratch folder next to the input,
then read it with the glTF loader. Binary FBX 7.4 (the FBX SDK / Blender
layout, texture beside the file or embedded) and ASCII FBX both load
(tests/pipeline/test_exchange.py). What assimp 5.2.5 cannot read is its own
binary output, which its writer leaves malformed (no nested-list null
records, assimp issue #4686); such a failure is a clear error that tells the
technician which export to use instead.

NOTES (2026-11, issue 3): the `ufbx` wheel on PyPI (0.0.5, bindings by the
ufbx author) reads the same files, but its Python objects crashed the
interpreter (SIGSEGV on garbage collection) after `with load_file(...)` and
after reading an embedded texture through a material map, so it is not used
in the worker. three.js's FBXLoader stops on "document is not defined" in
node (it loads textures through the DOM). `fbx2gltf` on npm (0.9.7, a wrapper
around prebuilt FBX2glTF binaries) was not tried.
"""

from __future__ import annotations

import logging
import re
import struct
from pathlib import Path

from service.errors import InvalidScan
from service.errors import UnsupportedFormat
from service.messages import Message
from service.pipeline.constants import UNITS
from service.pipeline.exchange.assimp import available
from service.pipeline.exchange.assimp import load_assimp

log = logging.getLogger(__name__)


def load_fbx(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int):
    """Convert an FBX with assimp and load the result."""
    if not available():
        raise UnsupportedFormat(
            "load: FBX needs the assimp tool on the server (apt-get install assimp-utils); "
            "or export the scan as OBJ or glTF"
        )
    try:
        scene = load_assimp(path, "fbx", max_faces=max_faces, max_image_pixels=max_image_pixels)
    except InvalidScan as e:
        if "took over" in e.message:
            raise
        raise InvalidScan(f"{e.message}; export the scan as OBJ (with MTL and textures) or glTF instead") from None
    # assimp leaves coordinates in the file's unit and drops the unit itself
    centimetres = unit_scale_factor(path)
    if centimetres is not None:
        scene.info["fbx_unit_cm"] = centimetres
        named = [name for name, metres in UNITS.items() if abs(metres * 100 - centimetres) <= 1e-6 * centimetres]
        if named:
            scene.unit = named[0]
        else:
            scene.warnings.append(Message("load_fbx_unit", cm=float(centimetres)))
    return scene


def unit_scale_factor(path: Path) -> float | None:
    """The FBX GlobalSettings `UnitScaleFactor` (centimetres per file unit), ASCII or binary; None if absent.

    Binary: the property is a record of strings ("UnitScaleFactor", "double", "Number", "")
    and then the value, each with a one-letter type code (S: uint32 length + bytes, D: double).
    """
    data = path.read_bytes()
    if not data.startswith(b"Kaydara FBX Binary"):
        found = re.search(rb'"UnitScaleFactor"\s*,\s*"double"\s*,\s*"Number"\s*,\s*"[^"]*"\s*,\s*([-+0-9.eE]+)', data)
        return float(found.group(1)) if found else None
    at = data.find(b"S" + struct.pack("<I", 15) + b"UnitScaleFactor")
    if at < 0:
        return None
    i = at
    for _ in range(8):  # the name, up to three more strings, then the number
        code = data[i : i + 1]
        if code == b"S":
            i += 5 + struct.unpack_from("<I", data, i + 1)[0]
        elif code == b"D":
            value = struct.unpack_from("<d", data, i + 1)[0]
            return value if value > 0 else None
        elif code == b"F":
            value = struct.unpack_from("<f", data, i + 1)[0]
            return value if value > 0 else None
        else:
            return None
    return None


LOADERS = {"fbx": load_fbx}
