"""
check_identical.py
------------------

Run the pipeline on a fixed set of inputs and record the sha256 of every
derivative, so a refactor can prove it changes no output byte (issue 17).

    PYTHONPATH=. python scripts/check_identical.py record /tmp/before.json
    PYTHONPATH=. python scripts/check_identical.py record /tmp/after.json
    python scripts/check_identical.py compare /tmp/before.json /tmp/after.json

Inputs: corpus scans and formats (found by scripts/corpus.py, small ones, so the set
runs in minutes on two cores) and generated fixtures written here from fixed
seeds: a flat painting (declared size, and a 300 dpi scan with a back), a
16-bit TIFF with a matrix/TRC ICC profile, and a 16-frame turntable ring.
One case (Duck.glb) runs with previews on; the rest with `previews: False`.
Photogrammetry is not in the set: its runs take minutes each here.

What is compared:
- every file in the output folder except manifest.json: sha256 of its bytes;
- manifest.json: its JSON with the fields that legitimately vary removed:
  every key named "seconds" at any depth (step and flow timings) and the
  `photogrammetry.seconds` block; the rest is compared as canonical JSON,
  and its differences are listed separately from the file differences.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.corpus import HOW  # noqa: E402 - the one corpus lookup
from scripts.corpus import find_corpus  # noqa: E402
from tests.pipeline.photos.helpers import painting  # noqa: E402 - the test suite's generated painting

CORPUS = find_corpus()
if CORPUS is None:
    sys.exit(HOW)

NO_PREVIEWS = {"previews": False}
RING = {"spin": {"sizes": (128, 256), "video_side": 256, "video_seconds": 2.0}}
VARYING = {"seconds"}


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _icc_profile(gamma: float = 2.2) -> bytes:
    """An ICC v2 RGB matrix/TRC profile with Adobe RGB primaries and one gamma."""
    xyz = {"rXYZ": (0.6097, 0.3111, 0.0195), "gXYZ": (0.2053, 0.6257, 0.0609), "bXYZ": (0.1492, 0.0632, 0.7446)}
    tags = []
    for sig, v in xyz.items():
        tags.append((sig, b"XYZ \x00\x00\x00\x00" + b"".join(_s15(c) for c in v)))
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00"
    for sig in ("rTRC", "gTRC", "bTRC"):
        tags.append((sig, curve))
    text = b"Test AdobeRGB-like"
    tags.append(("desc", b"desc\x00\x00\x00\x00" + struct.pack(">I", len(text) + 1) + text + b"\x00" + b"\x00" * 79))
    table = struct.pack(">I", len(tags))
    data = b""
    offset = 128 + 4 + 12 * len(tags)
    for sig, body in tags:
        while len(body) % 4:
            body += b"\x00"
        table += sig.encode() + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = 128 + len(table) + len(data)
    header = struct.pack(">I", size) + b"lcms" + b"\x02\x10\x00\x00" + b"mntrRGB XYZ "
    header += b"\x00" * 12 + b"acsp" + b"\x00" * 24
    header += _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"none"
    header += b"\x00" * (128 - len(header))
    return header + table + data


def _ring_frame(angle: float, gain: float, size=(480, 320)) -> np.ndarray:
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    img = np.empty((h, w, 3))
    img[:] = (236, 234, 228)
    img -= (x / w * 10)[..., None]
    body = ((x - 200) / 50.0) ** 2 + ((y - 170) / 110.0) ** 2 < 1
    img[body] = (70, 110, 160)
    hx = 200 + 55 * np.sin(angle)
    handle = ((x - hx) / 12.0) ** 2 + ((y - 150) / 30.0) ** 2 < 1
    if np.cos(angle) > -0.3:
        img[handle] = (200, 40, 30)
    return (img * gain).clip(0, 255).astype(np.uint8)


def _box_zip(path: Path) -> Path:
    """A textured box OBJ (mm, no unit declared) with MTL and PNG in a zip."""
    from PIL import Image

    v = [(x, y, z) for x in (0, 200) for y in (0, 300) for z in (0, 100)]
    faces = [(1, 3, 4, 2), (5, 6, 8, 7), (1, 2, 6, 5), (3, 7, 8, 4), (1, 5, 7, 3), (2, 4, 8, 6)]
    lines = ["mtllib box.mtl", "usemtl skin"] + [f"v {x} {y} {z}" for x, y, z in v]
    lines += ["vt 0 0", "vt 1 0", "vt 1 1", "vt 0 1"]
    for a, b, c, d in faces:
        lines.append(f"f {a}/1 {b}/2 {c}/3")
        lines.append(f"f {a}/1 {c}/3 {d}/4")
    png = io.BytesIO()
    Image.fromarray(painting(64, 64, 3)).save(png, format="PNG")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("box.obj", "\n".join(lines) + "\n")
        z.writestr("box.mtl", "newmtl skin\nKd 1 1 1\nmap_Kd box.png\n")
        z.writestr("box.png", png.getvalue())
    return path


def cases(work: Path) -> dict[str, tuple[list[Path], dict, dict]]:
    """name -> (inputs, metadata, options)."""
    from PIL import Image

    work.mkdir(parents=True, exist_ok=True)
    c = CORPUS
    out: dict[str, tuple[list[Path], dict, dict]] = {
        "scan-duck-glb-previews": ([c / "formats/Duck.glb"], {"title": {"en": "Duck"}, "unit": "m"}, {}),
        "scan-fuze-obj": ([c / "formats/fuze-obj-ply"], {"title": {"en": "Fuze"}}, NO_PREVIEWS),
        "scan-laurana500-ply": ([c / "formats/laurana500-ply-wedge-uv"], {"title": {"en": "L"}, "unit": "mm"}, NO_PREVIEWS),
        "scan-bali-mask-gltf": ([c / "scans/bali-mask"], {"title": {"en": "Mask"}, "dimensions": {"height": 30, "unit": "cm"}}, NO_PREVIEWS),
        "scan-teapot-stl": ([c / "formats/teapot.stl"], {"title": {"en": "Teapot"}, "up_axis": "+Z"}, NO_PREVIEWS),
        "scan-off": ([c / "formats/ballA.off"], {"title": {"en": "Ball"}, "unit": "cm"}, NO_PREVIEWS),
        "scan-box-zip-unitless": ([_box_zip(work / "box.zip")], {"title": {"en": "Box"}}, NO_PREVIEWS),
    }
    front = work / "flat" / "front.jpg"
    front.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(painting(610, 460, 1)).save(front, quality=92)
    out["flat-declared"] = (
        [front],
        {"title": {"en": "P"}, "kind": "flat", "flat_kind": "canvas", "dimensions": {"width": 61, "height": 46, "unit": "cm"}},
        NO_PREVIEWS,
    )
    scan = work / "flat2"
    scan.mkdir(exist_ok=True)
    Image.fromarray(painting(600, 400, 2)).save(scan / "sheet.tif", dpi=(300, 300))
    Image.fromarray(painting(600, 400, 5)).save(scan / "sheet_verso.png", dpi=(300, 300))
    out["flat-dpi-back"] = ([scan], {"title": {"en": "Sheet"}, "kind": "flat", "flat_kind": "paper"}, NO_PREVIEWS)
    import tifffile

    tiff = work / "flat3" / "adobe16.tif"
    tiff.parent.mkdir(exist_ok=True)
    a16 = (painting(400, 300, 9).astype(np.uint16) * 257)
    tifffile.imwrite(tiff, a16, photometric="rgb", extratags=[(34675, "B", None, _icc_profile(), False)])
    out["flat-tiff16-icc"] = (
        [tiff],
        {"title": {"en": "T"}, "kind": "flat", "dimensions": {"width": 40, "unit": "cm"}},
        NO_PREVIEWS,
    )
    ring = work / "ring"
    ring.mkdir(exist_ok=True)
    gains = np.random.default_rng(4).uniform(0.88, 1.1, 16)
    for i in range(16):
        Image.fromarray(_ring_frame(2 * np.pi * i / 16, gains[i])).save(ring / f"IMG_{i + 1}.jpg", quality=92)
    out["ring-16"] = ([ring], {"title": {"en": "Vase"}}, {**NO_PREVIEWS, **RING})
    return out


def _canonical(manifest: dict):
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in VARYING}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return json.loads(json.dumps(strip(manifest)))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record(target: Path, only: list[str]) -> None:
    from service.pipeline.metadata import validate_metadata

    try:
        from service.pipeline.flows import process
    except ImportError:
        from service.pipeline.flows import process
    result = {}
    with tempfile.TemporaryDirectory(prefix="check-identical-") as tmp:
        for name, (inputs, metadata, options) in cases(Path(tmp) / "in").items():
            if only and name not in only:
                continue
            out = Path(tmp) / "out" / name
            try:
                process(inputs, out, metadata=validate_metadata(metadata), options=options)
            except Exception as e:  # recorded: a failure must fail the same way
                result[name] = {"error": f"{type(e).__name__}: {e}"}
                print(name, "ERROR", e, flush=True)
                continue
            files = {p.name: _sha(p) for p in sorted(out.iterdir()) if p.name != "manifest.json"}
            manifest = _canonical(json.loads((out / "manifest.json").read_text()))
            result[name] = {"files": files, "manifest": manifest}
            print(name, len(files), "files", flush=True)
    target.write_text(json.dumps(result, indent=1, sort_keys=True))


def _diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'after' if k not in a else 'before'}")
            else:
                out += _diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} -> {json.dumps(b)[:120]}"]


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    bad = 0
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name, {}), b.get(name, {})
        files = _diff(x.get("files"), y.get("files"))
        other = _diff(x.get("error"), y.get("error"))
        manifest = _diff(x.get("manifest"), y.get("manifest"))
        total = len(x.get("files") or {})
        status = "identical" if not (files or other) else "DIFFERENT"
        print(f"{name}: {total} files {status}; manifest: {'same' if not manifest else f'{len(manifest)} differences'}")
        for line in files + other:
            print("   file", line)
        for line in manifest:
            print("   manifest", line)
        bad += bool(files or other)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"]:
        record(Path(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1:2] == ["compare"]:
        sys.exit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit(__doc__)
