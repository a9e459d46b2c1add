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
