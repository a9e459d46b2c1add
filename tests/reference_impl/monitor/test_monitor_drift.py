"""Drift measures: zero when nothing changes, large when a distribution moves, hand-checkable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reference_impl.monitor.drift import column_drift, js_distance, ks_statistic, psi

RNG = np.random.default_rng(0)
REF = RNG.gamma(2.0, 30.0, 20_000)


def test_same_distribution_gives_near_zero() -> None:
    """Is PSI/KS/JS ~0 for a fresh sample of the same distribution (no false alarm)?"""
    other = np.random.default_rng(1).gamma(2.0, 30.0, 20_000)
    assert psi(REF, other) < 0.01
    assert ks_statistic(REF, other) < 0.03
    assert js_distance(REF, other) < 0.05


def test_inflation_moves_every_measure() -> None:
    """Does amount ×1.25 give KS ≈ 0.1 and a PSI warning (spec §1.9: KS 0.11, PSI 0.08)?"""
    inflated = REF * 1.25
    assert 0.05 < psi(REF, inflated) < 0.25
    assert 0.08 < ks_statistic(REF, inflated) < 0.15
    assert js_distance(REF, inflated) > js_distance(REF, REF * 1.05)


def test_psi_by_hand_on_a_flag() -> None:
    """Is PSI on a 0/1 flag the textbook Σ (c − r)·ln(c/r) over its two values?"""
    ref = np.array([0] * 80 + [1] * 20)
    cur = np.array([0] * 50 + [1] * 50)
    expected = (0.5 - 0.8) * np.log(0.5 / 0.8) + (0.5 - 0.2) * np.log(0.5 / 0.2)
    assert psi(ref, cur) == pytest.approx(expected, rel=1e-3)


def test_empty_bin_stays_finite() -> None:
    """Does a value range absent from the reference give a large but finite PSI?"""
    value = psi(np.zeros(1000), np.ones(1000))
    assert np.isfinite(value) and value > 5


def test_levels_follow_thresholds() -> None:
    """Are columns labelled ok / warning / alarm by the PSI thresholds?"""
    ref = pd.DataFrame({"same": REF, "moved": REF, "gone": REF})
    cur = pd.DataFrame({"same": REF[::-1], "moved": REF * 1.35, "gone": REF * 3})
    levels = {d.column: d.level for d in column_drift(ref, cur, ["same", "moved", "gone"])}
    assert levels == {"same": "ok", "moved": "warning", "gone": "alarm"}
