"""
command.py
----------

The `batch` click command, shared by `heritage-ar batch` and
`scripts/digitise.py`. Exit codes: 0 all ready (or a clean dry run),
1 some artefacts failed, are invalid or unfinished, 2 usage or a
HeritageError for the whole run (unreadable manifest, bad key, server gone).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import click


@click.command("batch")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--server", metavar="URL", help="heritage-ar server, e.g. https://ar.museum.vn")
@click.option("--key", envvar="HERITAGE_AR_API_KEY", metavar="KEY",
              help="API key of your institution (or set HERITAGE_AR_API_KEY; keeps it out of shell history).")
@click.option("--local", is_flag=True, help="Run the pipeline on this machine instead of a server.")
@click.option("--out", type=click.Path(path_type=Path),
              help="With --local: write derivatives here (one folder per artefact); "
                   "without it --local stores into the configured storage (HERITAGE_AR_*).")
@click.option("--institution", default="Local collection", show_default=True,
              help="With --local and no --out: institution the artefacts belong to.")
@click.option("--dry-run", is_flag=True, help="Check every row and file, list all problems, send nothing.")
@click.option("--state", "state_path", type=click.Path(path_type=Path),
              help="Resume file [default: next to SOURCE].")
@click.option("--report", "report_dir", type=click.Path(path_type=Path),
              help="Folder for report.csv, report.html, labels.pdf [default: SOURCE-report next to SOURCE].")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 32),
              help="Uploads at once (server) or artefacts at once (--local).")
@click.option("--retries", default=6, show_default=True, type=click.IntRange(0, 20),
              help="Retries of a failing request (backoff 1, 2, 4 ... s, at most 60 s).")
@click.option("--poll", default=2.0, show_default=True, type=float, help="Seconds between job checks.")
@click.option("--timeout", default=3600.0, show_default=True, type=float,
              help="Stop waiting for one artefact after this many seconds (a rerun waits again).")
@click.option("--no-wait", is_flag=True, help="Return once everything is uploaded; rerun later for the report.")
@click.option("--qr-link", type=click.Choice(["share", "short"]), default="share", show_default=True,
              help="Link encoded in the QR codes.")
@click.option("--no-previews", is_flag=True, help="With --local --out: skip stills and turntable video.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures (for cron).")
@click.option("--jsonl", is_flag=True, help="Print one JSON object per event on stdout (for logs).")
@click.option("--verbose", "-v", is_flag=True, help="Debug logging.")
def batch(source: Path, server: str | None, key: str | None, local: bool, out: Path | None, institution: str,
          dry_run: bool, state_path: Path | None, report_dir: Path | None, concurrency: int, retries: int,
          poll: float, timeout: float, no_wait: bool, qr_link: str, no_previews: bool, quiet: bool, jsonl: bool,
          verbose: bool) -> None:
    """Digitise a collection: SOURCE is a folder (one sub-folder per artefact, optional metadata.json)
    or a CSV/XLSX manifest. Every artefact is processed, linked and reported; rerun the same command
    after an interruption to resume.
    """
    # imported here: the pipeline (trimesh) is seconds to import, and `heritage-ar --help` should not wait
    from service.batch.progress import make_display
    from service.batch.run import BatchConfig
    from service.batch.run import run_batch

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if quiet and jsonl:
        raise click.UsageError("--quiet and --jsonl exclude each other")
    if not dry_run:
        if local and server:
            raise click.UsageError("give either --server or --local, not both")
        if not local and not server:
            raise click.UsageError("give --server URL --key KEY, or --local (try --dry-run first)")
        if server and not key:
            raise click.UsageError("--server needs --key (or HERITAGE_AR_API_KEY)")
    if dry_run:
        sys.exit(_dry_run(source, jsonl, quiet))
    mode = "jsonl" if jsonl else "quiet" if quiet else "bars"
    config = BatchConfig(
        source=source, server=server, key=key, local=local, out=out, institution=institution,
        state_path=state_path, report_dir=report_dir, concurrency=concurrency, retries=retries, poll=poll,
        timeout=timeout, wait=not no_wait, qr_link=qr_link, options={"previews": not no_previews},
    )
    signal.signal(signal.SIGTERM, _interrupt)  # `kill`, systemd or a cron timeout: stop like Ctrl-C
    try:
        result = run_batch(config, make_display(mode))
    except KeyboardInterrupt:
        click.echo(f"interrupted; progress is saved in {config.resolved_state()}: run the same command again "
                   "to resume", err=True)
        sys.exit(130)
    summary = {"counts": result.counts, "reports": {k: str(v) for k, v in result.reports.items()},
               "state": str(config.resolved_state())}
    if jsonl:
        click.echo(json.dumps({"event": "summary", **summary}, ensure_ascii=False))
    elif not quiet or not result.ok:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
        click.echo(f"{len(result.rows)} artefacts: {counts}", err=quiet)
        if not quiet:
            for name, path in summary["reports"].items():
                click.echo(f"  {name:<7} {path}")
    sys.exit(0 if result.ok else 1)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _dry_run(source: Path, jsonl: bool, quiet: bool) -> int:
    from service.batch.run import dry_run

    items = dry_run(source)
    bad = [i for i in items if i.problems]
    for item in items:
        if jsonl:
            click.echo(json.dumps({"event": "check", "key": item.key, "source": item.source, "ok": not item.problems,
                                  "problems": item.problems}, ensure_ascii=False))
        elif item.problems:
            click.echo(f"{item.source} ({item.key}):")
            for problem in item.problems:
                click.echo(f"  - {problem}")
        elif not quiet:
            click.echo(f"{item.source} ({item.key}): ok")
    if not jsonl and not (quiet and not bad):
        click.echo(f"dry run: {len(items)} artefacts, {len(bad)} with problems, nothing uploaded")
    return 1 if bad else 0
