"""reference_impl.governance: risk table, subgroup rates, grouped Shapley values, feedback."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from reference_impl.errors import InvalidInputError
from reference_impl.governance import feedback, local, risk, slices


def _mode(name: str, s: int, lk: int, cost: float = 0.0, rate: float = 0.0) -> risk.FailureMode:
    return risk.FailureMode(name, "someone", s, lk, "a fix", 1, 1, cost, rate)


def test_risk_table_ranks_by_risk_then_by_expected_cost() -> None:
    """Is the highest severity x likelihood first, and do ties go to the costlier mode?"""
    table = risk.risk_table(
        [_mode("rare", 5, 1), _mode("cheap", 3, 4, 10, 5), _mode("dear", 4, 3, 10, 50)]
    )
    assert table["failure_mode"].tolist() == ["dear", "cheap", "rare"]
    assert table["risk"].tolist() == [12, 12, 5]
    assert table["expected_cost"].tolist() == [500.0, 50.0, 0.0]
    assert table["residual_risk"].tolist() == [1, 1, 1]


def test_risk_table_refuses_a_rating_off_the_scale() -> None:
    """Does a severity of 6 fail with a message naming the mode and the field?"""
    with pytest.raises(InvalidInputError, match="'bad': severity must be an integer from 1 to 5"):
        risk.risk_table([_mode("bad", 6, 1)])
    with pytest.raises(InvalidInputError, match="no failure modes"):
        risk.risk_table([])


def test_rate_interval_is_wider_when_hits_cluster() -> None:
    """Do ten hits on one card give a wider interval than ten hits on ten cards?"""
    hit = np.r_[np.ones(10, bool), np.zeros(190, bool)]
    spread = slices.rate_with_interval(hit, np.arange(200), n_boot=400)
    one_card = slices.rate_with_interval(hit, np.r_[np.zeros(10), np.arange(1, 191)], n_boot=400)
    assert spread.rate == one_card.rate == 0.05
    assert spread.lo < 0.05 < spread.hi
    assert one_card.hi - one_card.lo > 1.5 * (spread.hi - spread.lo)
    assert (one_card.hits, one_card.n, one_card.clusters) == (10, 200, 191)


def test_slice_table_has_one_row_per_group_and_the_total() -> None:
    """Does each group get the share of hits among the chosen rows only?"""
    frame = pd.DataFrame(
        {
            "band": ["a", "a", "a", "b", "b", "b"],
            "declined": [1, 0, 0, 1, 1, 0],
            "legit": [1, 1, 0, 1, 1, 1],
            "card": [1, 2, 3, 4, 5, 6],
        }
    )
    table = slices.slice_table(frame, group="band", hit="declined", among="legit", cluster="card")
    assert table.index.tolist() == ["a", "b", "all"]
    assert table["rate"].tolist() == pytest.approx([0.5, 2 / 3, 0.6])
    assert table["n"].tolist() == [2, 3, 5]
    with pytest.raises(InvalidInputError, match="no column 'tone'"):
        slices.slice_table(frame, group="tone", hit="declined", among="legit", cluster="card")


def test_floor_threshold_meets_the_floor_in_every_large_group() -> None:
    """Is recall >= floor in each group with enough positives, and the threshold the highest?"""
    rng = np.random.default_rng(0)
    group = np.repeat(["light", "dark", "rare"], [600, 400, 30])
    y = rng.random(len(group)) < 0.3
    score = rng.random(len(group)) + np.where(group == "dark", 0.0, 0.4) * y
    t = slices.floor_threshold(y, score, group, floor=0.9, min_positives=30)
    for g in ("light", "dark"):
        positives = score[(group == g) & y]
        assert (positives >= t).mean() >= 0.9
    dark = np.sort(score[(group == "dark") & y])
    assert (dark >= np.nextafter(t, 2)).mean() < 0.9  # any higher threshold misses the floor
    with pytest.raises(InvalidInputError, match="no group has 1000 positives"):
        slices.floor_threshold(y, score, group, floor=0.9, min_positives=1000)


def _brute_force_shapley(v: dict[frozenset[int], float], n: int) -> np.ndarray:
    phi = np.zeros(n)
    orders = list(permutations(range(n)))
    for order in orders:
        seen: set[int] = set()
        for i in order:
            phi[i] += v[frozenset(seen | {i})] - v[frozenset(seen)]
            seen.add(i)
    return phi / len(orders)


def test_shapley_values_match_the_average_over_orders() -> None:
    """Do the closed-form weights give each player's mean marginal contribution over orders?"""
    rng = np.random.default_rng(3)
    values = rng.normal(size=16)
    by_set = {frozenset(i for i in range(4) if m >> i & 1): values[m] for m in range(16)}
    phi = local.shapley_values(values)
    assert phi == pytest.approx(_brute_force_shapley(by_set, 4))
    assert phi.sum() == pytest.approx(values[-1] - values[0])
    with pytest.raises(InvalidInputError, match="need 2\\^n coalition values, got 6"):
        local.shapley_values(np.zeros(6))


def test_explanation_sums_to_the_score_and_ignores_unused_groups() -> None:
    """Does base + contributions equal the row's score, with 0 for a group the model never reads?"""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["a1", "a2", "b", "unused"])
    y = (X["a1"] + X["a2"] - X["b"] + rng.normal(size=400) > 0).astype(int)
    model = LogisticRegression().fit(X[["a1", "a2", "b"]], y)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(frame[["a1", "a2", "b"]])[:, 1]

    groups = {"a": ["a1", "a2"], "b": ["b"], "unused": ["unused"]}
    row = X.iloc[[7]]
    result = local.explain_row(predict, row, X.iloc[:50], groups)
    assert result.score == pytest.approx(predict(row)[0])
    assert result.base == pytest.approx(predict(X.iloc[:50]).mean())
    assert result.base + sum(result.contributions.values()) == pytest.approx(result.score)
    assert result.contributions["unused"] == pytest.approx(0.0, abs=1e-12)
    high_b = row.assign(b=3.0)  # b lowers the score: a high b must push this row's score down
    assert local.explain_row(predict, high_b, X.iloc[:50], groups).contributions["b"] < 0
    with pytest.raises(InvalidInputError, match="no column\\(s\\) \\['zz'\\]"):
        local.explain_row(predict, row, X.iloc[:50], {"z": ["zz"]})


def test_blocked_rows_lose_their_label_unless_checked() -> None:
    """Are blocked, unchecked rows unknown (NaN), and do checked blocks weigh 1/share?"""
    y = np.array([1, 0, 1, 1, 0])
    blocked = np.array([True, True, True, False, False])
    checked = np.array([True, False, False, False, False])
    observed = feedback.observed_labels(y, blocked, checked)
    assert np.array_equal(observed, [1.0, np.nan, np.nan, 1.0, 0.0], equal_nan=True)
    weights = feedback.training_weights(blocked, checked, share=0.25)
    assert weights.tolist() == [4.0, 0.0, 0.0, 1.0, 1.0]
    chosen = feedback.investigated(np.ones(10_000, bool), share=0.1, seed=0)
    assert 0.08 < chosen.mean() < 0.12
    assert not feedback.investigated(np.zeros(50, bool), share=1.0).any()


def test_model_card_section_names_missing_fields_and_shows_intervals() -> None:
    """Does the card refuse an empty required field by name, and print each interval?"""
    from reference_impl import model_card

    info = {
        **model_card.FRAUD_GOVERNANCE,
        "subgroups": [
            {
                "group": "low spender",
                "metric": "false declines",
                "rate": 0.0058,
                "lo": 0.0049,
                "hi": 0.007,
                "n": 31580,
            },
        ],
    }
    text = model_card.governance_section(info)
    assert "| low spender | false declines | 0.58 % | 0.49 – 0.70 % | 31,580 |" in text
    for heading in ("Intended use", "Out-of-scope use", "Limitations", "Human oversight"):
        assert f"## {heading}\n" in text
    with pytest.raises(InvalidInputError, match="missing or empty field\\(s\\): oversight"):
        model_card.governance_section({**info, "oversight": " "[:0]})
    with pytest.raises(InvalidInputError, match="subgroups"):
        model_card.governance_section({**info, "subgroups": []})
    relaxed = model_card.governance_section({**info, "subgroups": []}, require_subgroups=False)
    assert "run the subgroup audit before release" in relaxed


def test_planted_columns_fool_impurity_importance_not_permutation(tiny_sim) -> None:  # noqa: ANN001
    """Does the random id get impurity credit but no permutation importance, and the leak both?"""
    from reference_impl.explain import permutation_importance
    from reference_impl.features import build_features
    from reference_impl.governance import planted

    frame = planted.add_planted_columns(build_features(tiny_sim.transactions))
    day = frame["TX_TIME_DAYS"]
    model = planted.fit_forest(frame[day.between(28, 41)])
    held_out = frame[day.between(42, 48)]
    result = permutation_importance(
        model, held_out[list(planted.COLUMNS)], held_out["TX_FRAUD"], n_repeats=2
    )
    impurity = dict(zip(planted.COLUMNS, model.feature_importances_, strict=True))
    assert result.ranking()[0] == "CHARGEBACK_LOGGED"
    assert max(impurity, key=impurity.__getitem__) == "CHARGEBACK_LOGGED"
    assert abs(result["RANDOM_ID"].mean) < 0.01 < impurity["RANDOM_ID"]
    assert impurity["RANDOM_ID"] > impurity["TX_DURING_WEEKEND"]


def test_audit_rows_band_cards_by_their_usual_amount() -> None:
    """Are cards banded by their median 30-day average, with rates among legit and fraud rows?"""
    from reference_impl.governance import fraud

    frame = pd.DataFrame(
        {
            "CUSTOMER_ID": [1, 1, 2, 2, 3, 3],
            "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW": [20.0, 30.0, 50.0, 60.0, 90.0, 500.0],
            "TX_FRAUD": [0, 1, 0, 0, 0, 1],
        }
    )
    assert list(fraud.card_bands(frame)) == [
        "low spender",
        "low spender",
        "middle spender",
        "middle spender",
        "high spender",
        "high spender",
    ]
    rows = fraud.audit_rows(frame, np.array([1, 1, 0, 1, 0, 0], bool), n_boot=50)
    by = {(r["metric"], r["group"]): r for r in rows}
    assert by[("false-alert rate", "low spender")]["rate"] == 1.0
    assert by[("false-alert rate", "middle spender")]["rate"] == 0.5
    assert by[("false-alert rate", "all")]["n"] == 4
    assert by[("recall", "all")]["rate"] == 0.5 and by[("recall", "high spender")]["rate"] == 0.0


def test_three_way_declines_refers_and_approves_by_daily_rank() -> None:
    """Does each day decline its top k, refer the next m and approve the rest?"""
    day = np.array([1, 1, 1, 1, 2, 2, 2])
    score = np.array([0.1, 0.9, 0.5, 0.7, 0.2, 0.3, 0.8])
    got = feedback.three_way(day, score, decline_per_day=1, review_per_day=2)
    assert got.tolist() == [
        feedback.APPROVE,
        feedback.DECLINE,
        feedback.REVIEW,
        feedback.REVIEW,
        feedback.REVIEW,
        feedback.REVIEW,
        feedback.DECLINE,
    ]
    with pytest.raises(InvalidInputError, match="budgets cannot be negative"):
        feedback.three_way(day, score, decline_per_day=-1, review_per_day=0)
    from reference_impl import metrics

    rng = np.random.default_rng(0)
    days, scores = rng.integers(0, 5, 500), rng.random(500).round(2)  # ties included
    declined = feedback.three_way(days, scores, decline_per_day=7, review_per_day=0)
    expected = metrics.alerts_under_budget(days, scores, alerts_per_day=7)
    assert np.array_equal(declined == feedback.DECLINE, expected)
