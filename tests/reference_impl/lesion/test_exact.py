"""The renderer's fast stand-ins return exactly what the numpy/scipy calls they replace return."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from reference_impl.lesion.exact import choice_without_replacement, gaussian_blur_2d, quantile
from reference_impl.lesion.render import DEVICES


def test_choice_draws_what_numpy_draws() -> None:
    """Same items, same order, and the generator left in the same state as `rng.choice`?"""
    weights = np.random.default_rng(0).random((300, 6)) * (
        np.random.default_rng(1).random((300, 6)) > 0.2
    )
    for seed, w in enumerate(weights):
        p = w / w.sum()
        for size in range(int((p > 0).sum()) + 1):
            ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
            got = choice_without_replacement(ours, tuple(p.tolist()), size)
            assert got == theirs.choice(6, size=size, replace=False, p=p).tolist()
            assert ours.random() == theirs.random()


@pytest.mark.parametrize("n", [1, 2, 3, 17, 640])
def test_quantile_is_numpys(n: int) -> None:
    """Bit for bit np.quantile on float32 samples, at the covers the renderer asks for?"""
    rng = np.random.default_rng(n)
    for _ in range(40):
        values = rng.standard_normal(n, dtype=np.float32)
        q = 1 - rng.uniform(0.1, 0.4)
        expected = np.quantile(values, q)
        got = quantile(values.copy(), q)
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_blur_is_ndimage_gaussian_filter() -> None:
    """Bit for bit ndimage.gaussian_filter(sigma=(s, s, 0)) for every device's blur (channel-first
    in, channel-last out)?"""
    img = np.random.default_rng(0).random((64, 64, 3), dtype=np.float32)
    for sigma in {d.blur for d in DEVICES.values()} | {0.0, 1.3}:
        expected = ndimage.gaussian_filter(img, sigma=(sigma, sigma, 0))
        got = gaussian_blur_2d(np.ascontiguousarray(img.transpose(2, 0, 1)), sigma)
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert got.tobytes() == expected.tobytes()


def test_view_move_is_rot90_flip_roll() -> None:
    """Does the renderer's four-block move equal np.rot90, mirror and np.roll, for every turn,
    mirror and shift a view can draw?"""
    from reference_impl.lesion.render import _move

    planes = np.random.default_rng(0).random((4, 64, 64), dtype=np.float32)
    for k in range(4):
        for flip in (False, True):
            for s0 in range(-4, 5):
                for s1 in range(-4, 5):
                    turned = np.rot90(planes, k, axes=(1, 2))
                    turned = turned[:, :, ::-1] if flip else turned
                    expected = np.roll(turned, (s0, s1), axis=(1, 2))
                    assert np.array_equal(_move(planes, k, flip, s0, s1), expected)
