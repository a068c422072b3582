"""
previews.py
-----------

The pipeline hook `make_previews`: picks the best GLB of a finished job,
renders stills and the turntable in a child process (a crash in native GL or
a hang cannot take the caller with it), relays progress and lists the new
files in the manifest body. Registered in `run.AFTER["previews"]`, so a
failure here is recorded as a failed preview step and the 3D files stay.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path

from service.errors import PreviewFailed
from service.pipeline.child_process import Child
from service.pipeline.child_process import ChildTimedOut
from service.pipeline.manifest import describe_file
from service.pipeline.progress import Progress

log = logging.getLogger(__name__)

# preferred model to render, best first: the web level has the textures a viewer
# shows; master.glb is always there
SOURCES = ("web-2048.glb", "master.glb")
# progress range of the preview stage inside the whole job
START, END = 70, 97
TIMEOUT_S = 900
ROOT = Path(__file__).resolve().parents[3]


def pick_source(out_dir: Path, files: dict) -> Path | None:
    """The GLB to render: web-2048.glb when listed, else master.glb, else any listed GLB, else None."""
    listed = [n for n in files if n.endswith(".glb") and (out_dir / n).is_file()]
    for name in SOURCES:
        if name in listed:
            return out_dir / name
    return out_dir / min(listed) if listed else None


def make_previews(
    out_dir: str | Path,
    body: dict,
    *,
    metadata: dict,
    options: dict,
    progress: Progress,
) -> None:
    """Render poster, thumbnail, cover, turntable (and a transparent PNG on request).

    Parameters
    ----------
    out_dir : path
      The job's output folder; the new files are written next to the GLBs.
    body : dict
      Manifest body; entries are added to ``body["files"]``.
    metadata : dict
      Catalogue metadata (title, institution, licence).
    options : dict
      ``previews`` (False skips), ``overlay``, ``hashtags``, ``share_url``,
      ``transparent_png``, ``turntable_seconds`` and the rest of
      `worker.PREVIEW_DEFAULTS`; ``preview_timeout`` in seconds.
    progress : callable(percent, stage)
    """
    if not options.get("previews", True):
        log.info("previews: skipped (previews=False)")
        return
    out_dir = Path(out_dir)
    files = body.setdefault("files", {})
    source = pick_source(out_dir, files)
    if source is None:
        # flows without a 3D model (a spin photo set) have nothing to render here
        log.info("previews: skipped, no GLB in the manifest")
        return
    keys = _preview_keys()
    # the child writes into a staging folder next to the outputs: a failure leaves
    # nothing half-written in out_dir, success is a rename per file
    with tempfile.TemporaryDirectory(prefix=".previews-", dir=out_dir) as tmp:
        stage = Path(tmp) / "out"
        stage.mkdir()
        job = {
            "glb": str(source),
            "out_dir": str(stage),
            "metadata": metadata,
            "options": {k: v for k, v in options.items() if k in keys},
        }
        job_path, result_path = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_path.write_text(json.dumps(job, ensure_ascii=False, default=str), encoding="utf-8")
        timeout = float(options.get("preview_timeout") or TIMEOUT_S)
        stderr = _run_child(job_path, result_path, progress, timeout)
        if not result_path.is_file():
            raise PreviewFailed(
                f"previews: renderer process died without a result: {stderr[-400:]}"
            )
        result = json.loads(result_path.read_text(encoding="utf-8"))
        if not result["ok"]:
            raise PreviewFailed(f"previews: {result['error']}")
        for entry in result["files"]:
            name = entry.pop("name")
            os.replace(stage / name, out_dir / name)
            files[name] = describe_file(out_dir / name, source=source.name, **entry)
    log.info("previews: %d files from %s", len(result["files"]), source.name)


def _preview_keys() -> set[str]:
    from service.pipeline.render.worker import PREVIEW_DEFAULTS

    return set(PREVIEW_DEFAULTS)


def _run_child(
    job: Path, result: Path, progress: Progress, timeout: float
) -> str:
    # run the worker with this checkout first on the path (an editable install may point elsewhere)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("EGL_PLATFORM", "surfaceless")
    cmd = [sys.executable, "-m", "service.pipeline.render.worker", str(job), str(result)]

    def on_line(line: str) -> None:
        if line.startswith("@progress "):
            _, pct, stage = line.rstrip("\n").split(" ", 2)
            progress(START + (END - START) * int(pct) // 100, stage)

    timed_out = False
    with Child(cmd, timeout=timeout, on_line=on_line, env=env, cwd=ROOT) as child:
        try:
            code = child.wait()
        except ChildTimedOut:
            timed_out, code = True, child.proc.returncode
        stderr = child.stderr_text()
    if code < 0:
        raise PreviewFailed(
            f"previews: renderer process was killed by signal {-code}"
            + (f" after the {timeout:.0f} s time limit" if timed_out else "")
            + f": {stderr.strip()[-400:]}"
        )
    return stderr
