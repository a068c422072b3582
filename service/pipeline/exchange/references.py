"""
references.py
-------------

Check an upload's side files before parsing: textures named by MTL files,
glTF `uri`s and PLY `TextureFile` comments must be in the upload (trimesh
silently loads an untextured mesh otherwise), and loose images must be
under the pixel limit (Pillow would stop at its own bomb limit with a
warning or an unhelpful error).

Every reference is resolved inside the main file's folder (`inside`), the
rule trimesh's resolver (>= 5.0) and the USD reader (exchange/usd.py) also
follow: an absolute path or `..` that leaves the upload is either found by
its base name inside the upload or refused, so no server file can end up
in a public derivative.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
import warnings
from pathlib import Path

from PIL import Image
from trimesh.resolvers import FilePathResolver

from service.errors import InvalidImage
from service.errors import MissingFile
from service.errors import UnsafeReference
from service.messages import Message

log = logging.getLogger(__name__)

_MAP = re.compile(r"^\s*(map_Kd|map_Ka|map_d|map_Bump|bump|norm|map_Pr|map_Ke)\s+(.+?)\s*$", re.IGNORECASE)
_MTLLIB = re.compile(r"^\s*mtllib\s+(.+?)\s*$")


def check_references(main: Path, fmt: str) -> list[str]:
    """Raise MissingFile when a texture the main file needs is missing; return warnings.

    Parameters
    ----------
    main : Path
      The file to load.
    fmt : str
      Its sniffed format. Side files are looked up next to it (in sub-folders too,
      and by base name when an exporter wrote an absolute path).
    """
    notes: list[str] = []
    if fmt == "obj":
        for mtl_name in _mtllibs(main):
            mtl = _find(main.parent, mtl_name)
            if mtl is None:
                notes.append(Message("load_missing_mtl", name=main.name, mtl=mtl_name))
                continue
            for tex in _mtl_textures(mtl):
                if _find(mtl.parent, tex) is None:
                    raise MissingFile(
                        f"load: texture {tex!r} named in {mtl.name!r} is missing from the upload; "
                        "add it to the zip next to the MTL (keep its folder) and upload again"
                    )
    elif fmt == "gltf":
        doc = json.loads(main.read_text(encoding="utf-8"))
        for kind in ("buffers", "images"):
            items = doc.get(kind) if isinstance(doc, dict) else None
            # glTF 1.0 keeps them in a dict by id; a wrong type is the loader's to report
            items = items.values() if isinstance(items, dict) else items if isinstance(items, list) else []
            for item in items:
                uri = item.get("uri") if isinstance(item, dict) else None
                if not isinstance(uri, str) or not uri or uri.startswith("data:"):
                    continue
                if _find(main.parent, urllib.parse.unquote(uri)) is None:
                    raise MissingFile(
                        f"load: {main.name!r} refers to {uri!r}, which is missing from the upload; "
                        "zip the .gltf together with its .bin and texture files"
                    )
    elif fmt == "ply":
        for tex in _ply_textures(main):
            if _find(main.parent, tex) is None:
                raise MissingFile(
                    f"load: texture {tex!r} named in {main.name!r} (TextureFile) is missing from the upload; "
                    "add it next to the PLY"
                )
    return notes


def check_image_files(images: list[Path], *, max_image_pixels: int) -> None:
    """Refuse loose images with more pixels than the limit, reading headers only."""
    for path in images:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                with Image.open(path) as im:
                    w, h = im.size
            except Image.DecompressionBombError:
                w, h = 1 << 16, 1 << 16  # over any sane limit; Pillow refused to open it
            except OSError:
                log.warning("load: %s is not a readable image", path.name)
                continue
        if w * h > max_image_pixels:
            raise InvalidImage(
                f"load: texture {path.name!r} is {w}x{h} pixels, over the limit of {max_image_pixels:,}; "
                "resize it (8192x8192 is plenty for a scan) and upload again"
            )


def expects_texture(obj: Path) -> bool:
    """Whether an OBJ's material files (present in the upload) name a colour texture."""
    for mtl_name in _mtllibs(obj):
        mtl = _find(obj.parent, mtl_name)
        if mtl is not None and any(
            _MAP.match(line) and _MAP.match(line).group(1).lower() == "map_kd"
            for line in mtl.read_text(encoding="utf-8", errors="replace").splitlines()
        ):
            return True
    return False


def inside(path: str | Path, root: Path) -> bool:
    """Whether `path`, with links and `..` resolved, lies within `root`."""
    try:
        return Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, ValueError):
        return False


def refuse_outside(main: Path, ref: str) -> UnsafeReference:
    """The one refusal for a reference that leaves the upload."""
    return UnsafeReference(
        f"load: {main.name!r} refers to {ref!r}, which is outside the upload; "
        "references must be relative paths to files in the same upload (zip them together)"
    )


class UploadResolver(FilePathResolver):
    """trimesh's file resolver, finding side files the way `check_references` does.

    Scanner software on Windows writes `map_Kd .\\texture.jpg` or `..\\maps\\A.JPG`;
    names are matched with either separator and without case, inside the upload only.
    """

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        self.folder = Path(folder)

    def get(self, name: str) -> bytes:
        found = _find(self.folder, name)
        if found is None:
            raise FileNotFoundError(f"{name!r} is not in the upload")
        return found.read_bytes()


def _find(folder: Path, name: str) -> Path | None:
    name = name.strip().strip('"').replace("\\", "/")
    direct = folder / name
    if inside(direct, folder) and direct.is_file():
        return direct
    # exporters write absolute paths of the scanning PC, and Windows ignores case: the base name
    # is looked up inside the upload only, never at the path itself
    base = Path(name).name.lower()
    for candidate in folder.rglob("*"):
        if candidate.is_file() and candidate.name.lower() == base and inside(candidate, folder):
            return candidate
    return None


def _mtllibs(obj: Path) -> list[str]:
    names = []
    with open(obj, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("mtllib"):
                m = _MTLLIB.match(line)
                if m:
                    names.append(m.group(1))
            elif line.startswith(("f ", "v ")) and names:
                break
    return names


def _mtl_textures(mtl: Path) -> list[str]:
    found = []
    for line in mtl.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _MAP.match(line)
        if m:
            # options such as "-bm 1.0" come before the file name
            parts = m.group(2).split()
            while parts and parts[0].startswith("-") and len(parts) > 1:
                parts = parts[2:]
            if parts:
                found.append(" ".join(parts))
    return found


def _ply_textures(ply: Path) -> list[str]:
    with open(ply, "rb") as f:
        head = f.read(4096)
    end = head.find(b"end_header")
    lines = head[: end if end > 0 else len(head)].decode("latin-1").splitlines()
    return [ln.split(None, 2)[2].strip() for ln in lines if ln.lower().startswith("comment texturefile") and len(ln.split()) > 2]
