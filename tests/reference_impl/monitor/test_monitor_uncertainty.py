"""Error bars of window metrics: the card × terminal bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from reference_impl.monitor.uncertainty import (
    RankedScores,
    replicate_weights,
    standard_error,
)


def test_unweighted_average_precision_is_sklearns() -> None:
    """With every weight 1, is it exactly scikit-learn's AP (ties included)?"""
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(2, 60))
        y, score = rng.integers(0, 2, n), rng.integers(0, 6, n) / 5
        if y.any():
            expected = average_precision_score(y, score)
            assert RankedScores(y, score).average_precision() == pytest.approx(expected, abs=1e-12)
    assert np.isnan(RankedScores(np.zeros(5), np.arange(5)).average_precision())


def _window(cards_per_fraud: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """2,000 rows, 200 frauds held by 200 // cards_per_fraud cards, each at its own terminal."""
    n, frauds = 2_000, 200
    y = np.zeros(n, int)
    y[:frauds] = 1
    card = np.r_[np.arange(frauds) // cards_per_fraud, 10_000 + np.arange(n - frauds)]
    # A card's frauds share its quality: some compromised cards are easy, some hard.
    ease = rng.normal(size=card.max() + 1)[card]
    score = np.where(y == 1, 1.0 + ease, 0.0) + rng.normal(size=n)
    return y, score, card, np.arange(n)


def test_error_bar_matches_the_spread_over_fresh_windows() -> None:
    """Frauds from 10 cards: is the bootstrap SE the real window-to-window spread of AP, where
    resampling rows (every fraud its own card) would claim far more certainty?"""
    rng = np.random.default_rng(1)
    truth = standard_error(
        [
            RankedScores(y, sc).average_precision()
            for y, sc, _, _ in (_window(20, rng) for _ in range(300))
        ]
    )
    card_se, row_se = [], []
    for _ in range(8):
        y, score, card, terminal = _window(20, rng)
        ranked = RankedScores(y, score)
        for out, groups in ((card_se, card), (row_se, np.arange(len(y)))):
            reps = [ranked.average_precision(w) for w in replicate_weights(groups, terminal)]
            out.append(standard_error(reps))
    assert 0.7 < np.mean(card_se) / truth < 1.5, (np.mean(card_se), truth)
    assert np.mean(row_se) / truth < 0.7, (np.mean(row_se), truth)


def test_same_seed_same_replicates() -> None:
    """Are two metrics of one window bootstrapped on the same replicates (a paired comparison)?"""
    card, terminal = np.array([1, 1, 2, 3]), np.array([7, 8, 8, 9])
    a = list(replicate_weights(card, terminal, n=5, seed=3))
    b = list(replicate_weights(card, terminal, n=5, seed=3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
