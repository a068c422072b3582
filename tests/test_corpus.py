"""The corpus is found in one place and fetched from pinned sources, checked by sha256 (issue 15)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import corpus
from tests.fixtures import REPO


def _mirror(tmp_path: Path, files: dict[str, bytes]) -> tuple[str, list[corpus.Source]]:
    """A local mirror laid out like raw.githubusercontent.com, and the rows that point into it."""
    root = tmp_path / "mirror"
    rows = []
    for dest, data in files.items():
        row = corpus.Source(hashlib.sha256(data).hexdigest(), "someone/scans", "a" * 40, f"data/{dest} x", dest)
        target = root / row.repo / row.commit / row.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        rows.append(row)
    return root.as_uri(), rows


def test_sources_list_every_corpus_file_once():
    rows = corpus.sources()
    assert len(rows) == len({r.dest for r in rows}) >= 100
    assert all(len(r.commit) == 40 and len(r.sha256) == 64 for r in rows)
    assert any(r.dest == "formats/Duck.glb" for r in rows)


def test_sources_match_the_corpus_here():
    # the sha256 column is the corpus's own SHA256SUMS
    found = corpus.find_corpus()
    sums = (found / "SHA256SUMS").read_text().split("\n") if (found / "SHA256SUMS").is_file() else []
    if not sums:
        pytest.skip("this corpus copy has no SHA256SUMS")
    pairs = [line.split(None, 1) for line in sums if line.strip()]
    listed = {name.lstrip("*").removeprefix("./"): sha for sha, name in pairs}
    assert {r.dest: r.sha256 for r in corpus.sources()} == listed


def test_fetch_from_a_mirror_checks_sha256_and_stamps_last(tmp_path):
    base, rows = _mirror(tmp_path, {"formats/a.obj": b"v 0 0 0\n", "scans/b c/d.ply": b"ply\n"})
    dest = corpus.fetch(tmp_path / "cache", base=base, rows=rows, log=lambda _: None)
    assert (dest / "formats/a.obj").read_bytes() == b"v 0 0 0\n"
    assert (dest / "scans/b c/d.ply").read_bytes() == b"ply\n"
    assert (dest / corpus.STAMP).is_file()
    # a rerun keeps good files and fetches nothing
    (Path(base.removeprefix("file://")) / rows[0].repo).rename(tmp_path / "gone")
    corpus.fetch(dest, base=base, rows=rows, log=lambda _: None)


def test_fetch_refuses_a_changed_file_and_leaves_no_stamp(tmp_path):
    base, rows = _mirror(tmp_path, {"formats/a.obj": b"v 0 0 0\n"})
    bad = [corpus.Source("0" * 64, *[getattr(rows[0], k) for k in ("repo", "commit", "path", "dest")])]
    with pytest.raises(RuntimeError, match="sha256"):
        corpus.fetch(tmp_path / "cache", base=base, rows=bad, log=lambda _: None)
    assert not (tmp_path / "cache" / corpus.STAMP).exists()
    assert not (tmp_path / "cache" / "formats/a.obj").exists()
    with pytest.raises(RuntimeError, match="could not fetch"):
        corpus.fetch(tmp_path / "cache", base=base + "/nothing", rows=rows, log=lambda _: None)


def test_find_order_env_then_beside_then_complete_cache(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "HERITAGE_AR_CORPUS": str(tmp_path)}
    assert corpus.find_corpus(env) == tmp_path.resolve()
    assert corpus.find_corpus({**env, "HERITAGE_AR_CORPUS": str(tmp_path / "missing")}) is None
    assert corpus.how({"HERITAGE_AR_CORPUS": "/nowhere"}).startswith("HERITAGE_AR_CORPUS=/nowhere is not a folder; ")
    cache = corpus.cache_dir(env)
    cache.mkdir(parents=True)
    assert corpus.cache_dir(env) == tmp_path / "xdg" / "heritage-ar" / "corpus"
    beside = (REPO.parent / "shared" / "corpus").is_dir()
    no_env = {"XDG_CACHE_HOME": env["XDG_CACHE_HOME"]}
    assert corpus.find_corpus(no_env) == (REPO.parent / "shared" / "corpus" if beside else None)
    (cache / corpus.STAMP).write_text("1 files\n")
    if not beside:
        assert corpus.find_corpus(no_env) == cache


def test_a_clone_without_a_corpus_stops_with_one_line(tmp_path):
    # a copy of the test tree with no corpus anywhere: pytest exits at once with HOW
    clone = tmp_path / "clone"
    for part in ("scripts", "tests/__init__.py", "tests/fixtures.py", "tests/conftest.py", "pyproject.toml"):
        src = REPO / part
        dst = clone / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            dst.mkdir()
            for f in ("corpus.py", "corpus-sources.tsv"):
                (dst / f).write_bytes((src / f).read_bytes())
        else:
            dst.write_bytes(src.read_bytes())
    (clone / "tests" / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg"),
           "PYTHONPATH": f"{clone}:{REPO}"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_nothing.py"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 4, done.stdout + done.stderr
    assert corpus.HOW in done.stdout + done.stderr
    assert "passed" not in done.stdout
