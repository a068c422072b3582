"""
textures.py
-----------

Step `to_srgb`: convert texture images that carry an ICC profile (Adobe RGB
from cameras, Display P3 from phones) to sRGB, which is what glTF and USD
viewers assume, and normalise odd modes (CMYK, palette, 16-bit). Fitting and
encoding textures for the writers is in `pipeline/texture_files.py`.
"""

from __future__ import annotations

import logging

from PIL import Image
from PIL import ImageCms

from service.pipeline.exchange.meshes import TEXTURE_SLOTS
from service.pipeline.icc import lcms_profile
from service.pipeline.icc import lcms_to_srgb
from service.pipeline.scene import Scene
from service.pipeline.texture_files import has_alpha

log = logging.getLogger(__name__)

# slots whose pixels are colours; normal/occlusion/roughness maps are data
_COLOUR_SLOTS = ("baseColorTexture", "emissiveTexture", "image")


def to_srgb(scene: Scene) -> Scene:
    """Convert colour textures with an embedded ICC profile to sRGB and plain RGB(A) modes.

    Examples
    --------
    >>> scene = to_srgb(scene)
    >>> scene.info["textures_converted"]
    1
    """
    converted = 0
    for mesh in scene.meshes:
        mat = getattr(mesh.visual, "material", None)
        if mat is None:
            continue
        for slot in _COLOUR_SLOTS + TEXTURE_SLOTS:
            image = getattr(mat, slot, None)
            if image is None:
                continue
            fixed, changed = srgb_image(image, colour=slot in _COLOUR_SLOTS)
            if fixed is not image:
                setattr(mat, slot, fixed)
            converted += changed
    scene.info["textures_converted"] = converted
    log.info("to_srgb: %d textures converted from an ICC profile", converted)
    return scene


def srgb_image(image: Image.Image, *, colour: bool = True) -> tuple[Image.Image, bool]:
    """Return (image in RGB/RGBA, whether an ICC conversion happened)."""
    icc = image.info.get("icc_profile")
    mode = "RGBA" if has_alpha(image) else "RGB"
    if colour and icc:
        try:
            source, description = lcms_profile(icc)
            if "srgb" not in description.lower():
                base = image if image.mode in ("RGB", "RGBA", "CMYK") else image.convert(mode)
                out = lcms_to_srgb(base, source, mode)
                log.debug("to_srgb: converted from %r", description)
                return out, True
        except (OSError, ImageCms.PyCMSError):
            log.warning("to_srgb: unreadable ICC profile ignored", exc_info=True)
    if image.mode != mode:
        return image.convert(mode), False
    return image, False
