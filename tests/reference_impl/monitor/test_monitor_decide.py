"""Decision rules: retrain only when retraining helps; drift alone never retrains."""

from __future__ import annotations

from reference_impl.monitor.decide import Action, Thresholds, decide
from reference_impl.monitor.drift import ColumnDrift
from reference_impl.monitor.performance import WindowPerformance

T = Thresholds()


def perf(
    ap: float, *, s3_recall: float = 0.5, kpi: float = 0.003, s4: int = 0
) -> WindowPerformance:
    frauds = {1: 40, 2: 300, 3: 150} | ({4: s4} if s4 else {})
    recall = {1: 0.9, 2: 0.6, 3: s3_recall} | ({4: 0.1} if s4 else {})
    return WindowPerformance(
        days=(0, 13),
        transactions=50_000,
        frauds=sum(frauds.values()),
        average_precision=ap,
        card_precision_at_k=0.2,
        residual_fraud_count=kpi,
        residual_fraud_amount=kpi,
        recall_under_budget=0.6,
        alerts_per_day=20,
        frauds_by_scenario=frauds,
        recall_by_scenario=recall,
    )


QUIET = [ColumnDrift("TX_AMOUNT", 0.01, 0.01, 0.01, "ok")]
LOUD = [ColumnDrift("CUSTOMER_ID_NB_TX_7DAY_WINDOW", 0.9, 0.4, 0.3, "alarm")]


def test_quiet_and_stable_means_no_action() -> None:
    """No drift and stable performance: is nothing raised?"""
    assert decide(QUIET, perf(0.70), perf(0.72), T, challenger_ap=0.72).action is Action.NO_ACTION


def test_psi_alarm_alone_is_investigated_not_retrained() -> None:
    """Volume growth: big PSI, no loss — a human looks, nothing is retrained."""
    decision = decide(LOUD, perf(0.70), perf(0.70), T, challenger_ap=0.71)
    assert decision.action is Action.INVESTIGATE
    assert "PSI alarm" in decision.reasons[0]


def test_loss_that_a_fresh_model_recovers_means_retrain() -> None:
    """Spending inflation: the stale model lost AP and a challenger gets it back."""
    decision = decide(QUIET, perf(0.70), perf(0.40), T, challenger_ap=0.72)
    assert decision.action is Action.RETRAIN


def test_loss_that_retraining_cannot_fix_is_investigated() -> None:
    """Fast compromises: AP lost, a fresh model does no better — retraining is not the fix."""
    decision = decide(QUIET, perf(0.70), perf(0.25), T, challenger_ap=0.27)
    assert decision.action is Action.INVESTIGATE
    assert "does no better" in decision.reasons[0]


def test_scenario_recall_drop_and_new_scenario_are_reported() -> None:
    """Stealthier S3 and a new S4 hide from PSI and AP; are they named?"""
    stealth = decide(QUIET, perf(0.70), perf(0.62, s3_recall=0.2), T, challenger_ap=0.63)
    assert stealth.action is Action.INVESTIGATE and "S3 recall fell" in stealth.reasons[0]
    new = decide(QUIET, perf(0.70), perf(0.68, s4=200), T, challenger_ap=0.69)
    assert new.action is Action.INVESTIGATE and "new fraud type S4" in new.reasons[0]


def test_too_few_labels_give_no_performance_verdict() -> None:
    """With a handful of labelled frauds, is the verdict withheld (and said so)?"""
    few = perf(0.1)
    few = WindowPerformance(**{**few.to_dict(), "frauds": 5})  # type: ignore[arg-type]
    decision = decide(QUIET, perf(0.7), few, T, challenger_ap=0.9)
    assert decision.action is Action.INVESTIGATE and "only 5 labelled frauds" in decision.reasons[0]
