"""Textures: ICC profiles to sRGB, sizes, encoding."""

from __future__ import annotations

import io

import numpy as np
import trimesh
from PIL import Image
from PIL import ImageCms
from trimesh.visual.material import PBRMaterial

from service.pipeline.scene import Scene
from service.pipeline.steps.textures import to_srgb
from service.pipeline.texture_files import encode
from service.pipeline.texture_files import fit
from tests.pipeline.icc import SWAPPED


def textured(image: Image.Image) -> Scene:
    box = trimesh.creation.box()
    box.visual = trimesh.visual.TextureVisuals(
        uv=np.zeros((len(box.vertices), 2)), material=PBRMaterial(baseColorTexture=image)
    )
    return Scene(meshes=[box])


def test_icc_texture_becomes_srgb():
    image = Image.new("RGB", (8, 8), (200, 30, 20))
    image.info["icc_profile"] = SWAPPED
    scene = to_srgb(textured(image))
    r, g, _b = scene.meshes[0].visual.material.baseColorTexture.getpixel((0, 0))
    assert g > 150 and r < 60  # the profile says the first channel is green
    assert scene.info["textures_converted"] == 1


def test_srgb_tagged_texture_is_left_alone():
    image = Image.new("RGB", (8, 8), (200, 30, 20))
    image.info["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    scene = to_srgb(textured(image))
    assert scene.meshes[0].visual.material.baseColorTexture.getpixel((0, 0)) == (200, 30, 20)
    assert scene.info["textures_converted"] == 0


def test_cmyk_and_palette_become_rgb():
    for image in (Image.new("CMYK", (4, 4), (0, 255, 255, 0)), Image.new("P", (4, 4), 3)):
        scene = to_srgb(textured(image))
        assert scene.meshes[0].visual.material.baseColorTexture.mode == "RGB"


def test_fit_never_enlarges_and_keeps_aspect():
    assert fit(Image.new("RGB", (300, 100)), 1024).size == (300, 100)
    assert fit(Image.new("RGB", (4000, 2000)), 1024).size == (1024, 512)


def test_encode_uses_png_only_for_real_alpha():
    opaque = Image.new("RGBA", (4, 4), (1, 2, 3, 255))
    data, mime = encode(opaque)
    assert mime == "image/jpeg" and Image.open(io.BytesIO(data)).format == "JPEG"
    clear = Image.new("RGBA", (4, 4), (1, 2, 3, 100))
    data, mime = encode(clear)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).getpixel((0, 0))[3] == 100
