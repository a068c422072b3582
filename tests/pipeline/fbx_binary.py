"""Write a textured mesh as binary FBX 7.4 ("Kaydara FBX Binary"), for loader tests.

No tool on this machine writes valid binary FBX: Debian's assimp 5.2.5 leaves out the
nested-list null records (assimp issue #4686), so neither assimp nor ufbx can read its
output back. This follows the node-record layout that the FBX SDK and Blender write:
32-bit offsets, a 13-byte null record after every nested list, zlib-compressed arrays.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import trimesh

HEADER = b"Kaydara FBX Binary  \x00\x1a\x00"
VERSION = 7400
_ARRAYS = {np.dtype(np.float64): b"d", np.dtype(np.int32): b"i", np.dtype(np.int64): b"l", np.dtype(np.float32): b"f"}


def _prop(value) -> bytes:
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value).tobytes()
        packed = zlib.compress(data)
        return _ARRAYS[value.dtype] + struct.pack("<III", len(value), 1, len(packed)) + packed
    if isinstance(value, np.int64):
        return b"L" + struct.pack("<q", int(value))
    if isinstance(value, bool):
        return b"C" + struct.pack("<?", value)
    if isinstance(value, int):
        return (b"I" + struct.pack("<i", value)) if -(2**31) <= value < 2**31 else (b"L" + struct.pack("<q", value))
    if isinstance(value, float):
        return b"D" + struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode()
        return b"S" + struct.pack("<I", len(data)) + data
    if isinstance(value, bytes):
        return b"R" + struct.pack("<I", len(value)) + value
    raise TypeError(f"fbx_binary: cannot write {type(value).__name__}")


def _node(name: str, props: tuple, children: list, offset: int) -> bytes:
    body = b"".join(_prop(p) for p in props)
    head_len = 13 + len(name)
    nested = b""
    if children or not props:
        pos = offset + head_len + len(body)
        for child in children:
            encoded = _node(*child, offset=pos)
            nested += encoded
            pos += len(encoded)
        nested += b"\x00" * 13  # null record closing the nested list
    end = offset + head_len + len(body) + len(nested)
    return struct.pack("<IIIB", end, len(props), len(body), len(name)) + name.encode() + body + nested


def N(name: str, *props, children: list | None = None) -> tuple:
    """A node: (name, properties, children)."""
    return (name, props, children or [])


def P(name: str, kind: str, label: str, flags: str, *values) -> tuple:
    """A Properties70 entry."""
    return N("P", name, kind, label, flags, *values)


def write_fbx(path, mesh: trimesh.Trimesh, *, texture: str, content: bytes | None = None, unit_cm: float = 100.0) -> None:
    """Write `mesh` (vertices, faces, per-vertex UVs in trimesh's v-up convention) as binary FBX.

    `texture` is the file name the FBX refers to; with `content` the image is also embedded.
    `unit_cm` is the file's UnitScaleFactor (centimetres per unit: 100 means metres).
    """
    faces = np.asarray(mesh.faces, dtype=np.int32)
    polygon = faces.copy()
    polygon[:, 2] = ~polygon[:, 2]  # the last index of each polygon is stored as -(i + 1)
    uv = np.asarray(mesh.visual.uv, dtype=np.float64)
    # object ids are 64-bit ("L"), as the FBX SDK writes them
    root, geometry, model, material, tex, video = (np.int64(k and 2**40 + k) for k in range(6))
    video_children = [N("Type", "Clip"), N("RelativeFilename", texture)]
    if content is not None:
        video_children.append(N("Content", content))
    objects = [
        N("Geometry", geometry, "scan\x00\x01Geometry", "Mesh", children=[
            N("Vertices", np.asarray(mesh.vertices, dtype=np.float64).ravel()),
            N("PolygonVertexIndex", polygon.ravel()),
            N("GeometryVersion", 124),
            N("LayerElementUV", 0, children=[
                N("Version", 101), N("Name", "UVMap"),
                N("MappingInformationType", "ByPolygonVertex"), N("ReferenceInformationType", "IndexToDirect"),
                N("UV", uv.ravel()), N("UVIndex", faces.ravel()),
            ]),
            N("LayerElementMaterial", 0, children=[
                N("Version", 101), N("Name", ""),
                N("MappingInformationType", "AllSame"), N("ReferenceInformationType", "IndexToDirect"),
                N("Materials", np.zeros(1, dtype=np.int32)),
            ]),
            N("Layer", 0, children=[
                N("Version", 100),
                N("LayerElement", children=[N("Type", "LayerElementUV"), N("TypedIndex", 0)]),
                N("LayerElement", children=[N("Type", "LayerElementMaterial"), N("TypedIndex", 0)]),
            ]),
        ]),
        N("Model", model, "scan\x00\x01Model", "Mesh", children=[N("Version", 232)]),
        N("Material", material, "surface\x00\x01Material", "", children=[
            N("Version", 102), N("ShadingModel", "phong"),
            N("Properties70", children=[P("DiffuseColor", "Color", "", "A", 1.0, 1.0, 1.0)]),
        ]),
        N("Texture", tex, "albedo\x00\x01Texture", "", children=[
            N("Type", "TextureVideoClip"), N("Version", 202), N("TextureName", "albedo\x00\x01Texture"),
            N("Media", "albedo\x00\x01Video"), N("FileName", texture), N("RelativeFilename", texture),
        ]),
        N("Video", video, "albedo\x00\x01Video", "Clip", children=video_children),
    ]
    top = [
        N("FBXHeaderExtension", children=[N("FBXHeaderVersion", 1003), N("FBXVersion", VERSION)]),
        N("GlobalSettings", children=[
            N("Version", 1000),
            N("Properties70", children=[
                P("UpAxis", "int", "Integer", "", 1), P("UpAxisSign", "int", "Integer", "", 1),
                P("FrontAxis", "int", "Integer", "", 2), P("FrontAxisSign", "int", "Integer", "", 1),
                P("CoordAxis", "int", "Integer", "", 0), P("CoordAxisSign", "int", "Integer", "", 1),
                P("UnitScaleFactor", "double", "Number", "", float(unit_cm)),
            ]),
        ]),
        N("Objects", children=objects),
        N("Connections", children=[
            N("C", "OO", model, root), N("C", "OO", geometry, model), N("C", "OO", material, model),
            N("C", "OP", tex, material, "DiffuseColor"), N("C", "OO", video, tex),
        ]),
    ]
    out = bytearray(HEADER + struct.pack("<I", VERSION))
    for node in top:
        out += _node(*node, offset=len(out))
    out += b"\x00" * 13
    with open(path, "wb") as f:
        f.write(bytes(out))
