"""
parts.py
--------

Local-mode resumable uploads: each upload is one file under
`<data_dir>/uploads/`, created sparse at its full size, and every part is
written at its offset as it streams in (1 MB at a time, never whole in
memory). Re-sending a part overwrites the same bytes, so parts are
idempotent and may arrive in any order or in parallel. Completing an upload
needs no concatenation: the file is already whole. S3 mode is in s3_parts.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class PartTooShort(Exception):
    """The request body ended before the declared part size (a dropped connection)."""


class LocalParts:
    """Upload files below `root`, one per upload id."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, upload_id: str) -> Path:
        if not upload_id.isalnum():  # ids are hex; anything else must not become a path
            raise ValueError(f"parts: bad upload id {upload_id!r}")
        return self.root / upload_id

    def create(self, upload_id: str, size: int) -> None:
        """Make the (sparse) file of an upload of `size` bytes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.path(upload_id), "wb") as f:
            f.truncate(size)

    def write(self, upload_id: str, offset: int, size: int, stream: BinaryIO) -> str:
        """Copy exactly `size` bytes of `stream` to `offset`; return the part's MD5 (hex, like an S3 ETag).

        Raises PartTooShort when the stream ends early; the bytes written so far
        are overwritten when the part is sent again.
        """
        md5 = hashlib.md5(usedforsecurity=False)
        fd = os.open(self.path(upload_id), os.O_WRONLY)
        try:
            done = 0
            while done < size:
                chunk = stream.read(min(CHUNK, size - done))
                if not chunk:
                    raise PartTooShort(f"parts: the body ended after {done} of {size} bytes")
                os.pwrite(fd, chunk, offset + done)
                md5.update(chunk)
                done += len(chunk)
        finally:
            os.close(fd)
        return md5.hexdigest()

    def sha256(self, upload_id: str) -> str:
        h = hashlib.sha256()
        with open(self.path(upload_id), "rb") as f:
            while chunk := f.read(CHUNK * 4):
                h.update(chunk)
        return h.hexdigest()

    def size(self, upload_id: str) -> int:
        return self.path(upload_id).stat().st_size

    def delete(self, upload_id: str) -> None:
        """Free an upload's space; a missing file is fine."""
        try:
            self.path(upload_id).unlink()
        except FileNotFoundError:
            pass

    def free_bytes(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.root).free
