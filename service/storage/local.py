"""
local.py
--------

The embedded default: objects are files under one folder. The app serves
public keys at `/files/<key>` (service/api/files.py) with MIME, CORS, Range
and Cache-Control.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from service.storage.base import Store


class DirStore(Store):
    """Objects as files below `root`."""

    name = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Local path of `key`; refuses keys that escape the root."""
        target = (self.root / key).resolve()
        if not str(target).startswith(str(self.root) + os.sep):
            raise KeyError(key)
        return target

    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # copy then rename, so a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as dst, open(path, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def adopt_file(self, key: str, path: str | Path, *, content_type: str | None = None) -> None:
        # a rename on the same file system: a 2 GB upload is not copied a second time
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system (EXDEV): copy, then remove
            super().adopt_file(key, path, content_type=content_type)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except KeyError:
            return False

    def keys(self, prefix: str = "") -> list[str]:
        out = []
        for dirpath, _, files in os.walk(self.root):
            for f in files:
                if f.startswith(".upload-"):
                    continue
                key = os.path.relpath(os.path.join(dirpath, f), self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    out.append(key)
        return sorted(out)

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except (FileNotFoundError, KeyError):
            pass

    def url(self, key: str, *, base_url: str = "") -> str:
        return f"{base_url.rstrip('/')}/files/{quote(key)}"

    def ping(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise OSError(f"storage: {self.root} is not writable")
