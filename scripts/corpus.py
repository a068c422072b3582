"""
corpus.py
---------

The one place that knows where the test corpus of real scans is (issue 15):
`HERITAGE_AR_CORPUS`, else `../shared/corpus` beside the clone, else a
complete copy fetched earlier into the cache folder
(`$XDG_CACHE_HOME/heritage-ar/corpus`, default `~/.cache/...`). The tests
(tests/fixtures.py), scripts, benchmarks and scripts/setup.sh all ask here.

`fetch` downloads every file listed in scripts/corpus-sources.tsv from its
public repository at the pinned commit (raw.githubusercontent.com, or a
mirror laid out the same way: `<base>/<owner>/<repo>/<commit>/<path>`),
checks each sha256 and writes a `.complete` stamp last, so a half-fetched
cache is never taken for a corpus.

    python scripts/corpus.py locate          # print the folder, or one line saying how to provide it
    python scripts/corpus.py ensure          # locate, else fetch into the cache (scripts/setup.sh)
    python scripts/corpus.py fetch [--dest DIR] [--mirror URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = Path(__file__).with_name("corpus-sources.tsv")
RAW = "https://raw.githubusercontent.com"
STAMP = ".complete"
HOW = (
    "test corpus not found: set HERITAGE_AR_CORPUS to a copy of it, put it at ../shared/corpus beside the "
    "clone, or run scripts/setup.sh with network access to fetch it into ~/.cache/heritage-ar/corpus"
)


@dataclass(frozen=True)
class Source:
    """One corpus file: its sha256, where it comes from, where it goes."""

    sha256: str
    repo: str  # owner/name
    commit: str
    path: str  # inside the repository
    dest: str  # inside the corpus

    def url(self, base: str = RAW) -> str:
        return f"{base.rstrip('/')}/{self.repo}/{self.commit}/{urllib.parse.quote(self.path)}"


def sources(path: Path = SOURCES) -> list[Source]:
    """Rows of corpus-sources.tsv."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sha, origin, dest = line.split("\t")
        repo, rest = origin.split("@", 1)
        commit, inner = rest.split(":", 1)
        out.append(Source(sha, repo, commit, inner, dest))
    return out


def cache_dir(env: dict | None = None) -> Path:
    """Where a fetched corpus lives."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "heritage-ar" / "corpus"


def find_corpus(env: dict | None = None) -> Path | None:
    """The corpus folder, or None when there is none yet (see HOW)."""
    env = os.environ if env is None else env
    declared = env.get("HERITAGE_AR_CORPUS")
    if declared:
        return Path(declared).expanduser().resolve() if Path(declared).expanduser().is_dir() else None
    beside = REPO.parent / "shared" / "corpus"
    if beside.is_dir():
        return beside
    cached = cache_dir(env)
    if (cached / STAMP).is_file():
        return cached
    return None


def how(env: dict | None = None) -> str:
    """The one line that says how to provide the corpus (naming a wrong HERITAGE_AR_CORPUS)."""
    env = os.environ if env is None else env
    declared = env.get("HERITAGE_AR_CORPUS")
    if declared and not Path(declared).expanduser().is_dir():
        return f"HERITAGE_AR_CORPUS={declared} is not a folder; " + HOW
    return HOW


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(dest: Path, *, base: str = RAW, rows: list[Source] | None = None, log=print) -> Path:
    """Download every corpus file into `dest`, checking sha256; files already there and right are kept.

    Raises RuntimeError naming the first file that could not be fetched or whose
    sha256 differs; `dest` then has no `.complete` stamp.
    """
    rows = sources() if rows is None else rows
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / STAMP).unlink(missing_ok=True)
    for i, row in enumerate(rows, 1):
        target = dest / row.dest
        if target.is_file() and _sha256(target) == row.sha256:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        try:
            with urllib.request.urlopen(row.url(base), timeout=60) as answer, open(part, "wb") as f:
                while block := answer.read(1 << 20):
                    f.write(block)
        except OSError as e:
            part.unlink(missing_ok=True)
            raise RuntimeError(f"corpus: could not fetch {row.dest} from {row.url(base)} ({e})") from None
        got = _sha256(part)
        if got != row.sha256:
            part.unlink()
            raise RuntimeError(f"corpus: {row.dest} from {row.url(base)} has sha256 {got}, expected {row.sha256}")
        part.replace(target)
        log(f"corpus: {i}/{len(rows)} {row.dest}")
    (dest / STAMP).write_text(f"{len(rows)} files\n")
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Find or fetch the heritage-ar test corpus.")
    ap.add_argument("command", choices=["locate", "ensure", "fetch"])
    ap.add_argument("--dest", type=Path, help="fetch into this folder (default: the cache folder)")
    ap.add_argument("--mirror", default=os.environ.get("HERITAGE_AR_CORPUS_MIRROR", RAW),
                    help="base URL laid out as <owner>/<repo>/<commit>/<path> (file:// works)")
    args = ap.parse_args(argv)
    found = find_corpus()
    if args.command == "locate":
        if found is None:
            print(how(), file=sys.stderr)
            return 1
        print(found)
        return 0
    if args.command == "ensure" and found is not None:
        print(f"corpus: {found}")
        return 0
    try:
        done = fetch(args.dest or cache_dir(), base=args.mirror, log=lambda line: print(line, file=sys.stderr))
    except RuntimeError as e:
        print(e, file=sys.stderr)
        print(how(), file=sys.stderr)
        return 1
    print(f"corpus: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
