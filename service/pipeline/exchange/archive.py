"""
archive.py
----------

Unpack uploaded zip archives safely: no paths outside the target (zip slip),
no symlinks, a cap on entries and on unpacked bytes (zip bombs) enforced
while writing, not from the header's claims.
"""

from __future__ import annotations

import logging
import os
import stat
import zipfile
from pathlib import Path
from pathlib import PurePosixPath

from service.errors import UnsafeArchive
from service.errors import UnsupportedFormat
from service.pipeline.exchange.sniff import ZIP_ERRORS

log = logging.getLogger(__name__)

# macOS and Windows droppings that are never part of an artefact
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def unpack(
    archive: str | Path,
    dest: str | Path,
    *,
    max_entries: int = 2000,
    max_bytes: int = 4 * 1024**3,
) -> list[Path]:
    """Extract `archive` into `dest` and return the extracted files.

    Parameters
    ----------
    archive : path
      A zip file.
    dest : path
      An existing empty directory.
    max_entries : int
      Refuse archives with more members than this.
    max_bytes : int
      Stop as soon as this many bytes have been written.

    Returns
    -------
    files : list of Path
      Extracted regular files, in archive order.
    """
    dest = Path(dest).resolve()
    try:
        z = zipfile.ZipFile(archive)
    except ZIP_ERRORS:
        raise UnsupportedFormat(f"archive {Path(archive).name!r}: not a readable zip file; re-create it and upload again")
    out: list[Path] = []
    written = 0
    with z:
        members = z.infolist()
        if len(members) > max_entries:
            raise UnsafeArchive(
                f"archive {Path(archive).name!r}: {len(members)} entries, more than the limit of {max_entries}"
            )
        for info in members:
            name = info.filename.replace("\\", "/")
            if info.is_dir() or any(j in name for j in _JUNK):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UnsafeArchive(f"archive: entry {name!r} is a symbolic link; links are not accepted")
            rel = PurePosixPath(name)
            if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
                raise UnsafeArchive(f"archive: entry {name!r} points outside the archive")
            target = (dest / Path(*rel.parts)).resolve()
            if not str(target).startswith(str(dest) + os.sep):
                raise UnsafeArchive(f"archive: entry {name!r} points outside the archive")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with z.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > max_bytes:
                            raise UnsafeArchive(
                                f"archive: unpacks to more than {max_bytes // 2**20} MB; split the upload"
                            )
                        dst.write(chunk)
            except ZIP_ERRORS as e:
                raise UnsupportedFormat(f"archive: entry {name!r} cannot be read ({e}); re-create the zip")
            out.append(target)
    log.debug("unpack: %d files, %d bytes", len(out), written)
    return out


def collect(paths: list[Path], workdir: Path, *, max_entries: int = 2000, max_bytes: int = 4 * 1024**3) -> list[Path]:
    """Expand archives among `paths` into `workdir`; return all plain files.

    The limits are one budget for the whole upload, not one per archive: 250
    small bombs in one upload share the entries and bytes of one.
    """
    from service.pipeline.exchange.sniff import sniff

    files: list[Path] = []
    entries_left, bytes_left = max_entries, max_bytes
    for i, p in enumerate(paths):
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.is_file()))
        elif sniff(p) == "zip":
            target = workdir / f"unpacked-{i}"
            target.mkdir(parents=True, exist_ok=True)
            if entries_left <= 0 or bytes_left <= 0:
                raise UnsafeArchive(
                    f"archive {p.name!r}: the upload's archives hold more than {max_entries} entries or "
                    f"{max_bytes // 2**20} MB together; split the upload"
                )
            got = unpack(p, target, max_entries=entries_left, max_bytes=bytes_left)
            files.extend(got)
            entries_left -= _entries(p)
            bytes_left -= sum(f.stat().st_size for f in got)
        else:
            files.append(p)
    return files


def _entries(archive: Path) -> int:
    try:
        with zipfile.ZipFile(archive) as z:
            return len(z.infolist())
    except ZIP_ERRORS:
        return 0  # `unpack` refuses it with its name

