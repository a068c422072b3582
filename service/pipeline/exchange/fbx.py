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
import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from service.errors import InvalidScan
from service.errors import UnsupportedFormat
from service.pipeline.constants import UNITS
from service.pipeline.exchange.meshes import load_trimesh

log = logging.getLogger(__name__)

ASSIMP = shutil.which("assimp")
TIMEOUT_S = 600


def load_fbx(path: Path, fmt: str, *, max_faces: int, max_image_pixels: int):
    """Convert an FBX with assimp and load the result."""
    if ASSIMP is None:
        raise UnsupportedFormat(
            "load: FBX needs the assimp tool on the server (apt-get install assimp-utils); "
            "or export the scan as OBJ or glTF"
        )
    # written next to the FBX: assimp's GLB names textures by relative URI
    fd, name = tempfile.mkstemp(prefix=".assimp-", suffix=".glb", dir=path.parent)
    os.close(fd)
    out = Path(name)
    try:
        try:
            done = subprocess.run(
                [ASSIMP, "export", str(path), str(out), "-fglb2"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InvalidScan(f"load: converting {path.name!r} from FBX took over {TIMEOUT_S} s") from None
        if done.returncode != 0 or not out.is_file():
            reason = (done.stderr or done.stdout).strip().splitlines()
            reason = reason[-1][:200] if reason else f"exit code {done.returncode}"
            raise InvalidScan(
                f"load: {path.name!r} could not be read as FBX ({reason}); "
                "export the scan as OBJ (with MTL and textures) or glTF instead"
            )
        scene = load_trimesh(out, "glb", max_faces=max_faces, max_image_pixels=max_image_pixels)
    finally:
        out.unlink(missing_ok=True)
    # the GLB is assimp's, so its +Y says nothing about the FBX's own axes
    scene.info.update(
        {"source_format": "fbx", "source_file": path.name, "converted_with": "assimp", "up_in_file": False}
    )
    # assimp leaves coordinates in the file's unit and drops the unit itself
    centimetres = unit_scale_factor(path)
    if centimetres is not None:
        scene.info["fbx_unit_cm"] = centimetres
        named = [name for name, metres in UNITS.items() if abs(metres * 100 - centimetres) <= 1e-6 * centimetres]
        if named:
            scene.unit = named[0]
        else:
            scene.warnings.append(
                f"load: the FBX unit is {centimetres:g} cm, which is not one we name; declare `unit` or a dimension"
            )
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
