"""
glb.py
------

Read and rewrite the JSON chunk of a GLB without touching its binary chunk,
so later steps can add `asset.copyright` or extensions to a file a writer
already produced.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

_MAGIC = b"glTF"
_JSON = 0x4E4F534A
_BIN = 0x004E4942


def read_glb(path: str | Path) -> tuple[dict, bytes]:
    """Return (json document, binary chunk) of a GLB file."""
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC or len(data) < 20:
        raise ValueError(f"read_glb: {Path(path).name!r} is not a GLB file")
    (json_len, json_type) = struct.unpack_from("<II", data, 12)
    if json_type != _JSON:
        raise ValueError("read_glb: first chunk is not JSON")
    doc = json.loads(data[20 : 20 + json_len])
    rest = 20 + json_len
    binary = b""
    if rest + 8 <= len(data):
        (bin_len, bin_type) = struct.unpack_from("<II", data, rest)
        if bin_type == _BIN:
            binary = data[rest + 8 : rest + 8 + bin_len]
    return doc, binary


def write_glb(path: str | Path, doc: dict, binary: bytes) -> None:
    """Write a GLB from a JSON document and a binary chunk, padded as the spec requires."""
    js = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    js += b" " * (-len(js) % 4)
    binary = binary + b"\x00" * (-len(binary) % 4)
    total = 12 + 8 + len(js) + (8 + len(binary) if binary else 0)
    with open(path, "wb") as f:
        f.write(struct.pack("<4sII", _MAGIC, 2, total))
        f.write(struct.pack("<II", len(js), _JSON))
        f.write(js)
        if binary:
            f.write(struct.pack("<II", len(binary), _BIN))
            f.write(binary)


def patch_glb(path: str | Path, update) -> None:
    """Apply `update(doc)` to a GLB's JSON chunk in place."""
    doc, binary = read_glb(path)
    update(doc)
    write_glb(path, doc, binary)


def read_images(path: str | Path) -> list[tuple[bytes, str, dict]]:
    """(bytes, mimeType, extras) of every bufferView image of a GLB, in order."""
    doc, binary = read_glb(path)
    out = []
    for image in doc.get("images", []):
        view = doc["bufferViews"][image["bufferView"]]
        start = view.get("byteOffset", 0)
        out.append((binary[start : start + view["byteLength"]], image.get("mimeType"), image.get("extras", {})))
    return out


def replace_images(src: str | Path, images: list[tuple[bytes, str, dict]], dst: str | Path) -> None:
    """Write `src` to `dst` with its images replaced, in order, by `images`; buffer views re-laid.

    Used to make the web texture variants from one Draco-compressed geometry.
    """
    doc, binary = read_glb(src)
    if len(doc.get("images", [])) != len(images):
        raise ValueError(f"replace_images: {len(images)} images given, {Path(src).name} has {len(doc.get('images', []))}")
    swap = {}
    for image, (data, mime, extras) in zip(doc.get("images", []), images):
        swap[image["bufferView"]] = data
        image["mimeType"] = mime
        if extras:
            image["extras"] = extras
    chunks, offset = [], 0
    for i, view in enumerate(doc["bufferViews"]):
        start = view.get("byteOffset", 0)
        data = swap.get(i, binary[start : start + view["byteLength"]])
        pad = -offset % 4
        chunks.append(b"\x00" * pad + data)
        offset += pad
        view["byteOffset"] = offset
        view["byteLength"] = len(data)
        offset += len(data)
    binary = b"".join(chunks)
    doc["buffers"] = [{"byteLength": len(binary)}]
    write_glb(dst, doc, binary)
