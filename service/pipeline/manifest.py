"""
manifest.py
-----------

Describe an output folder: every file with bytes, sha256 and MIME, plus
what the pipeline knows about it (faces, bounds, validation, recipe).
The manifest is written last, so its presence means the folder is complete.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
from pathlib import Path

MANIFEST = "manifest.json"
VERSION = 1

MIME = {
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".usdz": "model/vnd.usdz+zip",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".c2pa": "application/c2pa",
}


def mime_of(name: str) -> str:
    """MIME type by extension, with the 3D types browsers do not know."""
    ext = os.path.splitext(name)[1].lower()
    return MIME.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def describe_file(path: Path, **info) -> dict:
    """One manifest entry: bytes, sha256, mime and any extra facts."""
    entry = {"bytes": path.stat().st_size, "sha256": sha256_of(path), "mime": mime_of(path.name)}
    entry.update(info)
    return entry


def write_manifest(out_dir: str | Path, manifest: dict) -> Path:
    """Write `manifest.json` atomically (temp file, then rename)."""
    out_dir = Path(out_dir)
    manifest = {"manifest_version": VERSION, **manifest}
    tmp = out_dir / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=_plain), encoding="utf-8")
    os.replace(tmp, out_dir / MANIFEST)
    return out_dir / MANIFEST


def read_manifest(out_dir: str | Path) -> dict:
    return json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))


def _plain(value):
    # numpy scalars and arrays into JSON
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"manifest: cannot serialise {type(value).__name__}")
