"""
mime.py
-------

MIME types by file extension, with the 3D types browsers do not know. Shared
by the pipeline (manifest entries) and storage (object Content-Type), so
neither imports the other.
"""

from __future__ import annotations

import mimetypes
import os

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
    ".c2pa": "application/c2pa",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
}


def mime_of(name: str) -> str:
    """MIME type by extension, with the 3D types browsers do not know."""
    ext = os.path.splitext(name)[1].lower()
    return MIME.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
