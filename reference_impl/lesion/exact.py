"""Bit-identical stand-ins for the library calls in the renderer's inner loop.

The generator promises the same bytes for the same seed, so a speed-up may not change a single
random draw or rounding. Each function here returns exactly what the library call it names
returns (and draws exactly the same numbers from the generator), minus the argument checks and
set-up that cost more than the work on arrays this small; `tests/reference_impl/lesion/
test_exact.py` compares each with its original on random inputs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np
from scipy import ndimage


def choice_without_replacement(
    rng: np.random.Generator, p: Sequence[float], size: int
) -> list[int]:
    """`rng.choice(len(p), size, replace=False, p=p)` as a list (numpy's algorithm: draw
    `size - found` uniforms, look them up in the cdf of the not-yet-chosen items, keep the new
    ones in order of first appearance, repeat until `size` are found).

    `p` must be a valid probability vector with at least `size` non-zero entries (the callers'
    are constants), as `rng.choice` would check.
    """
    found: list[int] = []
    weights = list(p)
    while len(found) < size:
        x = rng.random(size - len(found)).tolist()
        for i in found:
            weights[i] = 0.0
        cdf, running = [], 0.0
        for w in weights:  # np.cumsum: a running sum, left to right
            running += w
            cdf.append(running)
        cdf = [c / running for c in cdf]
        for u in x:
            # searchsorted(side="right"): the first index whose cdf exceeds u.
            j = _bisect_right(cdf, u)
            if j not in found:
                found.append(j)
    return found


def _bisect_right(cdf: list[float], u: float) -> int:
    lo, hi = 0, len(cdf)
    while lo < hi:
        mid = (lo + hi) // 2
        if u < cdf[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def quantile(values: np.ndarray, q: float) -> np.floating:
    """`np.quantile(values, q)` for a 1-d float array and a Python float q (method "linear"):
    the two order statistics around (n - 1)·q by one partition, blended as numpy's `_lerp`."""
    n = values.size
    v = (n - 1) * q
    if v >= n - 1:
        return values.max()
    lo = math.floor(v)
    part = np.partition(values, (lo, lo + 1))
    a, b = part[lo], part[lo + 1]
    gamma = v - lo
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


@cache
def _gaussian_weights(sigma: float, truncate: float = 4.0) -> np.ndarray:
    """The kernel `ndimage.gaussian_filter1d` correlates with (its own formula, reversed)."""
    radius = int(truncate * float(sigma) + 0.5)
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x**2)
    return (phi / phi.sum())[::-1].copy()


def gaussian_blur_2d(img: np.ndarray, sigma: float) -> np.ndarray:
    """`ndimage.gaussian_filter(img.transpose(1, 2, 0), sigma=(sigma, sigma, 0))` for a
    channel-first (C, H, W) image, returned channel-last (H, W, C) and C-contiguous: the same
    two `correlate1d` passes (rows into the new array, then columns in place), kernel cached."""
    c, h, w = img.shape
    out = np.empty((h, w, c), img.dtype)
    view = out.transpose(2, 0, 1)
    if sigma <= 1e-15:
        view[...] = img
        return out
    weights = _gaussian_weights(sigma)
    ndimage.correlate1d(img, weights, 1, view, "reflect", 0.0, 0)
    ndimage.correlate1d(view, weights, 2, view, "reflect", 0.0, 0)
    return out
