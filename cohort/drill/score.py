"""Score a drill: availability, latency percentiles, the KPI on delayed labels, the monitor.

Weights of the drill score (0-1), in one place:

* availability (0.4): well-formed rows answered 2xx with a score; a 4xx to a malformed row is
  right, a 5xx, a timeout, a refused connection or a row never sent is not;
* latency (0.2): `min(1, budget / p99)` over the answered requests;
* KPI (0.2): share of the windows without concept drift in which the served scores beat the
  no-model baseline on delayed labels (cost per case at the alert budget; MAE for a regression);
* monitor (0.2): half for staying quiet on the baseline window, half for raising the incident on
  the data-drift window itself ("in time"), not a window later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from cohort.drill.replay import Answer
from cohort.drill.traffic import Window

WEIGHTS = {"availability": 0.4, "latency": 0.2, "kpi": 0.2, "monitor": 0.2}


@dataclass(frozen=True)
class Costs:
    """How the KPI is computed from scores: the alert budget and the two error costs."""

    alert_budget: float = 0.25
    cost_missed: float = 20.0
    cost_false_alarm: float = 1.0


@dataclass(frozen=True)
class WindowResult:
    name: str
    sent: int
    valid: int
    answered: int  # valid rows answered 2xx with a score
    rejected_bad: int  # malformed rows answered 4xx
    failed: int  # valid rows: 5xx, timeout, refused, never sent
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    kpi: float | None
    kpi_baseline: float | None
    monitor_raised: bool | None  # None: no monitor or it could not run
    notes: list[str] = field(default_factory=list)


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)) * 1000, 2) if values else None


def kpi(scores: np.ndarray, labels: np.ndarray, costs: Costs) -> tuple[float, float]:
    """(model, no-model baseline): cost per case at the alert budget, or MAE for a regression."""
    binary = set(np.unique(labels)) <= {0, 1}
    if not binary:
        return float(np.abs(scores - labels).mean()), float(
            np.abs(np.median(labels) - labels).mean()
        )
    flagged = np.zeros(len(scores), dtype=bool)
    n_alerts = int(round(costs.alert_budget * len(scores)))
    flagged[np.argsort(-scores, kind="stable")[:n_alerts]] = True
    truth = labels == 1

    def cost(flags: np.ndarray) -> float:
        missed, alarms = (truth & ~flags).sum(), (~truth & flags).sum()
        return float(missed * costs.cost_missed + alarms * costs.cost_false_alarm) / len(truth)

    return cost(flagged), cost(np.zeros(len(scores), dtype=bool))


def score_window(
    window: Window, answers: list[Answer], costs: Costs, monitor_raised: bool | None
) -> WindowResult:
    valid = [a for a in answers if not a.bad]
    ok = [a for a in valid if a.ok]
    latencies = [a.latency_s for a in answers if a.status]
    model = base = None
    if len(ok) >= 10:
        scores = np.array([a.score for a in ok], dtype=float)
        labels = np.asarray(window.labels)[[a.row for a in ok]].astype(float)
        model, base = (round(v, 4) for v in kpi(scores, labels, costs))
    return WindowResult(
        name=window.name,
        sent=sum(1 for a in answers if a.status),
        valid=len(valid),
        answered=len(ok),
        rejected_bad=sum(1 for a in answers if a.bad and 400 <= a.status < 500),
        failed=len(valid) - len(ok),
        p50_ms=_percentile(latencies, 50),
        p95_ms=_percentile(latencies, 95),
        p99_ms=_percentile(latencies, 99),
        kpi=model,
        kpi_baseline=base,
        monitor_raised=monitor_raised,
        notes=list(window.notes),
    )


@dataclass(frozen=True)
class DrillScore:
    availability: float
    latency: float
    kpi: float
    monitor: float
    p99_ms: float | None

    @property
    def total(self) -> float:
        parts = {k: getattr(self, k) for k in WEIGHTS}
        return round(sum(WEIGHTS[k] * v for k, v in parts.items()), 4)

    def to_dict(self) -> dict[str, object]:
        return asdict(self) | {"total": self.total, "weights": WEIGHTS}


def score_drill(
    windows: list[WindowResult], answers: list[Answer], *, latency_budget_ms: float
) -> DrillScore:
    valid = [a for a in answers if not a.bad]
    availability = sum(a.ok for a in valid) / len(valid) if valid else 0.0
    p99 = _percentile([a.latency_s for a in answers if a.ok], 99)
    latency = min(1.0, latency_budget_ms / p99) if p99 else 0.0
    judged = [w for w in windows if w.name != "concept drift"]
    beaten = [
        w.kpi is not None and w.kpi_baseline is not None and w.kpi < w.kpi_baseline for w in judged
    ]
    kpi_share = sum(beaten) / len(judged) if judged else 0.0
    by_name = {w.name: w for w in windows}
    quiet = by_name["baseline"].monitor_raised is False
    raised = by_name["data drift"].monitor_raised is True
    return DrillScore(
        availability=round(availability, 4),
        latency=round(latency, 4),
        kpi=round(kpi_share, 4),
        monitor=0.5 * quiet + 0.5 * raised,
        p99_ms=p99,
    )
