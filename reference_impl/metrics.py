"""Fraud-detection metrics as pure functions of arrays (handbook chapter 4, spec §1.4 and §4.3).

Threshold-free: AUC ROC, average precision, precision top-k per day, card precision top-k.
Threshold-based: the confusion-matrix family, per-scenario recall, the business KPI (residual
fraud among *approved* transactions, by count and by amount), alerting under a daily budget.
Calibration: Brier score and reliability-curve data. Nothing here knows about files or models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

ArrayLike = npt.ArrayLike


def _arr(values: ArrayLike, dtype: type | None = None) -> np.ndarray:
    out = np.asarray(values, dtype=dtype)
    if out.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {out.shape}")
    return out


def _same_length(*arrays: np.ndarray) -> None:
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"arrays have different lengths: {sorted(lengths)}")


def auc_roc(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the ROC curve (0.5 = random); NaN when only one class is present."""
    y = _arr(y_true)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, _arr(score, float)))


def average_precision(y_true: ArrayLike, score: ArrayLike) -> float:
    """Area under the precision-recall curve (random = the fraud rate); NaN without a fraud."""
    y = _arr(y_true)
    if not y.any():
        return float("nan")
    return float(average_precision_score(y, _arr(score, float)))


def precision_top_k_per_day(
    day: ArrayLike, y_true: ArrayLike, score: ArrayLike, k: int = 100
) -> tuple[float, list[float]]:
    """P@k(d): share of frauds among the k highest-scored transactions of each day.

    Returns the mean over days and the per-day values (days in increasing order).
    """
    days, y, s = _arr(day), _arr(y_true, float), _arr(score, float)
    _same_length(days, y, s)
    per_day = []
    for d in np.unique(days):
        mask = days == d
        top = np.argsort(-s[mask], kind="stable")[:k]
        per_day.append(float(y[mask][top].sum() / k))
    return (float(np.mean(per_day)) if per_day else float("nan")), per_day


def card_precision_top_k(
    day: ArrayLike,
    card: ArrayLike,
    y_true: ArrayLike,
    score: ArrayLike,
    k: int = 100,
    *,
    remove_detected: bool = True,
) -> tuple[float, list[float]]:
    """CP@k: per day, the share of compromised cards among the k most suspicious cards.

    Each day, transactions are grouped by card (max score, max label); the k cards with the
    highest score are the alerts; precision = compromised cards among them / k. Cards detected
    (alerted and compromised) on an earlier day are removed from later days, because an
    investigator has already blocked them. Returns the mean over days and the per-day values.
    """
    days, cards = _arr(day), _arr(card)
    y, s = _arr(y_true, float), _arr(score, float)
    _same_length(days, cards, y, s)
    frame = pd.DataFrame({"day": days, "card": cards, "y": y, "s": s})
    detected: set = set()
    per_day: list[float] = []
    for _, today in frame.groupby("day", sort=True):
        if remove_detected and detected:
            today = today[~today["card"].isin(detected)]
        by_card = today.groupby("card", sort=True)[["s", "y"]].max()
        # Stable sort on the card id breaks ties deterministically.
        top = by_card.sort_values("s", ascending=False, kind="stable").head(k)
        hits = top.index[top["y"].to_numpy() > 0]
        per_day.append(len(hits) / k)
        detected.update(hits.tolist())
    return (float(np.mean(per_day)) if per_day else float("nan")), per_day


@dataclass(frozen=True)
class ThresholdMetrics:
    """Confusion counts and the rates derived from them (handbook §4.1 names)."""

    tp: int
    fp: int
    tn: int
    fn: int
    mme: float  # mean misclassification error
    tpr: float  # recall
    tnr: float
    fpr: float
    fnr: float
    ber: float  # balanced error rate
    g_mean: float
    precision: float
    npv: float
    fdr: float
    for_: float  # false omission rate = residual fraud among approved, by count
    f1: float

    def to_dict(self) -> dict[str, float]:
        """Plain dict for JSON and MLflow (`for_` is written `for`)."""
        out = asdict(self)
        out["for"] = out.pop("for_")
        return out


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def threshold_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> ThresholdMetrics:
    """Confusion-matrix metrics of hard decisions (1 = alert/block)."""
    y, p = _arr(y_true).astype(bool), _arr(y_pred).astype(bool)
    _same_length(y, p)
    tp, fp = int((y & p).sum()), int((~y & p).sum())
    tn, fn = int((~y & ~p).sum()), int((y & ~p).sum())
    tpr, tnr = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    fpr, fnr = _ratio(fp, fp + tn), _ratio(fn, fn + tp)
    precision = _ratio(tp, tp + fp)
    return ThresholdMetrics(
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        mme=_ratio(fp + fn, len(y)),
        tpr=tpr,
        tnr=tnr,
        fpr=fpr,
        fnr=fnr,
        ber=0.5 * (fpr + fnr),
        g_mean=float(np.sqrt(tpr * tnr)),
        precision=precision,
        npv=_ratio(tn, tn + fn),
        fdr=_ratio(fp, fp + tp),
        for_=_ratio(fn, fn + tn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
    )


def weighted_loss(y_true: ArrayLike, y_pred: ArrayLike, *, c_fn: float, c_fp: float) -> float:
    """Cost-matrix loss WL = (FN·c01 + FP·c10) / N (handbook §4.1)."""
    m = threshold_metrics(y_true, y_pred)
    n = m.tp + m.fp + m.tn + m.fn
    return _ratio(m.fn * c_fn + m.fp * c_fp, n)


def recall_per_scenario(
    scenario: ArrayLike, y_pred: ArrayLike, scenarios: dict[int, str] | None = None
) -> dict[int, float]:
    """Share of each fraud scenario's transactions that were alerted (scenario 0 = legit).

    Scenarios listed in `scenarios` but absent from the data get NaN, so a report always has the
    same keys.
    """
    sc, p = _arr(scenario).astype(int), _arr(y_pred).astype(bool)
    _same_length(sc, p)
    keys = sorted(set(np.unique(sc[sc > 0]).tolist()) | set(scenarios or {}) - {0})
    return {k: _ratio(int((p & (sc == k)).sum()), int((sc == k).sum())) for k in keys}


@dataclass(frozen=True)
class ResidualFraud:
    """The business KPI: fraud left among the transactions the system approved."""

    by_count: float  # frauds approved / transactions approved
    by_amount: float  # fraud amount approved / amount approved
    approved: int
    blocked: int
    recall: float
    alerts_per_day: float

    def meets(self, limit: float) -> bool:
        """Whether both the count and the amount version are at or below `limit`."""
        return bool(self.by_count <= limit and self.by_amount <= limit)

    def to_dict(self) -> dict[str, float]:
        """Plain dict for JSON and MLflow."""
        return asdict(self)


def residual_fraud(
    y_true: ArrayLike, blocked: ArrayLike, amount: ArrayLike, day: ArrayLike | None = None
) -> ResidualFraud:
    """Residual fraud rate among approved transactions, by count and by amount (spec §4.3)."""
    y, b, a = _arr(y_true).astype(bool), _arr(blocked).astype(bool), _arr(amount, float)
    _same_length(y, b, a)
    ok = ~b
    n_days = len(np.unique(_arr(day))) if day is not None else 1
    return ResidualFraud(
        by_count=_ratio(int((y & ok).sum()), int(ok.sum())),
        by_amount=_ratio(float(a[y & ok].sum()), float(a[ok].sum())),
        approved=int(ok.sum()),
        blocked=int(b.sum()),
        recall=_ratio(int((y & b).sum()), int(y.sum())),
        alerts_per_day=float(b.sum() / max(n_days, 1)),
    )


def daily_rank(day: ArrayLike, score: ArrayLike) -> np.ndarray:
    """Rank (1 = most suspicious) of each transaction within its day; ties by position."""
    days, s = _arr(day), _arr(score, float)
    _same_length(days, s)
    order = np.lexsort((np.arange(len(s)), -s, days))
    ranks = np.empty(len(s), dtype=np.int64)
    sorted_days = days[order]
    starts = np.r_[0, np.flatnonzero(sorted_days[1:] != sorted_days[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(s)]))
    ranks[order] = np.arange(len(s)) - group_start + 1
    return ranks


def alerts_under_budget(
    day: ArrayLike, score: ArrayLike, *, alerts_per_day: int, threshold: float = -np.inf
) -> np.ndarray:
    """Alert iff score ≥ threshold and the transaction is within its day's top `alerts_per_day`.

    The budget is the investigators' daily capacity: beyond it, transactions are approved even
    when their score is above the threshold. With the default threshold this is pure top-k.
    """
    s = _arr(score, float)
    return (s >= threshold) & (daily_rank(day, s) <= alerts_per_day)


def budget_threshold(day: ArrayLike, score: ArrayLike, *, alerts_per_day: int) -> float:
    """Score threshold that would have raised `alerts_per_day` alerts per day on average.

    Needs scores only (no labels), so it can be set on recent, not-yet-labelled traffic.
    """
    days, s = _arr(day), _arr(score, float)
    n_alerts = alerts_per_day * len(np.unique(days))
    if n_alerts <= 0 or len(s) == 0:
        return float("inf")
    if n_alerts >= len(s):
        return float(s.min())
    return float(np.sort(s)[::-1][n_alerts - 1])


def cost_threshold(*, c_fp: float, c_fn: float) -> float:
    """Bayes-optimal threshold on a calibrated probability: block iff p > c_FP/(c_FP + c_FN)."""
    if c_fp < 0 or c_fn <= 0:
        raise ValueError("costs must be c_fp >= 0 and c_fn > 0")
    return c_fp / (c_fp + c_fn)


def kpi_curve(
    day: ArrayLike,
    y_true: ArrayLike,
    score: ArrayLike,
    amount: ArrayLike,
    budgets: list[int],
) -> pd.DataFrame:
    """Residual fraud (count, amount) and recall when alerting the top-k per day, for each k."""
    rows = []
    for k in budgets:
        blocked = alerts_under_budget(day, score, alerts_per_day=k)
        rows.append({"alerts_per_day": k, **residual_fraud(y_true, blocked, amount, day).to_dict()})
    return pd.DataFrame(rows)


def brier(y_true: ArrayLike, proba: ArrayLike) -> float:
    """Brier score: mean squared error of the predicted fraud probability (lower is better)."""
    return float(brier_score_loss(_arr(y_true), _arr(proba, float)))


@dataclass(frozen=True)
class Reliability:
    """Reliability-curve data: per bin, the mean prediction, the observed fraud rate, the size."""

    mean_predicted: np.ndarray
    fraction_positive: np.ndarray
    count: np.ndarray


def reliability(
    y_true: ArrayLike, proba: ArrayLike, *, n_bins: int = 10, strategy: str = "quantile"
) -> Reliability:
    """Bin predictions (equal-count `quantile` bins, or `uniform` on [0, 1]); drop empty bins.

    Quantile bins suit fraud: with a 0.7 % base rate almost every prediction sits in the first
    uniform bin.
    """
    y, p = _arr(y_true, float), _arr(proba, float)
    _same_length(y, p)
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise ValueError(f"unknown strategy {strategy!r}: use 'quantile' or 'uniform'")
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, len(edges) - 2)
    count = np.bincount(idx, minlength=len(edges) - 1)
    keep = count > 0
    sum_p = np.bincount(idx, weights=p, minlength=len(edges) - 1)
    sum_y = np.bincount(idx, weights=y, minlength=len(edges) - 1)
    return Reliability(
        mean_predicted=sum_p[keep] / count[keep],
        fraction_positive=sum_y[keep] / count[keep],
        count=count[keep],
    )
