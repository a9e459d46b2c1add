"""Performance of the serving model on a window whose labels have arrived (after the delay).

Input is a scored log: one row per transaction with its day, card, amount, score and, once
known, its label. The metrics are the reference system's own (`reference_impl.metrics`); each
comes with a standard error from the card × terminal bootstrap (`monitor.uncertainty`), so the
decision can tell a real loss from a window that happened to hold harder frauds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from reference_impl import metrics
from reference_impl import schemas as s
from reference_impl.monitor.uncertainty import (
    N_REPLICATES,
    RankedScores,
    replicate_weights,
    standard_error,
    weighted_share,
)

SCORE = "SCORE"
DAY = s.TX_TIME_DAYS


@dataclass(frozen=True)
class WindowPerformance:
    """AP, CP@k and the residual-fraud KPI of one labelled window (`*_se`: standard errors)."""

    days: tuple[int, int]
    transactions: int
    frauds: int
    average_precision: float
    average_precision_se: float
    card_precision_at_k: float
    card_precision_se: float  # over days only (the card × terminal bootstrap does not reach CP)
    residual_fraud_count: float
    residual_fraud_count_se: float
    residual_fraud_amount: float
    recall_under_budget: float
    alerts_per_day: float
    frauds_by_scenario: dict[int, int]
    recall_by_scenario: dict[int, float]
    recall_se_by_scenario: dict[int, float]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def window_performance(
    log: pd.DataFrame,
    *,
    alerts_per_day: int,
    k: int = 100,
    replicates: int = N_REPLICATES,
    seed: int = 0,
) -> WindowPerformance:
    """Metrics of a labelled window; alerts are each day's `alerts_per_day` top scores.

    `replicates` bootstrap replicates give the standard errors (0: NaN, for quick views).
    """
    y = log[s.TX_FRAUD].to_numpy()
    day = log[DAY].to_numpy()
    score = log[SCORE].to_numpy()
    sc = log[s.TX_FRAUD_SCENARIO].to_numpy()
    cp, cp_daily = metrics.card_precision_top_k(day, log[s.CUSTOMER_ID].to_numpy(), y, score, k=k)
    blocked = metrics.alerts_under_budget(day, score, alerts_per_day=alerts_per_day)
    kpi = metrics.residual_fraud(y, blocked, log[s.TX_AMOUNT].to_numpy(), day)
    scenarios = sorted(int(v) for v in np.unique(sc[sc > 0]))
    ranked, fraud, passed = RankedScores(y, score), y > 0, ~blocked
    reps: dict[str, list[float]] = {"ap": [], "kpi": [], **{f"s{v}": [] for v in scenarios}}
    for w in replicate_weights(log[s.CUSTOMER_ID], log[s.TERMINAL_ID], n=replicates, seed=seed):
        reps["ap"].append(ranked.average_precision(w))
        reps["kpi"].append(weighted_share(fraud, passed, w))
        for v in scenarios:
            reps[f"s{v}"].append(weighted_share(blocked, sc == v, w))
    return WindowPerformance(
        days=(int(day.min()), int(day.max())),
        transactions=len(log),
        frauds=int(y.sum()),
        average_precision=round(metrics.average_precision(y, score), 4),
        average_precision_se=round(standard_error(reps["ap"]), 4),
        card_precision_at_k=round(cp, 4),
        card_precision_se=round(standard_error(cp_daily) / np.sqrt(max(len(cp_daily), 1)), 4),
        residual_fraud_count=round(kpi.by_count, 5),
        residual_fraud_count_se=round(standard_error(reps["kpi"]), 5),
        residual_fraud_amount=round(kpi.by_amount, 5),
        recall_under_budget=round(kpi.recall, 4),
        alerts_per_day=round(kpi.alerts_per_day, 2),
        frauds_by_scenario={v: int((sc == v).sum()) for v in scenarios},
        recall_by_scenario={
            v: round(r, 4) for v, r in metrics.recall_per_scenario(sc, blocked).items()
        },
        recall_se_by_scenario={v: round(standard_error(reps[f"s{v}"]), 4) for v in scenarios},
    )


@dataclass(frozen=True)
class ChallengerComparison:
    """A freshly trained model against the serving one on the same labelled window (paired)."""

    average_precision: float
    gain: float  # challenger AP - serving AP
    gain_se: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def compare_challenger(
    window: pd.DataFrame, challenger_score: np.ndarray, *, seed: int = 0
) -> ChallengerComparison:
    """Paired bootstrap: both models are scored on the same replicates of the same frauds."""
    y = window[s.TX_FRAUD].to_numpy()
    serving, fresh = RankedScores(y, window[SCORE].to_numpy()), RankedScores(y, challenger_score)
    gains = [
        fresh.average_precision(w) - serving.average_precision(w)
        for w in replicate_weights(window[s.CUSTOMER_ID], window[s.TERMINAL_ID], seed=seed)
    ]
    ap = fresh.average_precision()
    return ChallengerComparison(
        average_precision=round(ap, 4),
        gain=round(ap - serving.average_precision(), 4),
        gain_se=round(standard_error(gains), 4),
    )


def scale_budget(alerts_per_day_full: int, transactions_per_day: float) -> int:
    """The full preset's alert budget (~9,800 tx/day) scaled to a smaller stream's volume."""
    return max(1, int(np.round(alerts_per_day_full * transactions_per_day / 9_800)))
