"""Module 7's text describes the drill's figures; do the committed figures still say so?

Lessons 7.2-7.4 insert every number from `course/_data/drift_small.json` and
`drift_timeline_small.json`, but the words around them ("crosses the warning level within a
week", "a fraction of what it was", "within its error bars") are claims. When `make numbers`
moves a figure far enough to make a sentence false, this fails and names it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "course" / "_data"
CHECK_DAY = 111  # the drill's monitor run (reference_impl.monitor.timeline.DRILL.today)


def _figures(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())["figures"]


def _first_day_at(daily: dict, key: str, level: float) -> int | None:
    days = sorted(int(k[1:]) for k in daily)
    return next((d for d in days if daily[f"d{d}"][key] >= level), None)


def _z(a: dict, b: dict) -> float:
    return (a["ap"] - b["ap"]) / math.hypot(a["ap_se"], b["ap_se"])


def test_drift_over_time_reads_as_lesson_7_2_says() -> None:
    """Inflation warns within a week and stays moderate; volume alarms; compromises stay flat?"""
    t = _figures("drift_timeline_small")
    warning, alarm = t["thresholds"]["psi_warning"], t["thresholds"]["psi_alarm"]
    spend = t["spending_inflation"]["daily"]
    first = _first_day_at(spend, "amount_psi", warning)
    assert first is not None and first <= 77, first  # "builds up over a week"
    later = [spend[f"d{d}"]["amount_psi"] for d in range(first + 7, 105)]
    assert all(warning <= v < alarm + 0.05 for v in later), later  # "top of the moderate band"
    volume = t["volume_growth"]["daily"]
    crossed = _first_day_at(volume, "max_feature_psi", alarm)
    assert crossed is not None and crossed <= 77  # "crosses the alarm level within a week"
    assert volume["d104"]["max_feature_psi"] > volume["d80"]["max_feature_psi"]  # "keeps climbing"
    fast = t["fast_compromises"]["daily"]
    assert max(row["max_feature_psi"] for row in fast.values()) < warning  # "stays flat"
    # lesson 7.4: "the drift alert came about five weeks before the verdict"
    assert 4 * 7 <= CHECK_DAY - first <= 6 * 7


def test_weekly_ap_reads_as_lesson_7_3_says() -> None:
    """Compromises: within noise after one week, a fraction four weeks on; volume: within noise."""
    t = _figures("drift_timeline_small")
    fast = t["fast_compromises"]["weekly"]
    before = fast["w63"]
    assert abs(_z(before, fast["w70"])) < 2  # "one week after the change ... within the noise"
    assert fast["w98"]["ap"] < before["ap"] / 3  # "a fraction of what it was"
    volume = t["volume_growth"]["weekly"]
    assert all(abs(_z(volume["w42"], week)) < 2 for week in volume.values())  # "wanders inside"


def test_decision_lesson_claims_hold() -> None:
    """Lesson 7.3/7.4: which drops exceed two standard errors, and what the stealthy one shows."""
    d = _figures("drift_small")
    for incident in ("none", "volume_growth"):
        assert d[incident]["ap_drop_z"] < 2, incident
    for incident in ("spending_inflation", "card_testing", "fast_compromises"):
        assert d[incident]["ap_drop_z"] > 2, incident
    # "the borderline case ... the recall of the one scenario it changes fell by more"
    stealth = d["stealth_takeover"]
    assert stealth["recall_drop_z"] > stealth["ap_drop_z"] and stealth["recall_drop_z"] > 2
    # incident review: "a paired gain ... beyond its error bar: retrain"
    spend = d["spending_inflation"]
    assert spend["challenger_gain"] > max(0.10, 2 * spend["challenger_gain_se"])
    # "without an incident it gains" nothing beyond noise
    assert abs(d["none"]["challenger_gain"]) < 2 * d["none"]["challenger_gain_se"]
