"""The release decision: floors, then candidate vs champion on the same rows, noise included."""

from __future__ import annotations

import numpy as np
import pytest

from reference_impl.release import Comparison, Decision, compare, decide


def _world(seed: int = 0, n: int = 20_000) -> dict[str, np.ndarray]:
    """Transactions of 2,000 cards at 1,500 terminals; frauds cluster on 40 compromised cards."""
    rng = np.random.default_rng(seed)
    card, terminal = rng.integers(0, 2_000, n), rng.integers(0, 1_500, n)
    bad_cards = rng.choice(2_000, 40, replace=False)
    y = (np.isin(card, bad_cards) & (rng.random(n) < 0.6)).astype(int)
    return {"y": y, "card": card, "terminal": terminal, "rng": rng}  # type: ignore[dict-item]


def _score(world: dict, signal: float, seed: int) -> np.ndarray:
    """A model's scores: `signal` standard deviations between frauds and the rest, plus noise."""
    noise = np.random.default_rng(seed).normal(size=len(world["y"]))
    return world["y"] * signal + noise


def _compare(world: dict, candidate: np.ndarray, champion: np.ndarray) -> Comparison:
    return compare(
        world["y"], candidate, champion, world["card"], world["terminal"], champion="v001"
    )


def _decide(world: dict, candidate: np.ndarray, champion: np.ndarray) -> Decision:
    comparison = _compare(world, candidate, champion)
    return decide(gate_passed=True, gate_reasons=[], comparison=comparison).decision


def test_first_model_is_promoted_when_there_is_no_champion() -> None:
    """With no champion, does a candidate that passes the floors become the champion?"""
    out = decide(gate_passed=True, gate_reasons=[], comparison=None)
    assert out.decision is Decision.PROMOTE and "first model" in out.reasons[0]


def test_better_candidate_is_promoted() -> None:
    """Is a clearly better model (AP about 0.9 vs 0.25) promoted, with the gap in the reason?"""
    world = _world()
    comparison = _compare(world, _score(world, 4.0, 1), _score(world, 2.0, 2))
    out = decide(gate_passed=True, gate_reasons=[], comparison=comparison)
    assert comparison.difference > 0.2 and comparison.standard_error > 0
    assert out.decision is Decision.PROMOTE and "better beyond noise" in out.reasons[0]


def test_equal_within_noise_is_not_promoted() -> None:
    """Is a model of the same quality (other noise draw) kept as challenger, across worlds?"""
    decisions = [
        _decide(world, _score(world, 2.5, 10 + s), _score(world, 2.5, 20 + s))
        for s, world in enumerate(_world(seed) for seed in range(10))
    ]
    # Two-sided 2 SE: an equal model beats the champion "beyond noise" ~2.5 % of the time.
    assert decisions.count(Decision.PROMOTE) <= 1
    assert decisions.count(Decision.CHALLENGER) >= 8


def test_identical_scores_are_a_challenger_not_a_promotion() -> None:
    """Does retraining the same model on the same data (same scores) leave the champion alone?"""
    world = _world()
    same = _score(world, 2.5, 1)
    assert _decide(world, same, same.copy()) is Decision.CHALLENGER


def test_worse_candidate_is_rejected() -> None:
    """Is a clearly worse model rejected, and does a floor failure reject even a better one?"""
    world = _world()
    assert _decide(world, _score(world, 1.0, 1), _score(world, 3.0, 2)) is Decision.REJECT
    comparison = _compare(world, _score(world, 4.0, 1), _score(world, 2.0, 2))
    out = decide(gate_passed=False, gate_reasons=["AP 0.3 < floor 0.45"], comparison=comparison)
    assert out.decision is Decision.REJECT and out.reasons == ["floor: AP 0.3 < floor 0.45"]


@pytest.mark.parametrize("z", [1.0, 3.0])
def test_noise_threshold_comes_from_the_parameter(z: float) -> None:
    """Does a wider noise band (z) turn a modest gain from promote into challenger?"""
    world = _world()
    comparison = _compare(world, _score(world, 2.9, 1), _score(world, 2.5, 2))
    gap = comparison.difference / comparison.standard_error
    out = decide(gate_passed=True, gate_reasons=[], comparison=comparison, z=z)
    assert out.decision is (Decision.PROMOTE if gap > z else Decision.CHALLENGER)
