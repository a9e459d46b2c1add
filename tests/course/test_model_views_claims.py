"""The lessons that draw `course/_data/model_views_small.json` describe it in words; still true?

Lessons 4.3 (and the others that chart the reference model's test week) insert every number with
a placeholder, but the sentences around them ("the amount comes first", "more than the three
added up", "no better than the model without the leak") are claims. When `make numbers` moves a
figure far enough to make one false, this fails and names it.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIG = json.loads((ROOT / "course" / "_data" / "model_views_small.json").read_text())["figures"]
RISK = [f"TERMINAL_ID_RISK_{n}DAY_WINDOW" for n in (1, 7, 30)]


def test_importance_reads_as_lesson_4_3_says() -> None:
    """Amount first, terminal risk and customer spending next, weekend/night within noise?"""
    imp = FIG["importance"]
    assert imp["rank"]["TX_AMOUNT"] == 1
    assert {imp["rank"]["terminal_risk"], imp["rank"]["customer_avg_amount"]} == {2, 3}
    for flag in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT"):
        assert abs(imp[flag]["mean"]) < 0.01, flag  # "within the noise: the model does not use"
    # The chart's bar order is the ranking among the entries it shows.
    shown = [
        "TX_AMOUNT",
        "terminal_risk",
        "customer_avg_amount",
        "TERMINAL_ID_RISK_7DAY_WINDOW",
        "CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW",
    ]
    assert [imp[k]["mean"] for k in shown] == sorted((imp[k]["mean"] for k in shown), reverse=True)


def test_a_correlated_group_outweighs_its_members_added_up() -> None:
    imp = FIG["importance"]
    assert imp["terminal_risk"]["mean"] > sum(imp[c]["mean"] for c in RISK)


def test_the_leak_looks_important_and_gains_nothing_in_serving() -> None:
    """Offline AP inflated, ranked among the top features, served AP no better than honest?"""
    leak = FIG["leak"]
    assert leak["ap_offline"] > FIG["ap"] + 0.05
    assert leak["rank"] <= 4  # "important, but not alarming"
    assert leak["rank"] > 1 or leak["importance"] < 2 * leak["top_importance"]
    assert leak["ap_served"] <= FIG["ap"] + 0.01


def test_partial_dependence_reads_as_lesson_4_3_says() -> None:
    """The amount PDP jumps across 220; the 7-day risk PDP barely moves below 0.20?"""
    amount, risk = FIG["pdp"]["amount"], FIG["pdp"]["risk7"]
    steps = [amount[f"a{v + 20}"] - amount[f"a{v}"] for v in range(0, 400, 20)]
    assert max(steps) == amount["a220"] - amount["a200"] or max(steps) == (
        amount["a240"] - amount["a220"]
    )  # the steepest step is next to the S1 rule
    assert amount["a240"] > 1.5 * amount["a200"]
    assert FIG["pdp"]["amount_share_below"]["a220"] > 0.9  # "few real payments" above 220
    assert risk["r15"] < 2 * risk["r00"] and risk["r50"] < 0.2
    assert FIG["pdp"]["risk7_share_below"]["r00"] > 0.9  # most payments: a share of exactly 0


def test_reliability_reads_as_lesson_4_3_says() -> None:
    """Nine bins near zero, the decisions in the top bin, the lowest bin off by a large factor?"""
    rel = FIG["reliability"]
    assert all(
        rel[f"b{i}"]["predicted"] < 0.01 and rel[f"b{i}"]["observed"] < 0.01 for i in range(9)
    )
    assert rel["b9"]["predicted"] > 0.02 and rel["b9"]["observed"] > 0.02
    assert rel["b0"]["observed"] > 10 * rel["b0"]["predicted"]


def _set(name: str) -> dict:
    return json.loads((ROOT / "course" / "_data" / f"{name}.json").read_text())["figures"]


def test_module_0_charts_read_as_the_text_says() -> None:
    """0.1: stable weeks, then a drop from day 70; 0.2: the terminal features carry most skill?"""
    weekly = _set("drift_timeline_small")["spending_inflation"]["weekly"]
    before = [weekly[f"w{d}"]["ap"] for d in (42, 49, 56, 63)]
    assert min(before) > weekly["w70"]["ap"] + 0.1
    ablation = FIG["ablation"]
    assert ablation["raw_only"] < ablation["no_terminal"] < ablation["all"] - 0.2


def test_module_1_charts_read_as_the_text_says() -> None:
    """Rule and amount ranking above random, far below the model; the KPI curve flattens?"""
    base = FIG["baselines"]
    assert base["random"] * 10 < base["rule_220"] < base["amount"] < FIG["ap"] / 2
    kpi = FIG["kpi"]
    first = kpi["k5"]["by_count"] - kpi["k20"]["by_count"]
    tail = kpi["k100"]["by_count"] - kpi["k200"]["by_count"]
    assert first > 5 * tail
    ppv = [FIG["screening"][k] for k in sorted(FIG["screening"])]
    assert ppv == sorted(ppv) and ppv[0] < 0.1 < 0.4 < ppv[-1]


def test_module_2_charts_read_as_the_text_says() -> None:
    """Shorter delay, higher AP; S1 above 220; flat below 150; night ~ day; boosting memorizes?"""
    delay = FIG["delay"]
    assert delay["d1"] > delay["d7"] + 0.1 > delay["d14"] + 0.1
    eda = FIG["eda"]
    assert eda["amount_band"]["from220"] == eda["amount_band"]["from300"] == 1.0
    low = [eda["amount_band"][k] for k in ("from0", "from50", "from100")]
    assert max(low) < 2 * min(low)
    assert abs(eda["night"] - eda["day"]) < 0.2 * eda["day"]
    full = _set("models_full")
    train = {f: full[f]["train_ap"] for f in ("logreg", "random_forest", "hist_gb")}
    assert max(train, key=train.get) == "hist_gb"
    assert (
        max(("logreg", "random_forest", "hist_gb"), key=lambda f: full[f]["ap"]) == "random_forest"
    )


def test_module_3_charts_read_as_the_text_says() -> None:
    """Cents: near-random ranking, scores jump; counts carry nothing; rebalancing keeps AP only?"""
    c = FIG["contract"]
    assert (
        c["ap_cents"] < 3 * FIG["test"]["base_rate"]
        and c["mean_score_cents"] > 10 * c["mean_score"]
    )
    assert c["top50_precision_cents"] < c["top50_precision"] / 10
    for group in ("customer_nb_tx", "terminal_nb_tx"):
        assert abs(FIG["importance"][group]["mean"]) < 0.01, group
    r = FIG["rebalanced"]
    assert abs(r["ap"] - FIG["ap"]) < 0.02 and r["mean_score"] > 2 * r["base_rate"]


def test_module_4_and_5_charts_read_as_the_text_says() -> None:
    """PR cliff; weeks move families together; seeds keep the ranking; short compromises stay?"""
    assert FIG["pr"]["r060"] > 0.5 and FIG["pr"]["r080"] < 0.1
    families = ("logreg", "random_forest", "hist_gb")
    for name in ("models_full", "models_full_seed1"):  # "the ranking holds on both seeds"
        full = _set(name)
        assert full["logreg"]["ap"] < full["hist_gb"]["ap"] < full["random_forest"]["ap"], name
    folds = _set("models_full")
    worst = {min(folds[f]["ap_fold"], key=folds[f]["ap_fold"].get) for f in families}
    assert len(worst) == 1  # the same hard week for all three
    drift = _set("drift_small")
    assert drift["fast_compromises"]["challenger_ap"] < 0.5 * drift["none"]["ap_current"]
    assert (
        drift["spending_inflation"]["challenger_ap"]
        > drift["spending_inflation"]["ap_current"] + 0.1
    )
