"""The monitor job: reference window vs current window of a scored log → report and decision.

Labels are used only where they would have arrived: a day's labels are known `label_delay_days`
later, so the performance verdict is on the latest fully labelled window, while input drift is
measured on the newest traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reference_impl import schemas as s
from reference_impl.errors import InvalidInputError
from reference_impl.monitor.decide import Decision, Thresholds, decide
from reference_impl.monitor.drift import (
    ColumnDrift,
    bin_edges,
    column_drift,
    psi_from_shares,
    shares,
    shares_of_bins,
)
from reference_impl.monitor.performance import (
    DAY,
    SCORE,
    ChallengerComparison,
    WindowPerformance,
    compare_challenger,
    scale_budget,
    window_performance,
)
from reference_impl.params import EvaluateParams

DRIFT_COLUMNS = [*s.FEATURE_COLUMNS, SCORE]


@dataclass(frozen=True)
class MonitorResult:
    """Everything the monitor saw and decided; `to_dict()` is the JSON report."""

    reference_days: tuple[int, int]
    current_days: tuple[int, int]
    labelled_days: tuple[int, int] | None
    drift: list[ColumnDrift]
    reference: WindowPerformance | None
    current: WindowPerformance | None
    decision: Decision
    challenger: ChallengerComparison | None
    daily_psi: pd.DataFrame = field(repr=False)  # day x column
    weekly: pd.DataFrame = field(repr=False)  # one row per labelled week
    volume: pd.Series = field(repr=False)  # transactions per day

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_days": list(self.reference_days),
            "current_days": list(self.current_days),
            "labelled_days": list(self.labelled_days) if self.labelled_days else None,
            "decision": self.decision.to_dict(),
            "challenger": self.challenger.to_dict() if self.challenger else None,
            "drift": [d.to_dict() for d in self.drift],
            "performance": {
                "reference": self.reference.to_dict() if self.reference else None,
                "current": self.current.to_dict() if self.current else None,
            },
            "weekly": self.weekly.to_dict("records"),
        }


def _days(log: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    return log[(log[DAY] >= lo) & (log[DAY] <= hi)]


def run_monitor(
    log: pd.DataFrame,
    *,
    reference_days: tuple[int, int],
    current_days: tuple[int, int],
    today: int | None = None,
    label_delay_days: int = s.DEFAULT_DELAY_DAYS,
    thresholds: Thresholds | None = None,
    alerts_per_day_full: int = EvaluateParams().alerts_per_day,
    challenger: Callable[[pd.DataFrame], Any] | None = None,
    challenger_days: int = 14,
) -> MonitorResult:
    """Compare `current_days` with `reference_days` of a scored log (inclusive day ranges).

    Args:
        log: scored log from `replay` (day, card, amount, features, SCORE, TX_FRAUD).
        reference_days: a stable, labelled window the model is known to be good on.
        current_days: the window to check.
        today: the day the job runs; labels of days > today - delay are not used
            (default: the day after the log's last day).
        label_delay_days: days before a label is known.
        thresholds: drift and performance levels.
        alerts_per_day_full: alert budget at the full preset's volume (~9,800 tx/day); each
            window is judged at the same alert *share* of its own traffic, so volume growth
            does not pass for a recall loss (whether investigators keep up is a capacity
            question, which the volume plot answers).
        challenger: fits a fresh model on a labelled frame (features + TX_FRAUD); it is trained
            on the `challenger_days` before the current window and scored on the labelled part
            of it, to tell "the model is stale" (retrain) from "fraud got harder" (investigate).
    """
    thresholds = thresholds or Thresholds()
    today = int(log[DAY].max()) + 1 if today is None else today
    reference = _days(log, *reference_days)
    current = _days(log, *current_days)
    if reference.empty or current.empty:
        raise InvalidInputError("reference or current window holds no transaction")
    drift = column_drift(
        reference,
        current,
        DRIFT_COLUMNS,
        warning=thresholds.psi_warning,
        alarm=thresholds.psi_alarm,
    )
    last_labelled = min(current_days[1], today - label_delay_days)
    labelled = _days(log, current_days[0], last_labelled)

    def budget(frame: pd.DataFrame) -> int:
        return scale_budget(alerts_per_day_full, len(frame) / frame[DAY].nunique())

    ref_perf = window_performance(reference, alerts_per_day=budget(reference))
    cur_perf = (
        window_performance(labelled, alerts_per_day=budget(labelled)) if len(labelled) else None
    )
    comparison = None
    if challenger is not None and cur_perf is not None:
        comparison = _challenger(
            log,
            challenger,
            labelled,
            first=current_days[0] - challenger_days,
            last=min(current_days[0] - 1, today - label_delay_days),
        )
    decision = decide(drift, ref_perf, cur_perf, thresholds, challenger=comparison)
    return MonitorResult(
        reference_days=reference_days,
        current_days=current_days,
        labelled_days=(current_days[0], last_labelled) if cur_perf else None,
        drift=drift,
        reference=ref_perf,
        current=cur_perf,
        decision=decision,
        challenger=comparison,
        daily_psi=_daily_psi(log, reference, start=reference_days[1] + 1),
        weekly=_weekly(log, start=reference_days[0], last=today - label_delay_days, budget=budget),
        volume=log.groupby(DAY).size(),
    )


def _challenger(
    log: pd.DataFrame,
    fit: Callable[[pd.DataFrame], Any],
    labelled: pd.DataFrame,
    *,
    first: int,
    last: int,
) -> ChallengerComparison | None:
    train = _days(log, first, last)
    if train.empty or train[s.TX_FRAUD].sum() == 0:
        return None
    model = fit(train)
    score = np.asarray(model.predict_proba(labelled[list(s.FEATURE_COLUMNS)].to_numpy()))[:, 1]
    return compare_challenger(labelled, score)


def _daily_psi(log: pd.DataFrame, reference: pd.DataFrame, *, start: int) -> pd.DataFrame:
    """PSI of each column over the trailing 7 days, for each day from `start`.

    Seven days, not one: a single day is all weekend or all weekday, so a daily PSI of the
    weekend flag would alarm every day.
    """
    order = np.argsort(log[DAY].to_numpy(), kind="stable")
    day_of = log[DAY].to_numpy()[order]
    binned, ref_shares = {}, {}
    for c in DRIFT_COLUMNS:  # each row's bin once; a week is then a slice
        edges = bin_edges(reference[c].to_numpy(float))
        ref_shares[c] = shares(reference[c].to_numpy(float), edges)
        binned[c] = np.searchsorted(edges, log[c].to_numpy(float)[order], side="right")
    rows = {}
    for day in sorted(int(d) for d in np.unique(day_of) if d >= start):
        lo = int(np.searchsorted(day_of, day - 6, side="left"))
        hi = int(np.searchsorted(day_of, day, side="right"))
        rows[day] = {
            c: psi_from_shares(ref_shares[c], shares_of_bins(binned[c][lo:hi], len(ref_shares[c])))
            for c in DRIFT_COLUMNS
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _weekly(
    log: pd.DataFrame, *, start: int, last: int, budget: Callable[[pd.DataFrame], int]
) -> pd.DataFrame:
    rows = []
    for lo in range(start, last - 5, 7):
        week = _days(log, lo, min(lo + 6, last))
        if week[s.TX_FRAUD].sum() == 0:
            continue
        perf = window_performance(week, alerts_per_day=budget(week), replicates=0)
        rows.append(
            {
                "first_day": lo,
                "average_precision": perf.average_precision,
                "card_precision_at_k": perf.card_precision_at_k,
                "residual_fraud_count": perf.residual_fraud_count,
                "residual_fraud_amount": perf.residual_fraud_amount,
                "frauds": perf.frauds,
            }
        )
    return pd.DataFrame(rows)
