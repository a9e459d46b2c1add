"""The monitor's decision: no action, investigate, or retrain — with the reasons.

A window's metrics are noisy (frauds come in clusters of cards and terminals; see
`monitor.uncertainty`), so every performance rule asks two questions: is the change large enough
to matter (the course's levels, e.g. 0.10 AP), and is it larger than `z` standard errors (so a
window that merely held harder frauds does not count)? Rules (reference spec §4.3 and §1.9):

* **harm** (delayed labels): AP fell against the reference window; a fraud scenario's recall
  under the alert budget fell; a fraud type never seen in the reference appeared; or the
  residual-fraud KPI (by count) is above its limit when it was within it before.
* **retrain** when there is harm *and* a challenger trained on recent labelled traffic beats the
  serving model on the same frauds by `retrain_gain` AP (paired, significant) *and* brings AP back
  to the reference level (it would not raise the AP alarm itself): retraining is the fix.
* **investigate** when there is harm that retraining does not fix (stealthier fraud, attacks the
  features cannot see), or when PSI on a feature or the score passes its warning level (volume
  growth moves PSI a lot and costs nothing: worth a look, never an automatic retrain), or when
  too few frauds are labelled to judge.
* **no action** otherwise.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from pydantic import BaseModel, Field

from reference_impl.monitor.drift import ColumnDrift
from reference_impl.monitor.performance import ChallengerComparison, WindowPerformance
from reference_impl.params import EvaluateParams


class Action(StrEnum):
    NO_ACTION = "no_action"
    INVESTIGATE = "investigate"
    RETRAIN = "retrain"


class Thresholds(BaseModel):
    """Warning/alarm levels of the monitor (defaults: the course's recommendation)."""

    psi_warning: float = Field(default=0.1, gt=0, description="PSI from which a column warns.")
    psi_alarm: float = Field(default=0.25, gt=0, description="PSI from which a column alarms.")
    ap_drop_alarm: float = Field(default=0.10, ge=0, description="AP loss vs the reference.")
    retrain_gain: float = Field(default=0.10, ge=0, description="Challenger AP gain to retrain.")
    kpi_limit: float = Field(
        default=EvaluateParams().max_residual_fraud,
        gt=0,
        description="Residual fraud rate limit (the release gate's, params.yaml evaluate).",
    )
    min_frauds: int = Field(default=30, ge=1, description="Fewer labelled frauds: no verdict.")
    recall_drop_alarm: float = Field(
        default=0.2, ge=0, description="Recall loss of one fraud scenario (under the budget)."
    )
    min_scenario_frauds: int = Field(
        default=20, ge=1, description="Frauds a scenario needs for a recall verdict."
    )
    z: float = Field(
        default=2.0,
        ge=0,
        description="Standard errors a performance change must exceed to count (2 ≈ 97.7 %).",
    )


@dataclass(frozen=True)
class Decision:
    action: Action
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "action": self.action.value}


def _beyond(change: float, se: float, level: float, z: float) -> bool:
    """Large enough to matter (`level`) and to be more than noise (`z` standard errors)."""
    return change >= level and (not math.isfinite(se) or change >= z * se)


def _ap_fell(reference: WindowPerformance, ap: float, se: float, t: Thresholds) -> bool:
    drop = reference.average_precision - ap
    return _beyond(drop, math.hypot(reference.average_precision_se, se), t.ap_drop_alarm, t.z)


def _harm_reasons(
    reference: WindowPerformance, current: WindowPerformance, t: Thresholds
) -> list[str]:
    """What the delayed labels say went wrong, each change beyond noise."""
    reasons = []
    if _ap_fell(reference, current.average_precision, current.average_precision_se, t):
        se = math.hypot(reference.average_precision_se, current.average_precision_se)
        reasons.append(
            f"AP fell {reference.average_precision:.3f} → {current.average_precision:.3f} "
            f"(± {2 * se:.3f})"
        )
    reasons += _scenario_reasons(reference, current, t)
    # The count version only: a few large S3 frauds swing the amount version by ±0.4 points.
    now, se = current.residual_fraud_count, current.residual_fraud_count_se
    if reference.residual_fraud_count <= t.kpi_limit and _beyond(now - t.kpi_limit, se, 0, t.z):
        reasons.append(f"residual fraud (count) {now:.2%} ± {2 * se:.2%} > {t.kpi_limit:.2%}")
    return reasons


def _scenario_reasons(
    reference: WindowPerformance, current: WindowPerformance, t: Thresholds
) -> list[str]:
    """Fraud types that became harder to catch, or that were never seen before."""
    reasons = []
    for k, n in current.frauds_by_scenario.items():
        if n < t.min_scenario_frauds:
            continue
        now = current.recall_by_scenario[k]
        if reference.frauds_by_scenario.get(k, 0) < t.min_scenario_frauds:
            reasons.append(f"new fraud type S{k}: {n} frauds, recall {now:.2f}")
            continue
        before = reference.recall_by_scenario[k]
        se = math.hypot(reference.recall_se_by_scenario[k], current.recall_se_by_scenario[k])
        if _beyond(before - now, se, t.recall_drop_alarm, t.z):
            reasons.append(f"S{k} recall fell {before:.2f} → {now:.2f} (± {2 * se:.2f})")
    return reasons


def _retraining_fixes_it(
    reference: WindowPerformance,
    current: WindowPerformance,
    challenger: ChallengerComparison,
    t: Thresholds,
) -> tuple[bool, str]:
    gain, ap = challenger.gain, challenger.average_precision
    if not _beyond(gain, challenger.gain_se, t.retrain_gain, t.z):
        return (
            False,
            f"a retrained model does not do clearly better (AP {ap:.3f}, gain {gain:+.3f})",
        )
    if _ap_fell(reference, ap, current.average_precision_se, t):
        return False, (
            f"a retrained model gains {gain:+.3f} but stays below the reference "
            f"(AP {ap:.3f} vs {reference.average_precision:.3f})"
        )
    return True, (
        f"a retrained model scores AP {ap:.3f} vs {current.average_precision:.3f} "
        f"(gain {gain:+.3f} ± {2 * challenger.gain_se:.3f})"
    )


def decide(
    drift: list[ColumnDrift],
    reference: WindowPerformance | None,
    current: WindowPerformance | None,
    thresholds: Thresholds,
    *,
    challenger: ChallengerComparison | None = None,
) -> Decision:
    """Combine input drift, delayed-label performance and the challenger into one action."""
    t = thresholds
    retrain: list[str] = []
    investigate: list[str] = []
    if reference is not None and current is not None and current.frauds >= t.min_frauds:
        harm = _harm_reasons(reference, current, t)
        if harm and challenger is not None:
            fixes, why = _retraining_fixes_it(reference, current, challenger, t)
            (retrain if fixes else investigate).extend([why, *harm] if fixes else [*harm, why])
        else:
            investigate += harm
    elif current is not None:
        investigate.append(f"only {current.frauds} labelled frauds: performance not assessed")
    for level in ("alarm", "warning"):
        hit = [d for d in drift if d.level == level]
        if hit:
            worst = max(hit, key=lambda d: d.psi)
            names = ", ".join(d.column for d in hit[:4]) + ("…" if len(hit) > 4 else "")
            investigate.append(
                f"PSI {level} on {len(hit)} column(s): {names} (max {worst.psi:.3f})"
            )
    if retrain:
        return Decision(Action.RETRAIN, retrain + investigate)
    if investigate:
        return Decision(Action.INVESTIGATE, investigate)
    return Decision(Action.NO_ACTION, ["no drift above warning level, no loss beyond noise"])
