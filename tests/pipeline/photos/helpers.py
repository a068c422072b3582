"""Generated photo inputs for the photo-set tests (no binary fixtures in git)."""

from __future__ import annotations

import struct

import numpy as np

# Adobe RGB (1998) colorants adapted to D50 (Adobe's specification, Annex C)
ADOBE_D50 = [
    (0.60974, 0.31111, 0.01947),
    (0.20528, 0.62567, 0.06087),
    (0.14919, 0.06322, 0.74457),
]
ADOBE_GAMMA = 563 / 256


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def matrix_trc_profile(
    colorants=ADOBE_D50, gamma: float = ADOBE_GAMMA, name: str = "Adobe RGB test"
) -> bytes:
    """An ICC v2 RGB display profile built from colorants and one gamma."""
    desc = name.encode("ascii") + b"\x00"
    tags = {
        b"desc": b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(desc))
        + desc
        + b"\x00" * (4 + 4 + 2 + 1 + 67),
        b"wtpt": b"XYZ \x00\x00\x00\x00" + _s15(0.9642) + _s15(1.0) + _s15(0.8249),
        b"rXYZ": b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in colorants[0]),
        b"gXYZ": b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in colorants[1]),
        b"bXYZ": b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in colorants[2]),
        b"rTRC": b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, round(gamma * 256)) + b"\x00\x00",
        b"cprt": b"text\x00\x00\x00\x00" + b"no copyright, test data\x00",
    }
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    order = [b"desc", b"wtpt", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC", b"cprt"]
    table_len = 4 + 12 * len(order)
    offset = 128 + table_len
    table = struct.pack(">I", len(order))
    data = b""
    placed: dict[bytes, tuple[int, int]] = {}
    for sig in order:
        body = tags[sig]
        key = body
        if key not in placed:
            pad = (-len(data)) % 4
            data += b"\x00" * pad
            placed[key] = (offset + len(data), len(body))
            data += body
        off, size = placed[key]
        table += sig + struct.pack(">II", off, size)
    total = 128 + table_len + len(data)
    header = struct.pack(">I4sI", total, b"none", 0x02100000)
    header += b"mntr" + b"RGB " + b"XYZ " + b"\x00" * 12 + b"acsp" + b"APPL" + struct.pack(">I", 0)
    header += b"\x00" * 4 + b"\x00" * 4 + b"\x00" * 8 + struct.pack(">I", 0)
    header += _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"none"
    header += b"\x00" * (128 - len(header))
    return header + table + data


def painting(width: int = 610, height: int = 460, seed: int = 1) -> np.ndarray:
    """An (h, w, 3) uint8 'painting': smooth colour fields, strokes and a dark frame line."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    img = np.zeros((height, width, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(2, 9), rng.uniform(2, 9), rng.uniform(0, 6)
        img[..., c] = 0.5 + 0.35 * np.sin(fx * x * 6.3 + ph) * np.cos(fy * y * 6.3)
    img = (img * 255).clip(0, 255).astype(np.uint8)
    for _ in range(40):
        x0, y0 = rng.integers(0, width - 40), rng.integers(0, height - 20)
        img[y0 : y0 + rng.integers(3, 20), x0 : x0 + rng.integers(10, 40)] = rng.integers(0, 255, 3)
    return img
