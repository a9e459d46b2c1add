"""Release decision: does the candidate replace the champion? Floors first, then a paired test.

Lesson 5.2's gate has two lines. The floors (`evaluate.check_gate`: prequential AP and residual
fraud) stop a model that misses the business target whatever the champion does. Then the
candidate is compared with the current champion on the same rows, the candidate's test week,
and the difference of average precision is judged against its noise: frauds come in clusters
(cards, terminals), so the standard error comes from a paired card × terminal bootstrap
(`monitor.uncertainty`), the same replicate weights applied to both models' scores.

* **promote**: no champion yet, or the candidate is better beyond noise (lower bound > 0);
* **challenger**: within noise of the champion: registered, not promoted (promotion is then an
  explicit `fraud promote`);
* **reject**: a floor fails, or the candidate is worse than the champion beyond noise by more
  than the allowed regression.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from reference_impl.monitor.uncertainty import RankedScores, replicate_weights, standard_error


class Decision(StrEnum):
    """What the registry does with a candidate."""

    PROMOTE = "promote"
    CHALLENGER = "challenger"
    REJECT = "reject"


@dataclass(frozen=True)
class Comparison:
    """Candidate vs champion AP on the same rows, with the bootstrap standard error of the gap."""

    champion: str
    ap_candidate: float
    ap_champion: float
    difference: float
    standard_error: float
    n_replicates: int
    n_rows: int
    n_frauds: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class ReleaseDecision:
    """The decision, one reason per step that decided it, and the comparison when there was one."""

    decision: Decision
    reasons: list[str]
    comparison: Comparison | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "decision": self.decision.value,
            "reasons": self.reasons,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


def compare(
    y: np.ndarray,
    candidate_score: np.ndarray,
    champion_score: np.ndarray,
    card: np.ndarray,
    terminal: np.ndarray,
    *,
    champion: str,
    n_replicates: int = 200,
    seed: int = 0,
) -> Comparison:
    """Paired AP difference (candidate - champion) and its card × terminal bootstrap SE."""
    cand, champ = RankedScores(y, candidate_score), RankedScores(y, champion_score)
    gaps = [
        cand.average_precision(w) - champ.average_precision(w)
        for w in replicate_weights(card, terminal, n=n_replicates, seed=seed)
    ]
    ap_cand, ap_champ = cand.average_precision(), champ.average_precision()
    return Comparison(
        champion=champion,
        ap_candidate=ap_cand,
        ap_champion=ap_champ,
        difference=ap_cand - ap_champ,
        # Identical scores give identical replicates: a gap of exactly 0 with no noise.
        standard_error=standard_error(gaps) if len(gaps) > 1 else float("nan"),
        n_replicates=n_replicates,
        n_rows=len(y),
        n_frauds=int(np.sum(y)),
    )


def decide(
    *,
    gate_passed: bool,
    gate_reasons: list[str],
    comparison: Comparison | None,
    z: float = 2.0,
    max_regression: float = 0.01,
) -> ReleaseDecision:
    """Floors, then the comparison: promote / challenger / reject (see the module docstring).

    Args:
        gate_passed: the floors' outcome (`evaluation.json` `gate.passed`).
        gate_reasons: one reason per failed floor.
        comparison: candidate vs champion, or None when there is no champion yet.
        z: how many standard errors a gap must clear to count (2: about 95 %, two-sided).
        max_regression: AP the candidate may lose, beyond noise, and still be kept as challenger.
    """
    if not gate_passed:
        return ReleaseDecision(Decision.REJECT, [f"floor: {r}" for r in gate_reasons], comparison)
    if comparison is None:
        return ReleaseDecision(Decision.PROMOTE, ["no champion yet: the first model"], None)
    c = comparison
    se = c.standard_error if np.isfinite(c.standard_error) else 0.0
    low, high = c.difference - z * se, c.difference + z * se
    gap = (
        f"AP {c.ap_candidate:.3f} vs champion {c.champion} {c.ap_champion:.3f}: "
        f"{c.difference:+.3f} ± {z * se:.3f} ({z:g} SE, {c.n_frauds} frauds)"
    )
    if not np.isfinite(c.difference):
        return ReleaseDecision(Decision.REJECT, [f"no fraud to compare on: {gap}"], c)
    if low > 0:
        return ReleaseDecision(Decision.PROMOTE, [f"better beyond noise: {gap}"], c)
    if high < -max_regression:
        return ReleaseDecision(
            Decision.REJECT, [f"worse beyond noise by more than {max_regression:g}: {gap}"], c
        )
    return ReleaseDecision(Decision.CHALLENGER, [f"within noise of the champion: {gap}"], c)
