"""
base.py
-------

The storage interface every backend implements and one shared test suite
checks (tests/storage/test_contract.py).
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import BinaryIO


class Store(abc.ABC):
    """Key/value file storage with URLs."""

    name: str = "store"

    @abc.abstractmethod
    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None) -> None:
        """Store a local file under `key`, streaming it (never whole in memory)."""

    def put(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store small bytes under `key`."""
        import tempfile

        with tempfile.NamedTemporaryFile() as tmp:
            tmp.write(data)
            tmp.flush()
            self.put_file(key, tmp.name, content_type=content_type)

    def adopt_file(self, key: str, path: str | Path, *, content_type: str | None = None) -> None:
        """Store a local file under `key` and remove it (a finished resumable upload becoming an original)."""
        self.put_file(key, path, content_type=content_type)
        Path(path).unlink(missing_ok=True)

    @abc.abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the object; raise KeyError if missing."""

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def download(self, key: str, path: str | Path) -> Path:
        """Copy an object to a local file, streaming."""
        path = Path(path)
        with self.open(key) as src, open(path, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        return path

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def keys(self, prefix: str = "") -> list[str]:
        """Every key under `prefix`, sorted."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object; missing objects are fine."""

    def delete_prefix(self, prefix: str) -> int:
        keys = self.keys(prefix)
        for key in keys:
            self.delete(key)
        return len(keys)

    @abc.abstractmethod
    def url(self, key: str, *, base_url: str = "") -> str:
        """A URL a browser can fetch the object from."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise if the backend cannot be reached (for /readyz)."""
