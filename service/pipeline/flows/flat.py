"""
flat.py
-------

The flat-artefact flow: one photo (front) or two (front, back) of a
painting, print, textile or page, plus its physical size, become a
true-size panel, then the same derivatives as a scan (`derive`).

Size comes from metadata.dimensions (width and height, or one of them with
the other from the photo's shape). Without it, a trusted scan resolution
(DPI, see `images.trusted_dpi`) gives an estimated size; otherwise the job
fails and asks for the size.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from service.errors import InvalidMetadata
from service.errors import MissingFile
from service.messages import Message
from service.pipeline import constants as tol
from service.pipeline.constants import DEFAULT_FLAT_KIND
from service.pipeline.constants import FLAT_KINDS
from service.pipeline.constants import UNITS
from service.pipeline.derive import derive
from service.pipeline.photos.images import Photo
from service.pipeline.photos.images import load_photo
from service.pipeline.photos.images import photo_files
from service.pipeline.photos.panel import PANEL_DEFAULTS
from service.pipeline.photos.panel import build_panel
from service.pipeline.photos.rectify import rectify
from service.pipeline.progress import Progress

log = logging.getLogger(__name__)

# file-name words that mark the back of a sheet or a painting
_BACK = re.compile(
    r"(^|[^a-z])(back|verso|reverse|rear|mat[-_ ]?sau|mặt[-_ ]?sau)([^a-z]|$)", re.IGNORECASE
)
# declared aspect this far from the photo's (either way) is a typo, not a crop
ASPECT_ERROR = 2.0
# swapped width and height are refused from this far (a square-ish work is fine)
ASPECT_SWAP = 1.25
# ... and this far is worth a warning: the texture will look stretched
ASPECT_WARN = 1.05


def front_and_back(images: list[Path]) -> tuple[Path, Path | None]:
    """Pick the front and optional back photo; a name with "back"/"verso" is the back."""
    if not images:
        raise MissingFile(
            "flat: no photo found; upload a JPEG, PNG, TIFF or HEIC of the artefact's front"
        )
    if len(images) > 2:
        raise InvalidMetadata(
            f"flat: {len(images)} photos uploaded; a flat artefact takes one (front) or two (front and back). "
            'For a turntable series set metadata.kind to "ring"'
        )
    if len(images) == 1:
        return images[0], None
    a, b = images
    if _BACK.search(a.stem) and not _BACK.search(b.stem):
        return b, a
    return a, b


def panel_size(metadata: dict, front: Photo) -> tuple[float, float, str]:
    """Width and height in metres and where they came from ("declared", "estimated ...")."""
    dims = metadata.get("dimensions") or {}
    unit = UNITS[dims.get("unit", "cm")]
    w_px, h_px = front.size
    photo_aspect = w_px / h_px
    width = dims.get("width") and dims["width"] * unit
    height = dims.get("height") and dims["height"] * unit
    if width and height:
        source = "declared"
    elif width or height:
        width = width or height * photo_aspect
        height = height or width / photo_aspect
        source = "declared, one side from the photo's shape"
    elif front.dpi:
        width, height = w_px / front.dpi * 0.0254, h_px / front.dpi * 0.0254
        source = f"estimated from the scan resolution ({front.dpi:g} dpi)"
    else:
        raise InvalidMetadata(
            "flat: the physical size is missing; add metadata.dimensions, e.g. "
            '{"width": 61, "height": 46, "unit": "cm"} (width across, height up the picture)'
        )
    for name, value in (("width", width), ("height", height)):
        if not tol.MIN_SIZE_M <= value <= tol.MAX_SIZE_M:
            raise InvalidMetadata(
                f"flat: {name} {value:g} m is outside {tol.MIN_SIZE_M:g}-{tol.MAX_SIZE_M:g} m; check the number and the unit"
            )
    return width, height, source


def check_aspect(width: float, height: float, photo: Photo, *, rectified: bool) -> str | None:
    """Refuse a size whose shape cannot be the photo's; return a warning if it is only off."""
    declared, seen = width / height, photo.size[0] / photo.size[1]
    ratio = max(declared / seen, seen / declared)
    swapped = max(1 / declared / seen, seen * declared) < ASPECT_WARN
    if ratio > ASPECT_ERROR or (swapped and ratio > ASPECT_SWAP):
        hint = "; width and height look swapped" if swapped else "; check width, height and unit"
        raise InvalidMetadata(
            f"flat: declared {width * 100:.1f} x {height * 100:.1f} cm (shape {declared:.2f}) cannot be "
            f"this photo (shape {seen:.2f}){hint}"
        )
    if ratio > ASPECT_WARN:
        return Message("flat_aspect_rectified" if rectified else "flat_aspect_photo", declared=declared, seen=seen)
    return None


def panel_depth(metadata: dict, options: dict, flat_kind: str) -> float:
    """Depth in metres: declared, else options["flat_depths"][kind], else the kind's default."""
    dims = metadata.get("dimensions") or {}
    if dims.get("depth"):
        return dims["depth"] * UNITS[dims.get("unit", "cm")]
    custom = options.get("flat_depths") or {}
    return float(custom.get(flat_kind, FLAT_KINDS[flat_kind]["depth"]))


def _maybe_rectify(
    photo: Photo, want: bool, aspect: float | None, side: str, warnings: list[str]
) -> dict | None:
    if not want:
        return None
    pixels, report = rectify(photo.pixels, aspect=aspect)
    if report["status"] == "rectified":
        photo.pixels = pixels
    else:
        reason = report["reason"]
        warnings.append(Message("rectify_kept_front", reason=reason) if side == "front"
                        else Message("rectify_kept_back", reason=reason))
    return report


def process_flat(
    files: list[Path], out_dir: Path, *, metadata: dict, options: dict, progress: Progress
) -> dict:
    """Turn one or two photos of a flat artefact into a wall-placed panel; return the manifest body."""
    max_pixels = options.get("max_image_pixels", tol.DEFAULT_MAX_IMAGE_PIXELS)
    front_path, back_path = front_and_back(photo_files(files))
    flat_kind = metadata.get("flat_kind") or DEFAULT_FLAT_KIND
    progress(5, "load")
    front = load_photo(front_path, max_pixels=max_pixels)
    back = load_photo(back_path, max_pixels=max_pixels) if back_path else None
    warnings = front.warnings + (back.warnings if back else [])
    want = bool(options.get("rectify", metadata.get("rectify", False)))
    dims = metadata.get("dimensions") or {}
    aspect = dims["width"] / dims["height"] if dims.get("width") and dims.get("height") else None
    progress(15, "rectify" if want else "size")
    report = _maybe_rectify(front, want, aspect, "front", warnings)
    back_report = _maybe_rectify(back, want, aspect, "back", warnings) if back else None
    width, height, source = panel_size(metadata, front)
    warning = check_aspect(
        width, height, front, rectified=bool(report and report["status"] == "rectified")
    )
    if warning:
        warnings.append(warning)
    depth = panel_depth(metadata, options, flat_kind)
    progress(30, "panel")
    scene = build_panel(
        front.pixels,
        width=width,
        height=height,
        depth=depth,
        back=back.pixels if back else None,
        flat_kind=flat_kind,
        texture_max=int(options.get("flat_texture_max", PANEL_DEFAULTS["texture_max"])),
    )
    scene.warnings.extend(warnings)
    scene.info["photos"] = {"front": front.info, **({"back": back.info} if back else {})}
    body = derive(scene, out_dir, metadata=metadata, options=options, progress=progress)
    body["kind"] = "flat"
    body["placement"] = "wall"
    body["size_source"] = source
    if report:
        body["rectification"] = {"front": report, **({"back": back_report} if back_report else {})}
    # in the order they ran: the panel is built, then derived
    panel = {"step": "panel", "options": {"flat_kind": flat_kind, "depth_m": depth, "rectify": want}}
    body["recipe"] = [panel, *body.get("recipe", [])]
    log.info("flat: %s %.3f x %.3f x %.4f m (%s)", flat_kind, width, height, depth, source)
    return body
