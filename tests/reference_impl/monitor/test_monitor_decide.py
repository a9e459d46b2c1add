"""Decision rules: retrain only when retraining helps; drift alone never retrains; noise is not
a loss."""

from __future__ import annotations

from reference_impl.monitor.decide import Action, Thresholds, decide
from reference_impl.monitor.drift import ColumnDrift
from reference_impl.monitor.performance import ChallengerComparison, WindowPerformance

T = Thresholds()


def perf(
    ap: float,
    *,
    se: float = 0.03,
    s3_recall: float = 0.5,
    recall_se: float = 0.05,
    kpi: float = 0.003,
    kpi_se: float = 0.0005,
    s4: int = 0,
) -> WindowPerformance:
    frauds = {1: 40, 2: 300, 3: 150} | ({4: s4} if s4 else {})
    recall = {1: 0.9, 2: 0.6, 3: s3_recall} | ({4: 0.1} if s4 else {})
    return WindowPerformance(
        days=(0, 27),
        transactions=100_000,
        frauds=sum(frauds.values()),
        average_precision=ap,
        average_precision_se=se,
        card_precision_at_k=0.2,
        card_precision_se=0.01,
        residual_fraud_count=kpi,
        residual_fraud_count_se=kpi_se,
        residual_fraud_amount=kpi,
        recall_under_budget=0.6,
        alerts_per_day=20,
        frauds_by_scenario=frauds,
        recall_by_scenario=recall,
        recall_se_by_scenario={k: recall_se for k in frauds},
    )


def challenger(ap: float, current: float, se: float = 0.02) -> ChallengerComparison:
    return ChallengerComparison(average_precision=ap, gain=round(ap - current, 4), gain_se=se)


QUIET = [ColumnDrift("TX_AMOUNT", 0.01, 0.01, 0.01, "ok")]
LOUD = [ColumnDrift("CUSTOMER_ID_NB_TX_7DAY_WINDOW", 0.9, 0.4, 0.3, "alarm")]


def test_quiet_and_stable_means_no_action() -> None:
    """No drift and stable performance: is nothing raised?"""
    decision = decide(QUIET, perf(0.70), perf(0.72), T, challenger=challenger(0.72, 0.72))
    assert decision.action is Action.NO_ACTION


def test_a_drop_within_the_noise_is_not_a_loss() -> None:
    """AP 0.74 → 0.60 when each window is only known to ±0.06: is that left alone?"""
    noisy = decide(QUIET, perf(0.74, se=0.06), perf(0.60, se=0.06), T)
    assert noisy.action is Action.NO_ACTION, noisy.reasons
    sure = decide(QUIET, perf(0.74, se=0.02), perf(0.60, se=0.02), T)
    assert sure.action is Action.INVESTIGATE and "AP fell" in sure.reasons[0]


def test_psi_alarm_alone_is_investigated_not_retrained() -> None:
    """Volume growth: big PSI, no loss — a human looks, nothing is retrained."""
    decision = decide(LOUD, perf(0.70), perf(0.70), T, challenger=challenger(0.71, 0.70))
    assert decision.action is Action.INVESTIGATE
    assert "PSI alarm" in decision.reasons[0]


def test_a_better_challenger_without_a_loss_is_not_a_retrain() -> None:
    """A fresh model is better but the serving one lost nothing beyond noise: no retrain."""
    decision = decide(LOUD, perf(0.68), perf(0.59, se=0.04), T, challenger=challenger(0.70, 0.59))
    assert decision.action is Action.INVESTIGATE, decision.reasons


def test_loss_that_a_fresh_model_recovers_means_retrain() -> None:
    """Spending inflation: the stale model lost AP and a challenger gets it back."""
    decision = decide(QUIET, perf(0.70), perf(0.40), T, challenger=challenger(0.72, 0.40))
    assert decision.action is Action.RETRAIN
    assert decision.reasons[0].startswith("a retrained model scores AP 0.720")


def test_loss_that_retraining_cannot_fix_is_investigated() -> None:
    """Fast compromises: AP lost, a fresh model does no better — retraining is not the fix."""
    decision = decide(QUIET, perf(0.70), perf(0.25), T, challenger=challenger(0.27, 0.25))
    assert decision.action is Action.INVESTIGATE
    assert "does not do clearly better" in decision.reasons[-1]


def test_a_gain_that_stays_below_the_reference_is_investigated() -> None:
    """A fresh model gains 0.15 AP but is still far below normal: a feature problem, not stale."""
    decision = decide(QUIET, perf(0.70), perf(0.20), T, challenger=challenger(0.35, 0.20))
    assert decision.action is Action.INVESTIGATE
    assert "stays below the reference" in decision.reasons[-1]


def test_scenario_recall_drop_and_new_scenario_are_reported() -> None:
    """Stealthier S3 and a new S4 hide from PSI and AP; are they named?"""
    stealth = decide(
        QUIET, perf(0.70), perf(0.66, s3_recall=0.2), T, challenger=challenger(0.67, 0.66)
    )
    assert stealth.action is Action.INVESTIGATE and "S3 recall fell" in stealth.reasons[0]
    new = decide(QUIET, perf(0.70), perf(0.68, s4=200), T, challenger=challenger(0.69, 0.68))
    assert new.action is Action.INVESTIGATE and "new fraud type S4" in new.reasons[0]


def test_a_scenario_recall_drop_within_the_noise_is_not_reported() -> None:
    """S3 recall 0.5 → 0.25 when each is known to ±0.12 (few cards): is it left alone?"""
    decision = decide(QUIET, perf(0.70), perf(0.70, s3_recall=0.25, recall_se=0.12), T)
    assert decision.action is Action.NO_ACTION, decision.reasons


def test_kpi_breach_counts_only_beyond_noise() -> None:
    """Residual fraud 0.55 % ± 0.1: not a breach; 0.8 % ± 0.1: a breach."""
    near = decide(QUIET, perf(0.70), perf(0.70, kpi=0.0055, kpi_se=0.0005), T)
    assert near.action is Action.NO_ACTION, near.reasons
    over = decide(QUIET, perf(0.70), perf(0.70, kpi=0.008, kpi_se=0.0005), T)
    assert over.action is Action.INVESTIGATE and "residual fraud" in over.reasons[0]


def test_too_few_labels_give_no_performance_verdict() -> None:
    """With a handful of labelled frauds, is the verdict withheld (and said so)?"""
    few = perf(0.1)
    few = WindowPerformance(**{**few.to_dict(), "frauds": 5})  # type: ignore[arg-type]
    decision = decide(QUIET, perf(0.7), few, T, challenger=challenger(0.9, 0.1))
    assert decision.action is Action.INVESTIGATE and "only 5 labelled frauds" in decision.reasons[0]
