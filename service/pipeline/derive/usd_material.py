"""
usd_material.py
---------------

Author a mesh's glTF PBR material as a UsdPreviewSurface network for the
USDZ writer, so Quick Look shows what the GLB shows: base colour (texture,
factor and alpha), normal, metallic-roughness, occlusion and emissive maps,
each a UsdUVTexture fed by one `st` primvar reader.

Conventions follow the UsdPreviewSurface spec: data maps are read "raw",
colour maps "sRGB"; a normal map is scaled (2, 2, 2, 1) and biased
(-1, -1, -1, 0) into tangent space; glTF packs roughness in G and metallic
in B. Quick Look's support for UsdUVTexture `scale` on colour maps is not
something we can test here, so glTF multiply factors are baked into the
texture pixels instead (`textures.multiply`) whenever they are not 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from service.pipeline.scene import pbr_factors
from service.pipeline.texture_files import encode
from service.pipeline.texture_files import fit
from service.pipeline.texture_files import image_key
from service.pipeline.texture_files import multiply

NORMAL_SCALE = (2.0, 2.0, 2.0, 1.0)
NORMAL_BIAS = (-1.0, -1.0, -1.0, 0.0)
ALPHA_CUTOFF = 0.5  # glTF's default alphaCutoff


class TextureFiles:
    """PNG/JPEG files in the package folder, one per distinct image and baked factors."""

    def __init__(self, folder: Path, size: int | None) -> None:
        self.folder = folder
        self.size = size
        self.files: dict[bytes, tuple[str, bool]] = {}

    def add(self, image, factors=None, *, srgb: bool = False) -> tuple[str, bool]:
        """Fit, bake and encode `image` once; return (path in the package, whether it keeps alpha)."""
        baked = None if factors is None else [round(float(f), 6) for f in factors]
        key = image_key(image) + repr((baked, srgb)).encode()
        if key not in self.files:
            out = fit(image, self.size)
            if factors is not None:
                out = out.convert("RGBA" if len(factors) == 4 else "RGB")
                out = multiply(out, factors, srgb=srgb)
            data, mime = encode(out)
            png = mime == "image/png"
            # "0/" is where the ARKit packager puts a root layer's assets; written there
            # already, its rewritten paths still resolve (else usd-core 26.11 warns
            # "Failed to resolve reference" for all but one texture of a layer)
            name = f"0/texture_{len(self.files)}.{'png' if png else 'jpg'}"
            (self.folder / "0").mkdir(exist_ok=True)
            (self.folder / name).write_bytes(data)
            self.files[key] = (name, png)
        return self.files[key]


def author_material(stage, path: str, visual, files: TextureFiles):
    """Define a UsdPreviewSurface material at `path` for a trimesh visual.

    Returns
    -------
    material : UsdShade.Material
    uses_st : bool
      Whether a texture reads the mesh's `st` primvar (the caller writes it).
    """
    from pxr import Gf
    from pxr import Sdf
    from pxr import UsdShade

    material = UsdShade.Material.Define(stage, path)
    surface = UsdShade.Shader.Define(stage, f"{path}/surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    mat = getattr(visual, "material", None)
    factors = pbr_factors(mat)
    net = _Network(stage, path, material, surface, files)
    textured = visual.kind == "texture" and visual.uv is not None and mat is not None
    if textured:
        net.base_colour(mat, factors)
        net.metallic_roughness(getattr(mat, "metallicRoughnessTexture", None), factors)
        net.data_map("normalTexture", getattr(mat, "normalTexture", None), "normal", "rgb")
        net.data_map("occlusionTexture", getattr(mat, "occlusionTexture", None), "occlusion", "r")
        net.emissive(getattr(mat, "emissiveTexture", None), factors["emissive"])
    else:
        net.constant("metallic", factors["metallic"])
        net.constant("roughness", factors["roughness"])
        if factors["emissive"].any():
            net.constant("emissiveColor", factors["emissive"])
    if visual.kind == "vertex":
        reader = UsdShade.Shader.Define(stage, f"{path}/colorReader")
        reader.CreateIdAttr("UsdPrimvarReader_float3")
        reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("displayColor")
        out = reader.CreateOutput("result", Sdf.ValueTypeNames.Float3)
        surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).ConnectToSource(out)
    elif not textured:
        rgb = factors["base"][:3] if getattr(mat, "baseColorFactor", None) is not None else np.full(3, 0.8)
        surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*map(float, rgb)))
        net.alpha(mat, factors["base"][3], None)
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    return material, net.reader is not None


class _Network:
    def __init__(self, stage, path: str, material, surface, files: TextureFiles) -> None:
        self.stage = stage
        self.path = path
        self.material = material
        self.surface = surface
        self.files = files
        self.reader = None

    def constant(self, name: str, value) -> None:
        from pxr import Gf
        from pxr import Sdf

        if np.ndim(value):
            self.surface.CreateInput(name, Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*map(float, value)))
        else:
            self.surface.CreateInput(name, Sdf.ValueTypeNames.Float).Set(float(value))

    def texture(self, name: str, file: str, *, srgb: bool, scale=None, bias=None):
        from pxr import Sdf
        from pxr import UsdShade

        if self.reader is None:
            self.material.CreateInput("frame:stPrimvarName", Sdf.ValueTypeNames.String).Set("st")
            self.reader = UsdShade.Shader.Define(self.stage, f"{self.path}/stReader")
            self.reader.CreateIdAttr("UsdPrimvarReader_float2")
            self.reader.CreateInput("varname", Sdf.ValueTypeNames.String).ConnectToSource(
                self.material.GetInput("frame:stPrimvarName")
            )
            self.reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
        shader = UsdShade.Shader.Define(self.stage, f"{self.path}/{name}")
        shader.CreateIdAttr("UsdUVTexture")
        shader.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(file)
        shader.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB" if srgb else "raw")
        shader.CreateInput("wrapS", Sdf.ValueTypeNames.Token).Set("repeat")
        shader.CreateInput("wrapT", Sdf.ValueTypeNames.Token).Set("repeat")
        if scale is not None:
            shader.CreateInput("scale", Sdf.ValueTypeNames.Float4).Set(scale)
            shader.CreateInput("bias", Sdf.ValueTypeNames.Float4).Set(bias)
        shader.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(self.reader.GetOutput("result"))
        return shader

    def connect(self, shader, output: str, name: str) -> None:
        from pxr import Sdf

        kind = Sdf.ValueTypeNames.Float3 if output == "rgb" else Sdf.ValueTypeNames.Float
        target = {"diffuseColor": "Color3f", "emissiveColor": "Color3f", "normal": "Normal3f"}.get(name, "Float")
        out = shader.GetOutput(output) or shader.CreateOutput(output, kind)
        self.surface.CreateInput(name, getattr(Sdf.ValueTypeNames, target)).ConnectToSource(out)

    def base_colour(self, mat, factors: dict) -> None:
        from pxr import Gf
        from pxr import Sdf

        image = getattr(mat, "baseColorTexture", None) or getattr(mat, "image", None)
        base = factors["base"]
        if image is None:
            self.surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*map(float, base[:3])))
            self.alpha(mat, base[3], None)
            return
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        bake = base if has_alpha else base[:3]
        bake = None if np.allclose(bake, 1.0) else bake
        file, keeps_alpha = self.files.add(image, bake, srgb=True)
        shader = self.texture("baseColor", file, srgb=True)
        self.connect(shader, "rgb", "diffuseColor")
        # a baked alpha factor is already in the pixels; an RGB texture still needs it as a constant
        self.alpha(mat, base[3] if not has_alpha else 1.0, shader if keeps_alpha else None)

    def alpha(self, mat, factor: float, shader) -> None:
        mode = getattr(mat, "alphaMode", None) or "OPAQUE"
        if mode == "OPAQUE":
            return
        cutoff = getattr(mat, "alphaCutoff", None)
        cutoff = ALPHA_CUTOFF if cutoff is None else float(cutoff)
        if mode == "MASK" and cutoff <= 0:
            return  # glTF shows every texel; a threshold of 0 would mean blending in USD
        if shader is not None:
            self.connect(shader, "a", "opacity")
        elif factor < 1.0:
            self.constant("opacity", factor)
        else:
            return
        if mode == "MASK":
            self.constant("opacityThreshold", cutoff)

    def metallic_roughness(self, image, factors: dict) -> None:
        if image is None:
            self.constant("metallic", factors["metallic"])
            self.constant("roughness", factors["roughness"])
            return
        scale = (1.0, factors["roughness"], factors["metallic"])
        file, _ = self.files.add(image, None if scale == (1.0, 1.0, 1.0) else scale)
        shader = self.texture("metallicRoughness", file, srgb=False)
        self.connect(shader, "g", "roughness")
        self.connect(shader, "b", "metallic")

    def data_map(self, slot: str, image, name: str, output: str) -> None:
        if image is None:
            return
        file, _ = self.files.add(image)
        scale = NORMAL_SCALE if name == "normal" else None
        shader = self.texture(slot.replace("Texture", ""), file, srgb=False, scale=scale, bias=NORMAL_BIAS)
        self.connect(shader, output, name)

    def emissive(self, image, factor: np.ndarray) -> None:
        if not factor.any():
            return  # glTF's emissiveFactor defaults to black: the map has no effect
        if image is None:
            self.constant("emissiveColor", factor)
            return
        file, _ = self.files.add(image, None if np.allclose(factor, 1.0) else factor, srgb=True)
        self.connect(self.texture("emissive", file, srgb=True), "rgb", "emissiveColor")
