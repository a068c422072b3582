"""Find a reference text rendering inside a frame (normalised cross-correlation)."""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve


def best_match(frame: np.ndarray, ref: np.ndarray) -> tuple[float, tuple[int, int]]:
    """(peak normalised cross-correlation in -1..1, (row, col)) of `ref` inside grey `frame`."""
    f = frame.astype(np.float64)
    t = ref.astype(np.float64)
    t = t - t.mean()
    num = fftconvolve(f, t[::-1, ::-1], mode="valid")
    ones = np.ones_like(t)
    s1 = fftconvolve(f, ones, mode="valid")
    s2 = fftconvolve(f * f, ones, mode="valid")
    var = np.maximum(s2 - s1 * s1 / t.size, 1e-9)
    ncc = num / np.sqrt(var * (t * t).sum())
    idx = np.unravel_index(np.argmax(ncc), ncc.shape)
    return float(ncc[idx]), (int(idx[0]), int(idx[1]))
