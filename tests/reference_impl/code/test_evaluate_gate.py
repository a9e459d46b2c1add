"""The gate logic of reference_impl.evaluate, on hand-made KPI values."""

from __future__ import annotations

from reference_impl import evaluate, metrics
from reference_impl.params import EvaluateParams


def test_gate_reasons_name_each_failed_check() -> None:
    """Is each failed check listed once, and does a NaN AP fail rather than pass?"""
    residual = metrics.ResidualFraud(
        by_count=0.004, by_amount=0.009, approved=1000, blocked=50, recall=0.5, alerts_per_day=50
    )
    gate = evaluate.check_gate(
        prequential_ap=float("nan"), residual=residual, params=EvaluateParams()
    )
    assert not gate.passed
    assert len(gate.reasons) == 2
    assert gate.reasons[1].startswith("residual fraud by amount 0.90 %")
    ok = metrics.ResidualFraud(0.004, 0.004, 1000, 50, 0.5, 50)
    assert evaluate.check_gate(prequential_ap=0.6, residual=ok, params=EvaluateParams()).passed
