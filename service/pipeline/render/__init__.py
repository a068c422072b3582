"""
render
------

Headless previews of processed artefacts: posters, thumbnails, a vertical
cover and a turntable video, drawn with moderngl on EGL (Mesa llvmpipe on
CPU servers). `make_previews` is the pipeline hook; `worker.render_previews`
does the work in-process.
"""

from __future__ import annotations

from service.pipeline.render.previews import make_previews

__all__ = ["make_previews"]
