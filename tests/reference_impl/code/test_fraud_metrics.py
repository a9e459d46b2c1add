"""Metrics of reference_impl.metrics on small examples computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reference_impl import metrics


def test_auc_and_ap_on_a_hand_ranked_example() -> None:
    """Do AUC and AP match the values worked out on paper?"""
    y = [0, 1, 0, 1]
    s = [0.1, 0.4, 0.35, 0.8]
    # Pairs (pos, neg): (0.4,0.1) ok, (0.4,0.35) ok, (0.8,0.1) ok, (0.8,0.35) ok -> AUC 1.0
    assert metrics.auc_roc(y, s) == 1.0
    y2 = [1, 0, 1, 0]
    s2 = [0.9, 0.8, 0.7, 0.1]
    # Ranked: 1,0,1,0 -> precision at the two positives 1/1 and 2/3 -> AP = (1 + 2/3)/2
    assert metrics.average_precision(y2, s2) == pytest.approx((1 + 2 / 3) / 2)
    # AUC: positive 0.9 beats both negatives, 0.7 beats one of two -> 3/4
    assert metrics.auc_roc(y2, s2) == pytest.approx(0.75)


def test_auc_and_ap_are_nan_without_both_classes() -> None:
    """Is a day without fraud reported as undefined rather than as a perfect or zero score?"""
    assert math.isnan(metrics.auc_roc([0, 0], [0.1, 0.2]))
    assert math.isnan(metrics.average_precision([0, 0], [0.1, 0.2]))


def test_precision_top_k_per_day() -> None:
    """Is P@k the mean over days of the fraud share among each day's top k?"""
    day = [0, 0, 0, 1, 1, 1]
    y = [1, 0, 1, 0, 0, 1]
    s = [0.9, 0.8, 0.1, 0.7, 0.6, 0.5]
    mean, per_day = metrics.precision_top_k_per_day(day, y, s, k=2)
    assert per_day == [0.5, 0.0]  # day 0 top2 = (1, 0); day 1 top2 = (0, 0)
    assert mean == 0.25


def test_card_precision_groups_by_card_and_removes_detected_cards() -> None:
    """Does CP@k take each card's max score/label per day and skip cards caught earlier?"""
    day = [0, 0, 0, 0, 1, 1, 1]
    card = [7, 7, 8, 9, 7, 8, 9]
    y = [0, 1, 0, 0, 1, 0, 1]
    s = [0.9, 0.1, 0.5, 0.2, 0.99, 0.4, 0.3]
    # Day 0: card 7 (max s 0.9, max y 1), card 8 (0.5, 0), card 9 (0.2, 0)
    #   top-2 = 7, 8 -> 1 fraud / 2 = 0.5; card 7 detected.
    # Day 1: card 7 removed; card 8 (0.4, 0), card 9 (0.3, 1): top-2 = 8, 9 -> 1/2.
    mean, per_day = metrics.card_precision_top_k(day, card, y, s, k=2)
    assert per_day == [0.5, 0.5]
    assert mean == 0.5
    # Without removal, day 1 ranks card 7 (0.99, fraud) first: top-2 = 7, 8 -> 0.5 as well,
    # but with k=1 the difference shows: removal -> card 8 (legit) -> 0; no removal -> 7 -> 1.
    _, kept = metrics.card_precision_top_k(day, card, y, s, k=1, remove_detected=False)
    _, removed = metrics.card_precision_top_k(day, card, y, s, k=1)
    assert kept == [1.0, 1.0]
    assert removed == [1.0, 0.0]


def test_card_precision_divides_by_k_even_with_fewer_cards() -> None:
    """Is a day with fewer cards than k still divided by k (the handbook's bounded maximum)?"""
    mean, _ = metrics.card_precision_top_k([0, 0], [1, 2], [1, 1], [0.5, 0.6], k=100)
    assert mean == pytest.approx(0.02)


def test_threshold_metrics_from_a_confusion_matrix() -> None:
    """Do the confusion counts and the derived rates match a hand-made matrix?"""
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    p = [1, 1, 0, 1, 0, 0, 0, 0]
    m = metrics.threshold_metrics(y, p)
    assert (m.tp, m.fn, m.fp, m.tn) == (2, 1, 1, 4)
    assert m.tpr == pytest.approx(2 / 3)
    assert m.fpr == pytest.approx(1 / 5)
    assert m.tnr == pytest.approx(4 / 5)
    assert m.precision == pytest.approx(2 / 3)
    assert m.npv == pytest.approx(4 / 5)
    assert m.for_ == pytest.approx(1 / 5)
    assert m.mme == pytest.approx(2 / 8)
    assert m.ber == pytest.approx(0.5 * (1 / 5 + 1 / 3))
    assert m.g_mean == pytest.approx(math.sqrt(2 / 3 * 4 / 5))
    assert m.f1 == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert m.to_dict()["for"] == pytest.approx(0.2)


def test_weighted_loss() -> None:
    """Is WL = (FN·c01 + FP·c10)/N?"""
    assert metrics.weighted_loss([1, 0, 0, 1], [0, 1, 0, 1], c_fn=10, c_fp=1) == pytest.approx(
        (10 + 1) / 4
    )


def test_recall_per_scenario_keeps_absent_scenarios_as_nan() -> None:
    """Is recall computed per fraud scenario, with a listed but absent scenario as NaN?"""
    scenario = [0, 1, 1, 2, 2, 2, 3]
    alerted = [1, 1, 0, 1, 1, 0, 0]
    out = metrics.recall_per_scenario(scenario, alerted, {0: "", 1: "", 2: "", 3: "", 4: ""})
    assert out[1] == 0.5 and out[2] == pytest.approx(2 / 3) and out[3] == 0.0
    assert set(out) == {1, 2, 3, 4} and math.isnan(out[4])


def test_residual_fraud_by_count_and_by_amount() -> None:
    """Is the KPI measured among approved transactions only, by count and by amount?"""
    y = [1, 1, 0, 0, 0, 0]
    blocked = [1, 0, 1, 0, 0, 0]
    amount = [100.0, 50.0, 10.0, 20.0, 30.0, 100.0]
    day = [0, 0, 0, 1, 1, 1]
    r = metrics.residual_fraud(y, blocked, amount, day)
    # Approved: rows 1, 3, 4, 5 -> 1 fraud of 4; fraud amount 50 of 200.
    assert r.by_count == pytest.approx(0.25)
    assert r.by_amount == pytest.approx(0.25)
    assert (r.approved, r.blocked) == (4, 2)
    assert r.recall == 0.5
    assert r.alerts_per_day == 1.0
    assert not r.meets(0.005)
    assert metrics.residual_fraud([1, 0], [1, 0], [5.0, 5.0]).meets(0.005)


def test_daily_rank_and_budgeted_alerts() -> None:
    """Are alerts the top-k per day, and only those above the threshold?"""
    day = [0, 0, 0, 1, 1]
    s = [0.2, 0.9, 0.5, 0.1, 0.3]
    assert metrics.daily_rank(day, s).tolist() == [3, 1, 2, 2, 1]
    assert metrics.alerts_under_budget(day, s, alerts_per_day=1).tolist() == [
        False,
        True,
        False,
        False,
        True,
    ]
    capped = metrics.alerts_under_budget(day, s, alerts_per_day=2, threshold=0.25)
    assert capped.tolist() == [False, True, True, False, True]


def test_budget_threshold_reproduces_the_budget_on_its_own_data() -> None:
    """Does the budget threshold raise k alerts per day on average on the data it was set on?"""
    rng = np.random.default_rng(0)
    day = np.repeat(np.arange(5), 200)
    s = rng.random(1000)
    t = metrics.budget_threshold(day, s, alerts_per_day=10)
    assert (s >= t).sum() == 50


def test_cost_threshold() -> None:
    """Is the Elkan threshold c_FP/(c_FP + c_FN)?"""
    assert metrics.cost_threshold(c_fp=5, c_fn=95) == pytest.approx(0.05)
    with pytest.raises(ValueError):
        metrics.cost_threshold(c_fp=1, c_fn=0)


def test_kpi_curve_is_monotone_in_the_budget() -> None:
    """Does a bigger alert budget never raise the residual fraud by count?"""
    rng = np.random.default_rng(1)
    day = np.repeat(np.arange(3), 300)
    y = rng.random(900) < 0.05
    s = y * 0.5 + rng.random(900)
    curve = metrics.kpi_curve(day, y, s, rng.random(900) * 100, [0, 5, 20, 50])
    assert curve["by_count"].is_monotonic_decreasing
    assert curve.loc[0, "by_count"] == pytest.approx(y.mean())


def test_brier_and_reliability() -> None:
    """Do Brier and the reliability bins match a hand computation?"""
    y = [0, 0, 1, 1]
    p = [0.1, 0.3, 0.6, 0.8]
    assert metrics.brier(y, p) == pytest.approx((0.01 + 0.09 + 0.16 + 0.04) / 4)
    rel = metrics.reliability(y, p, n_bins=2, strategy="uniform")
    assert rel.count.tolist() == [2, 2]
    assert rel.mean_predicted.tolist() == pytest.approx([0.2, 0.7])
    assert rel.fraction_positive.tolist() == [0.0, 1.0]
    q = metrics.reliability(np.r_[np.zeros(90), np.ones(10)], np.linspace(0, 1, 100), n_bins=10)
    assert q.count.sum() == 100 and len(q.count) == 10


def test_mismatched_lengths_are_rejected() -> None:
    """Is a length mismatch an error rather than a silently wrong number?"""
    with pytest.raises(ValueError, match="different lengths"):
        metrics.threshold_metrics([0, 1], [1])
