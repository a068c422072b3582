"""
bundle.py
---------

What exactly gets uploaded for an item, and its fingerprint. Loose files
go as they are; a folder (a scan with a `textures/` sub-folder) is packed
into a byte-for-byte reproducible zip, so the same folder always hashes the
same and the server's content-hash idempotency recognises a re-upload.

The fingerprint is the server's own `content_hash` over (name, sha256) of
the parts: the client can tell which uploads the server already has.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from pathlib import Path

from service.pipeline.manifest import sha256_of
from service.storage.keys import safe_name

log = logging.getLogger(__name__)

# a fixed timestamp and mode: zip entries otherwise carry mtimes, which change on copy
_EPOCH = (1980, 1, 1, 0, 0, 0)


def part_name(path: Path) -> str:
    """The upload name of a file or folder."""
    return f"{path.name}.zip" if path.is_dir() else path.name


def build_parts(files: list[Path], scratch: Path) -> list[tuple[str, Path]]:
    """Files to upload as (name, local path); folders are packed into `scratch`.

    Parameters
    ----------
    files : list of Path
      The item's files and folders.
    scratch : Path
      Folder for packed zips (kept: a rerun reuses them when the folder is unchanged).
    """
    parts = []
    for path in files:
        if path.is_dir():
            parts.append((part_name(path), pack_folder(path, scratch)))
        else:
            parts.append((path.name, path))
    return parts


def pack_folder(folder: Path, scratch: Path) -> Path:
    """Zip `folder` reproducibly: sorted entries, fixed times and modes."""
    entries = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    listing = hashlib.sha256()
    for p in entries:
        st = p.stat()
        listing.update(f"{p.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / f"{safe_name(folder.name)}-{listing.hexdigest()[:16]}.zip"
    if target.exists():
        return target
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for p in entries:
            info = zipfile.ZipInfo(f"{folder.name}/{p.relative_to(folder).as_posix()}", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(p, "rb") as src, z.open(info, "w") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    os.replace(tmp, target)
    log.debug("bundle: packed %s (%d files) -> %s", folder, len(entries), target.name)
    return target


class HashCache:
    """sha256 of files, remembered by (path, size, mtime) so a rerun does not re-read gigabytes."""

    def __init__(self, known: dict | None = None) -> None:
        self.known: dict[str, list] = dict(known or {})

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        hit = self.known.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = sha256_of(path)
        self.known[key] = [st.st_size, st.st_mtime_ns, digest]
        return digest

    def fingerprint(self, parts: list[tuple[str, Path]]) -> str:
        """The server's content hash of these parts."""
        # imported here: service.jobs pulls in the whole pipeline, seconds a `--help` should not wait
        from service.jobs.submit import content_hash

        return content_hash([(safe_name(name), self.sha256(path)) for name, path in parts])
