"""Performance of the serving model on a window whose labels have arrived (after the delay).

Input is a scored log: one row per transaction with its day, card, amount, score and, once
known, its label. The metrics are the reference system's own (`reference_impl.metrics`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from reference_impl import metrics
from reference_impl import schemas as s

SCORE = "SCORE"
DAY = s.TX_TIME_DAYS


@dataclass(frozen=True)
class WindowPerformance:
    """AP, CP@k and the residual-fraud KPI of one labelled window."""

    days: tuple[int, int]
    transactions: int
    frauds: int
    average_precision: float
    card_precision_at_k: float
    residual_fraud_count: float
    residual_fraud_amount: float
    recall_under_budget: float
    alerts_per_day: float
    frauds_by_scenario: dict[int, int]
    recall_by_scenario: dict[int, float]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def window_performance(
    log: pd.DataFrame, *, alerts_per_day: int, k: int = 100
) -> WindowPerformance:
    """Metrics of a labelled window; alerts are each day's `alerts_per_day` top scores."""
    y = log[s.TX_FRAUD].to_numpy()
    day = log[DAY].to_numpy()
    score = log[SCORE].to_numpy()
    sc = log[s.TX_FRAUD_SCENARIO].to_numpy()
    cp, _ = metrics.card_precision_top_k(day, log[s.CUSTOMER_ID].to_numpy(), y, score, k=k)
    blocked = metrics.alerts_under_budget(day, score, alerts_per_day=alerts_per_day)
    kpi = metrics.residual_fraud(y, blocked, log[s.TX_AMOUNT].to_numpy(), day)
    return WindowPerformance(
        days=(int(day.min()), int(day.max())),
        transactions=len(log),
        frauds=int(y.sum()),
        average_precision=round(metrics.average_precision(y, score), 4),
        card_precision_at_k=round(cp, 4),
        residual_fraud_count=round(kpi.by_count, 5),
        residual_fraud_amount=round(kpi.by_amount, 5),
        recall_under_budget=round(kpi.recall, 4),
        alerts_per_day=round(kpi.alerts_per_day, 2),
        frauds_by_scenario={
            int(k): int(v) for k, v in zip(*np.unique(sc[sc > 0], return_counts=True), strict=True)
        },
        recall_by_scenario={
            k: round(v, 4) for k, v in metrics.recall_per_scenario(sc, blocked).items()
        },
    )


def scale_budget(alerts_per_day_full: int, transactions_per_day: float) -> int:
    """The full preset's alert budget (~9,800 tx/day) scaled to a smaller stream's volume."""
    return max(1, int(np.round(alerts_per_day_full * transactions_per_day / 9_800)))
