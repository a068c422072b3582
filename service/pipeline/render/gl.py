"""
gl.py
-----

The offscreen renderer: moderngl on a headless EGL context (Mesa llvmpipe on
CPU servers, the GPU driver when there is one). It uploads `Part`s once,
builds a soft contact shadow from a height map seen from below, and draws
RGBA frames for any camera and size with MSAA.

NOTES (2026-11-21, ../shared/research/feasibility-render.md and
benchmarks/render_turntable.py): moderngl + EGL is 20-100x faster than
headless Chromium and 1.5-3x faster than pyrender; MSAA 4 roughly doubles the
cost per frame on llvmpipe, so the turntable uses 2 samples by default.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from service.pipeline.render import shaders
from service.pipeline.render.camera import Camera
from service.pipeline.render.model import Part
from service.pipeline.render.model import bounds_of

log = logging.getLogger(__name__)

# lights in camera space (x right, y up, z towards the viewer) and linear intensity:
# a soft key from the upper left, a fill from the right, a rim from behind
LIGHTS = (
    ((-0.55, 0.75, 0.45), 0.55),
    ((0.75, 0.25, 0.55), 0.2),
    ((0.1, 0.6, -0.8), 0.3),
)
SKY = (0.9, 0.9, 0.9)
GROUND = (0.5, 0.5, 0.5)
BACKDROP_TOP = (0.97, 0.97, 0.97)
BACKDROP_BOTTOM = (0.86, 0.86, 0.87)
SHADOW_SIZE = 256
# colour textures are sampled as sRGB so the sampler decodes them (cheaper than pow() per pixel)
SRGB = ("base_color", "emissive")
GL_SRGB8_ALPHA8 = 0x8C43
MAX_TEXTURE = 4096
# anisotropic filtering is very slow on llvmpipe (software): off by default
ANISOTROPY = 1.0


class Renderer:
    """Draw a model into RGBA frames.

    Parameters
    ----------
    parts : list of Part
      From `model.load_parts`.
    shadow : float
      Contact shadow opacity, 0 to 1.
    """

    def __init__(self, parts: list[Part], *, shadow: float = 0.55, exposure: float = 1.0):
        import moderngl  # imported here: a missing GL stack fails only the previews

        self.mgl = moderngl
        self.ctx = moderngl.create_standalone_context(backend="egl")
        log.debug("previews: GL %s", self.ctx.info.get("GL_RENDERER"))
        self.bounds = bounds_of(parts)
        self.shadow_strength = shadow
        self.exposure = exposure
        masked_fs = shaders.MESH_FS.replace("#version 330\n", "#version 330\n#define MASK\n", 1)
        self.progs = {
            False: self.ctx.program(vertex_shader=shaders.MESH_VS, fragment_shader=shaders.MESH_FS),
            True: self.ctx.program(vertex_shader=shaders.MESH_VS, fragment_shader=masked_fs),
        }
        self.backdrop = self.ctx.program(
            vertex_shader=shaders.BACKDROP_VS, fragment_shader=shaders.BACKDROP_FS
        )
        self.shadow_prog = self.ctx.program(
            vertex_shader=shaders.SHADOW_VS, fragment_shader=shaders.SHADOW_FS
        )
        self.fxaa = self.ctx.program(
            vertex_shader=shaders.BACKDROP_VS, fragment_shader=shaders.FXAA_FS
        )
        self.empty_vao = self.ctx.vertex_array(self.backdrop, [])
        self.fxaa_vao = self.ctx.vertex_array(self.fxaa, [])
        self.white = self.ctx.texture((1, 1), 4, b"\xff\xff\xff\xff")
        self.draws = [self._upload(p) for p in parts]
        self._fbos: dict = {}
        self._build_shadow(parts)

    def _upload(self, part: Part) -> tuple:
        data = np.hstack([part.positions, part.normals, part.uvs, part.colors]).astype("f4")
        vbo = self.ctx.buffer(data.tobytes())
        ibo = self.ctx.buffer(part.indices.astype("u4").tobytes())
        prog = self.progs[part.material["alpha_mode"] == "MASK"]
        vao = self.ctx.vertex_array(
            prog, [(vbo, "3f 3f 2f 4f", "in_pos", "in_normal", "in_uv", "in_color")], ibo
        )
        textures = {
            k: self._texture(img, srgb=k in SRGB) for k, img in part.material["images"].items()
        }
        # light directions are normalised once on the CPU
        return vao, prog, part.material, textures

    def _texture(self, img: Image.Image, *, srgb: bool):
        img = img.convert("RGBA")
        if max(img.size) > MAX_TEXTURE:
            img.thumbnail((MAX_TEXTURE, MAX_TEXTURE), Image.Resampling.LANCZOS)
        fmt = GL_SRGB8_ALPHA8 if srgb else None
        tex = self.ctx.texture(img.size, 4, img.tobytes(), internal_format=fmt)
        tex.build_mipmaps()
        tex.anisotropy = ANISOTROPY
        return tex

    def _build_shadow(self, parts: list[Part]) -> None:
        lo, hi = self.bounds
        size = hi - lo
        cx, cz = (lo[0] + hi[0]) / 2, (lo[2] + hi[2]) / 2
        ext = max(size[0], size[2]) / 2 * 1.6 + 1e-6
        height = max(size[1], 1e-6)
        prog = self.ctx.program(vertex_shader=shaders.HEIGHT_VS, fragment_shader=shaders.HEIGHT_FS)
        prog["box"].value = (cx, cz, ext, height)
        prog["floor_y"].value = float(lo[1])
        n = SHADOW_SIZE
        fbo = self.ctx.framebuffer(
            self.ctx.renderbuffer((n, n), 4, dtype="f4"), self.ctx.depth_renderbuffer((n, n))
        )
        fbo.use()
        fbo.clear(1.0, 0.0, 0.0, 1.0, depth=1.0)
        self.ctx.enable(self.mgl.DEPTH_TEST)
        self.ctx.disable(self.mgl.CULL_FACE)
        for p in parts:
            vbo = self.ctx.buffer(p.positions.astype("f4").tobytes())
            ibo = self.ctx.buffer(p.indices.astype("u4").tobytes())
            vao = self.ctx.vertex_array(prog, [(vbo, "3f", "in_pos")], ibo)
            vao.render()
            vao.release(), vbo.release(), ibo.release()
        h = np.frombuffer(fbo.read(components=4, dtype="f4"), np.float32).reshape(n, n, 4)[..., 0]
        fbo.release()
        px = n / (2 * ext)  # pixels per metre
        scale = max(size[0], size[2], height * 0.5)
        contact = np.clip(1.0 - h / 0.08, 0.0, 1.0)
        ambient = np.clip(1.0 - h, 0.0, 1.0) * (h < 1.0)
        shadow = 0.55 * gaussian_filter(contact, 0.02 * scale * px + 0.5)
        shadow += 0.45 * gaussian_filter(ambient, 0.07 * scale * px + 0.5)
        shadow = np.clip(shadow / max(shadow.max(), 1e-6), 0.0, 1.0).astype("f4")
        # fade to zero at the quad's border so no edge shows
        ramp = np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.1 * n)
        shadow *= np.clip(np.minimum.outer(ramp, ramp), 0.0, 1.0).astype("f4")
        self.shadow_tex = self.ctx.texture((n, n), 1, shadow.tobytes(), dtype="f4")
        y = float(lo[1]) - height * 1e-3
        quad = np.array(
            [
                [cx - ext, y, cz - ext, 0, 0],
                [cx + ext, y, cz - ext, 1, 0],
                [cx + ext, y, cz + ext, 1, 1],
                [cx - ext, y, cz - ext, 0, 0],
                [cx + ext, y, cz + ext, 1, 1],
                [cx - ext, y, cz + ext, 0, 1],
            ],
            "f4",
        )
        vbo = self.ctx.buffer(quad.tobytes())
        self.shadow_vao = self.ctx.vertex_array(
            self.shadow_prog, [(vbo, "3f 2f", "in_pos", "in_uv")]
        )

    def _targets(self, size: tuple[int, int], samples: int, fxaa: bool):
        key = (size, samples, fxaa)
        if key not in self._fbos:
            for fbos in self._fbos.values():
                for fbo in set(fbos):
                    fbo.release()
            samples = min(samples, self.ctx.max_samples)
            depth = self.ctx.depth_renderbuffer(size, samples=samples)
            if fxaa and not samples:
                color = self.ctx.texture(size, 4)
                color.filter = (self.mgl.LINEAR, self.mgl.LINEAR)
                color.repeat_x = color.repeat_y = False
                scene = self.ctx.framebuffer(color, depth)
            else:
                scene = self.ctx.framebuffer(self.ctx.renderbuffer(size, 4, samples=samples), depth)
            out = self.ctx.framebuffer(self.ctx.renderbuffer(size, 4)) if samples or fxaa else scene
            # keep one size alive: frames come in runs of one size
            self._fbos = {key: (scene, out)}
        return self._fbos[key]

    def render_raw(
        self, camera: Camera, size: tuple[int, int], *, samples: int = 0, fxaa: bool = True
    ) -> bytes:
        """One opaque frame as raw RGB bytes, bottom row first, for streaming into ffmpeg.

        Skips the flip and copies of `render`; the encoder flips (`VideoWriter(flip=True)`).
        """
        with self.ctx:  # several renderers may live in one process: make ours current
            out = self._draw(
                camera, size, samples=samples, transparent=False, shadow=True, fxaa=fxaa
            )
            return out.read(components=3, alignment=1)

    def render(
        self,
        camera: Camera,
        size: tuple[int, int],
        *,
        samples: int = 4,
        transparent: bool = False,
        shadow: bool = True,
        fxaa: bool = False,
    ) -> np.ndarray:
        """Draw one frame.

        Parameters
        ----------
        camera : Camera
        size : (width, height) pixels
        samples : int
          MSAA samples (0, 2 or 4 on llvmpipe).
        transparent : bool
          No backdrop; alpha is 0 around the object (straight alpha).
        fxaa : bool
          Smooth edges with FXAA when `samples` is 0 (the cheap choice for video).

        Returns
        -------
        rgba : (height, width, 4) uint8, top row first
        """
        with self.ctx:  # several renderers may live in one process: make ours current
            out = self._draw(
                camera, size, samples=samples, transparent=transparent, shadow=shadow, fxaa=fxaa
            )
            data = out.read(components=4, alignment=1)
        w, h = size
        rgba = np.frombuffer(data, np.uint8).reshape(h, w, 4)[::-1]
        if transparent:
            rgba = _unpremultiply(rgba)
        return np.ascontiguousarray(rgba)

    def _draw(
        self,
        camera: Camera,
        size: tuple[int, int],
        *,
        samples: int,
        transparent: bool,
        shadow: bool,
        fxaa: bool,
    ):
        # draw backdrop, model and shadow; returns the framebuffer holding the final frame
        ctx, mgl = self.ctx, self.mgl
        ms, out = self._targets(size, samples, fxaa)
        ms.use()
        ms.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        ctx.disable(mgl.BLEND)
        ctx.disable(mgl.CULL_FACE)
        if not transparent:
            ctx.disable(mgl.DEPTH_TEST)
            self.backdrop["top"].value = BACKDROP_TOP
            self.backdrop["bottom"].value = BACKDROP_BOTTOM
            self.backdrop["aspect"].value = size[0] / size[1]
            self.empty_vao.render(mgl.TRIANGLES, vertices=3)
        ctx.enable(mgl.DEPTH_TEST)
        mvp = (camera.projection() @ camera.view()).T.copy()
        self._draw_mesh(camera, mvp)
        if shadow and self.shadow_strength > 0:
            ctx.disable(mgl.CULL_FACE)
            ctx.enable(mgl.BLEND)
            ctx.blend_func = (
                mgl.SRC_ALPHA,
                mgl.ONE_MINUS_SRC_ALPHA,
                mgl.ONE,
                mgl.ONE_MINUS_SRC_ALPHA,
            )
            ctx.depth_mask = False
            self.shadow_prog["mvp"].write(mvp.tobytes())
            self.shadow_prog["intensity"].value = self.shadow_strength
            self.shadow_tex.use(0)
            self.shadow_prog["t_shadow"].value = 0
            self.shadow_vao.render()
            ctx.depth_mask = True
            ctx.disable(mgl.BLEND)
        if fxaa and not samples:
            out.use()
            ctx.disable(mgl.DEPTH_TEST)
            ms.color_attachments[0].use(0)
            self.fxaa["t_src"].value = 0
            self.fxaa["inv_size"].value = (1.0 / size[0], 1.0 / size[1])
            self.fxaa_vao.render(mgl.TRIANGLES, vertices=3)
        elif out is not ms:
            ctx.copy_framebuffer(out, ms)
        return out

    def _draw_mesh(self, camera: Camera, mvp: np.ndarray) -> None:
        to_world = camera.view()[:3, :3].T  # camera-space directions into world space
        common = {
            "cam_pos": tuple(float(x) for x in camera.eye),
            "light_dir": [tuple(to_world @ (np.array(d) / np.linalg.norm(d))) for d, _ in LIGHTS],
            "light_col": [(i, i, i) for _, i in LIGHTS],
            "sky": SKY,
            "ground": GROUND,
            "exposure": self.exposure,
        }
        for prog in self.progs.values():
            prog["mvp"].write(mvp.tobytes())
            _set(prog, common)
        for vao, prog, mat, textures in self.draws:
            # single-sided materials cull back faces like the viewer (and shade half as much)
            if mat["double_sided"]:
                self.ctx.disable(self.mgl.CULL_FACE)
            else:
                self.ctx.enable(self.mgl.CULL_FACE)
            _set(
                prog,
                {
                    "base_factor": tuple(mat["base_color"]),
                    "metallic_factor": mat["metallic"],
                    "roughness_factor": mat["roughness"],
                    "occ_strength": mat["occlusion_strength"],
                    "emissive_factor": tuple(mat["emissive"]),
                    "alpha_cutoff": mat["alpha_cutoff"],
                },
            )
            for unit, (key, name) in enumerate(
                (
                    ("base_color", "base"),
                    ("metallic_roughness", "mr"),
                    ("normal", "normal"),
                    ("occlusion", "occ"),
                    ("emissive", "emissive"),
                )
            ):
                tex = textures.get(key)
                (tex or self.white).use(unit)
                _set(prog, {f"t_{name}": unit, f"has_{name}": tex is not None})
            vao.render()

    def release(self) -> None:
        """Free the GL context and everything on it."""
        self.ctx.release()


def _set(prog, values: dict) -> None:
    # uniforms the compiler optimised away are simply absent
    for name, value in values.items():
        if name in prog:
            prog[name].value = value


def _unpremultiply(rgba: np.ndarray) -> np.ndarray:
    # the frame was blended over transparent black, i.e. premultiplied
    a = rgba[..., 3:4].astype(np.float32)
    rgb = rgba[..., :3].astype(np.float32) * 255.0 / np.maximum(a, 1.0)
    rgb = np.where(a > 0, np.clip(rgb, 0, 255), 0)
    return np.concatenate([rgb.astype(np.uint8), rgba[..., 3:4]], axis=-1)
