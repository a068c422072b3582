"""
run.py
------

`run_batch()`: the whole batch run behind `heritage-ar batch` and
`scripts/digitise.py`: read and check the collection, stop after the check
for a dry run, otherwise send it (server, local folder or local storage),
then write the CSV, HTML and label-sheet reports.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from service.batch.check import check_items
from service.batch.items import Item
from service.batch.items import read_items
from service.batch.labels import write_labels
from service.batch.report import qr_link
from service.batch.report import report_rows
from service.batch.report import write_csv
from service.batch.report import write_html
from service.batch.state import State
from service.errors import BadRequest

log = logging.getLogger(__name__)


@dataclass
class BatchConfig:
    """Everything a batch run needs; the CLI options map one to one."""

    source: Path
    server: str | None = None
    key: str | None = None
    local: bool = False
    out: Path | None = None  # --local into this folder; None: into the configured storage
    institution: str = "Local collection"
    dry_run: bool = False
    state_path: Path | None = None
    report_dir: Path | None = None
    concurrency: int = 4
    retries: int = 6
    backoff: float = 1.0
    poll: float = 2.0
    timeout: float = 3600
    wait: bool = True
    qr_link: str = "share"
    options: dict = field(default_factory=dict)  # pipeline options for --local

    def resolved_state(self) -> Path:
        if self.state_path:
            return Path(self.state_path)
        src = Path(self.source)
        if src.is_dir():
            return src / ".heritage-ar-state.json"
        return src.with_name(src.stem + ".heritage-ar-state.json")

    def resolved_report(self) -> Path:
        if self.report_dir:
            return Path(self.report_dir)
        src = Path(self.source)
        return src.parent / f"{src.stem if src.is_file() else src.name}-report"

    def target(self) -> str:
        if self.local:
            return f"local:{Path(self.out).resolve()}" if self.out else "local:storage"
        return (self.server or "").rstrip("/")


@dataclass
class BatchResult:
    items: list[Item]
    rows: list[dict]
    reports: dict[str, Path]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row["status"]] = out.get(row["status"], 0) + 1
        return out

    @property
    def ok(self) -> bool:
        return all(row["status"] == "ready" for row in self.rows)


def dry_run(source: Path) -> list[Item]:
    """Read and check the collection; nothing is sent or written."""
    items = read_items(source)
    check_items(items)
    return items


def run_batch(config: BatchConfig, display) -> BatchResult:
    """Run a whole batch and write its reports.

    Parameters
    ----------
    config : BatchConfig
    display : progress display (see `progress.make_display`)

    Returns
    -------
    result : BatchResult
      Items, report rows and report paths (empty for a dry run).
    """
    items = dry_run(config.source)
    if config.dry_run:
        return BatchResult(items, [], {})
    _writable(config.resolved_state().parent, "--state FILE", "the resume file")
    _writable(config.resolved_report().parent, "--report DIR", "the reports")
    state = State(config.resolved_state(), config.target())
    scratch = state.path.with_name(state.path.name + ".d") / "bundles"
    api = None
    try:
        if config.local and config.out:
            from service.batch.local import run_into_folder
            from service.config import Settings
            from service.pipeline.flows import options_from_settings

            options = options_from_settings(Settings.from_env().resolved(), **config.options)
            run_into_folder(items, Path(config.out), state, display, scratch=scratch, options=options,
                            concurrency=config.concurrency)
        elif config.local:
            from service.batch.local import run_into_storage
            from service.config import Settings

            run_into_storage(items, Settings.from_env().resolved(), config.institution, state, display,
                             scratch=scratch, concurrency=config.concurrency)
        else:
            from service.batch.client import Api
            from service.batch.remote import run_remote

            api = Api(config.server, config.key, retries=config.retries, backoff=config.backoff)
            run_remote(items, api, state, display, scratch=scratch, concurrency=config.concurrency,
                       poll=config.poll, timeout=config.timeout, wait=config.wait)
    finally:
        display.close()
    rows = report_rows(items, state)
    reports = write_reports(rows, config, fetch=api.fetch if api else _read_file_uri)
    return BatchResult(items, rows, reports)


def write_reports(rows: list[dict], config: BatchConfig, *, fetch=None) -> dict[str, Path]:
    """report.csv, report.html and labels.pdf in the report folder."""
    out = config.resolved_report()
    name = Path(config.source).stem if Path(config.source).is_file() else Path(config.source).name
    labels = [{"url": qr_link(r, config.qr_link), "title": r["title_vi"] or r["title_en"] or r["key"],
               "accession_number": r["accession_number"]} for r in rows if r["status"] == "ready" and qr_link(r)]
    return {
        "csv": write_csv(rows, out / "report.csv"),
        "html": write_html(rows, out / "report.html", title=f"heritage-ar batch: {name}", fetch=fetch,
                           qr_prefer=config.qr_link),
        "labels": write_labels(labels, out / "labels.pdf", heading=f"QR labels: {name}"),
    }


def _writable(folder: Path, option: str, what: str) -> None:
    # a collection on a read-only share is common: say so before uploading anything
    existing = next((p for p in [folder, *folder.parents] if p.exists()), None)
    if existing is None or not os.access(existing, os.W_OK):
        raise BadRequest(f"batch: cannot write {what} in {str(folder)!r} (read-only?); give {option} somewhere writable")


def _read_file_uri(url: str) -> bytes | None:
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    path = Path(url2pathname(parsed.path))
    return path.read_bytes() if path.is_file() else None
