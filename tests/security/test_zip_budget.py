"""Finding 11: the zip budget (entries and bytes) covers the whole upload, not each archive."""

from __future__ import annotations

import zipfile

import pytest

from service.errors import UnsafeArchive
from service.pipeline.exchange.archive import collect


def _bomb(path, entries: int, size: int):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(entries):
            z.writestr(f"part-{i}.bin", b"\0" * size)
    return path


def test_many_small_archives_share_one_entry_budget(tmp_path):
    # 25 archives of 10 entries: each is far under 100 entries, together they are 250
    archives = [_bomb(tmp_path / f"a{i}.zip", 10, 10) for i in range(25)]
    with pytest.raises(UnsafeArchive, match="100"):
        collect(archives, tmp_path / "work", max_entries=100, max_bytes=10**9)


def test_many_small_bombs_share_one_byte_budget(tmp_path):
    # 250 bombs of 1 MB unpacked (a few KB packed): each fits 10 MB, the upload does not
    archives = [_bomb(tmp_path / f"b{i}.zip", 1, 1 << 20) for i in range(250)]
    with pytest.raises(UnsafeArchive):
        collect(archives, tmp_path / "work", max_entries=10_000, max_bytes=10 << 20)
    unpacked = sum(f.stat().st_size for f in (tmp_path / "work").rglob("*") if f.is_file())
    assert unpacked <= 10 << 20  # stopped at the budget, not after 250 MB


def test_an_upload_within_budget_unpacks(tmp_path):
    archives = [_bomb(tmp_path / f"c{i}.zip", 5, 100) for i in range(4)]
    files = collect(archives, tmp_path / "work", max_entries=20, max_bytes=2000)
    assert len(files) == 20
