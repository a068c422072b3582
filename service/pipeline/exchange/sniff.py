"""
sniff.py
--------

Detect a file's format from its bytes, not its name: museums send `.obj`
files that are HTML error pages, binary STLs whose header says "solid", and
archives named `.dat`.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path

_HEAD = 4096
# what zipfile raises on a damaged archive: besides BadZipFile, a flipped byte in an entry name
# is a UnicodeDecodeError, a bad size a ValueError or EOFError, bad deflate data a zlib.error
ZIP_ERRORS = (
    zipfile.BadZipFile, UnicodeDecodeError, ValueError, EOFError, OSError, NotImplementedError, zlib.error
)
_FLOAT_ROW = re.compile(rb"^\s*[-+0-9.eE]+(\s+[-+0-9.eE]+){2,8}\s*$")


def sniff(path: str | Path) -> str | None:
    """Return a format name ("glb", "obj", "zip", "jpeg", ...) or None if unknown.

    Parameters
    ----------
    path : str or Path
      A local file.

    Returns
    -------
    fmt : str or None
      One of glb, gltf, obj, mtl, ply, stl, off, dae, 3mf, usdz, usda, usdc,
      e57, fbx, xyz, zip, jpeg, png, tiff, webp, heic, or None.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    if not head:
        return None
    if head[:4] == b"glTF":
        return "glb"
    if head[:3] == b"ply":
        return "ply"
    if head[:4] == b"PK\x03\x04":
        return _sniff_zip(path)
    if head[:8] == b"PXR-USDC":
        return "usdc"
    if head[:8] == b"ASTM-E57":
        return "e57"
    if head[:18] == b"Kaydara FBX Binary":
        return "fbx"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"hevc"):
        return "heic"
    if _is_binary_stl(head, size):
        return "stl"
    return _sniff_text(head, path)


def _is_binary_stl(head: bytes, size: int) -> bool:
    # header is 80 bytes, then a uint32 count, then 50 bytes per triangle;
    # checking the length catches binary files whose header starts "solid"
    if len(head) < 84:
        return False
    (count,) = struct.unpack("<I", head[80:84])
    return count > 0 and size == 84 + 50 * count


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except ZIP_ERRORS:
        return "zip"
    if any(n.lower() == "3d/3dmodel.model" for n in names):
        return "3mf"
    if names and names[0].lower().endswith((".usdc", ".usda", ".usd")):
        return "usdz"
    return "zip"


def _sniff_text(head: bytes, path: Path) -> str | None:
    if b"\x00" in head:
        return None
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lower = text[:512].lower()
    if text.startswith(b"; FBX") or b"FBXHeaderExtension:" in head:
        return "fbx"
    if text.startswith(b"#usda"):
        return "usda"
    if text.startswith((b"OFF", b"COFF", b"NOFF", b"CNOFF", b"STOFF")):
        return "off"
    if lower.startswith(b"solid") and b"facet" in lower:
        return "stl"
    if lower.startswith((b"<?xml", b"<collada")):
        if b"<collada" in head.lower():
            return "dae"
        return None
    if text.startswith(b"{"):
        return _sniff_json(path)
    lines = [ln.strip() for ln in text.splitlines()[:200] if ln.strip()]
    keys = {ln.split(maxsplit=1)[0] for ln in lines if not ln.startswith(b"#")}
    if b"newmtl" in keys:
        return "mtl"
    if b"v" in keys and (b"f" in keys or b"vt" in keys or b"vn" in keys or len(keys & {b"o", b"g", b"mtllib"})):
        return "obj"
    if b"v" in keys and all(k in {b"v", b"vn", b"vt", b"o", b"g", b"s", b"usemtl", b"mtllib", b"f", b"l", b"p"} for k in keys):
        return "obj"
    rows = [ln for ln in lines if not ln.startswith(b"#")][:50]
    if rows and all(_FLOAT_ROW.match(r) for r in rows):
        return "xyz"
    return None


def _sniff_json(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(doc, dict) and "asset" in doc and isinstance(doc["asset"], dict):
        return "gltf"
    return None


MESH_FORMATS = {"glb", "gltf", "obj", "ply", "stl", "off", "dae", "3mf", "usdz", "usda", "usdc", "e57", "fbx", "xyz"}
IMAGE_FORMATS = {"jpeg", "png", "tiff", "webp", "heic"}
