"""
flows
-----

`process()` is the one entry point of the pipeline: it takes an upload's
files, picks the flow for the artefact's kind, and leaves derivatives plus
`manifest.json` in `out_dir`. The CLI, the job child process and batch
scripts all call it, with options from `options_from_settings`.

A flow is `flow(files, out_dir, *, metadata, options, progress) -> manifest
body`: a recipe of steps, then `derive` (scan, flat, photogrammetry) or its
own writers (ring). Flows are imported when first used: photogrammetry pulls
open3d and pycolmap, the ring flow OpenCV, which a scan job should not pay for.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from service.errors import InvalidMetadata
from service.messages import Message
from service.messages import keys_of
from service.pipeline import constants as tol
from service.pipeline.exchange.archive import collect
from service.pipeline.flows.kinds import decide_kind
from service.pipeline.manifest import VERSION
from service.pipeline.manifest import write_manifest
from service.pipeline.metadata import check_scale_bar
from service.pipeline.metadata import public_metadata
from service.pipeline.progress import Progress
from service.pipeline.progress import monotonic
from service.pipeline.progress import silent

log = logging.getLogger(__name__)


def _lazy(module: str, name: str) -> Callable[..., object]:
    """A flow or hook imported when first called."""

    def call(*args, **kwargs):
        return getattr(import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


# kind -> flow(files, out_dir, *, metadata, options, progress) -> manifest body
FLOWS: dict[str, Callable[..., dict]] = {
    "scan": _lazy("service.pipeline.flows.scan", "process_scan"),
    "flat": _lazy("service.pipeline.flows.flat", "process_flat"),
    "ring": _lazy("service.pipeline.flows.ring", "process_ring"),
    "photogrammetry": _lazy("service.pipeline.flows.photogrammetry", "process_photogrammetry"),
}

# run after the flow, each failure recorded without failing the job
# (previews: issue 4); name -> hook(out_dir, manifest, *, metadata, options, progress)
AFTER: dict[str, Callable[..., None]] = {}
AFTER["previews"] = _lazy("service.pipeline.render.previews", "make_previews")

DEFAULT_OPTIONS = {
    "max_faces": tol.DEFAULT_MAX_FACES,
    "max_image_pixels": tol.DEFAULT_MAX_IMAGE_PIXELS,
    "max_archive_entries": tol.DEFAULT_MAX_ARCHIVE_ENTRIES,
    "max_unpacked_bytes": tol.DEFAULT_MAX_UNPACKED_BYTES,
}


def options_from_settings(settings, **extra) -> dict:
    """The pipeline options of a job, from `service.config.Settings` (the one place they are built).

    Used by the job runner, `cli process` and `batch --local`, so all three
    honour the same face, pixel and archive limits.
    """
    return {
        "previews": settings.previews,
        "turntable_seconds": settings.turntable_seconds,
        "overlay": settings.video_overlay,
        "hashtags": settings.hashtags,
        "max_faces": settings.max_faces,
        "max_image_pixels": settings.max_image_pixels,
        "max_archive_entries": settings.max_archive_entries,
        "max_unpacked_bytes": settings.max_unpacked_mb * 1024 * 1024,
        **extra,
    }


def process(
    inputs: list[str | Path],
    out_dir: str | Path,
    *,
    metadata: dict | None = None,
    options: dict | None = None,
    progress: Progress | None = None,
) -> dict:
    """Process an upload into derivatives and a manifest.

    Parameters
    ----------
    inputs : list of path
      Uploaded files: archives, loose files or folders.
    out_dir : path
      Empty or missing folder for the outputs.
    metadata : dict
      Catalogue metadata, already checked by `metadata.validate_metadata`.
    options : dict
      Limits and switches (see `DEFAULT_OPTIONS`).
    progress : callable(percent, stage)
      Told about progress; percent is 0-100.

    Returns
    -------
    manifest : dict
      What was written to `out_dir/manifest.json`.
    """
    metadata = metadata or {}
    options = {**DEFAULT_OPTIONS, **(options or {})}
    progress = monotonic(progress or silent)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = metadata.get("kind")
    if kind and kind not in FLOWS:
        raise InvalidMetadata(f"process: kind {kind!r} is not supported on this server yet")
    check_scale_bar(metadata)  # flow-level checks before any unpacking or heavy work
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="heritage-ar-"))
    try:
        progress(1, "unpack")
        files = collect(
            [Path(p) for p in inputs],
            work,
            max_entries=options["max_archive_entries"],
            max_bytes=options["max_unpacked_bytes"],
        )
        kind, kind_source = decide_kind(kind, files)  # flows/kinds.py: photo-only uploads
        body = FLOWS[kind](files, out_dir, metadata=metadata, options=options, progress=progress)
        body["kind"], body["kind_source"] = kind, kind_source
        body.setdefault("warnings", [])
        body.setdefault("steps", {})
        _after(out_dir, body, metadata=metadata, options=options, progress=progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    body["seconds"] = round(time.perf_counter() - t0, 3)
    # manifest.json is published beside the derivatives: public fields only
    body["metadata"] = public_metadata(metadata)
    # English text for the API, and each warning's key and values so the studio can show it in Vietnamese
    body["warning_keys"] = keys_of(body["warnings"])
    body["warnings"] = [str(w) for w in body["warnings"]]
    progress(99, "manifest")
    write_manifest(out_dir, body)
    progress(100, "done")
    return {"manifest_version": VERSION, **body}


def _after(out_dir: Path, body: dict, *, metadata: dict, options: dict, progress: Progress) -> None:
    for name, hook in AFTER.items():
        try:
            hook(out_dir, body, metadata=metadata, options=options, progress=progress)
            body["steps"][name] = {"status": "ok"}
        except Exception as e:
            log.warning("%s: failed", name, exc_info=True)
            body["steps"][name] = {"status": "failed", "error": str(e) or type(e).__name__}
            body["warnings"].append(Message("step_failed", name=name, error=str(e) or type(e).__name__))
