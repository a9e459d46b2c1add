"""Governance figures of the fraud system: costs, risks, subgroups, explanations, feedback loop.

Small preset, drill timeline (`reference_impl.monitor.timeline.DRILL`): the champion is trained on
days 30-41 and **auto-declines** the `--block` most suspicious payments of each day from day 42.
On the deployment window (days 42-69) the script records

* `operating`: per day, payments, frauds, declines, false declines, missed frauds and their
  amount; the prices of one missed fraud (its mean amount) and one false decline (`c_fp` of
  params.yaml); per year, the expected cost of each;
* `risk`: the fraud system's FMEA table (`reference_impl.governance.fraud.failure_modes`) with
  those measured costs, ranked;
* `slices`: false-decline rate (among legitimate payments) and recall (among frauds) per customer
  spending band, with 95 % card-bootstrap intervals;
* `importance`: permutation importance (AP drop, `reference_impl.explain`) of the feature groups
  and of the top single columns on days 42-48; `pdp`: partial dependence on the 7-day terminal risk;
* `local`: exact grouped Shapley values (`reference_impl.governance.local`) of two declined
  payments of day 56: the highest-scored legitimate one (a false decline) and the highest-scored
  fraud, against 200 background payments of day 55;
* `feedback`: the blocking feedback loop. A fresh model is retrained on days 56-69 with the
  labels a bank would hold: all true labels (oracle), declined payments read as legitimate (no
  chargeback ever comes), declined payments dropped, and a random `--check-share` of declines
  investigated and weighted 1/share. Each is evaluated on days 77-90 (true labels): AP with a
  card x terminal bootstrap standard error.

Run: .venv/bin/python benchmarks/governance_fraud.py [--seed 0] [--out F.json]
About 40 s on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl import metrics  # noqa: E402
from reference_impl import schemas as s  # noqa: E402
from reference_impl.explain import partial_dependence, permutation_importance  # noqa: E402
from reference_impl.features import build_features  # noqa: E402
from reference_impl.governance import feedback, fraud, local, risk, slices  # noqa: E402
from reference_impl.monitor.drill import default_fit  # noqa: E402
from reference_impl.monitor.timeline import DRILL  # noqa: E402
from reference_impl.monitor.uncertainty import (  # noqa: E402
    RankedScores,
    replicate_weights,
    standard_error,
)
from reference_impl.params import load_params  # noqa: E402
from reference_impl.simulate import config_for, simulate  # noqa: E402

OUT = ROOT / "build" / "reports" / "governance" / "governance_fraud.json"
DAY = s.TX_TIME_DAYS
FEATURES = list(s.FEATURE_COLUMNS)
DEPLOY = DRILL.reference  # (42, 69): the model declines payments
RETRAIN = (56, 69)  # two weeks of labels known by day 76
TEST = (77, 90)
FLOOR = 0.6  # recall floor in every spending band (lesson 8.2)


def _days(frame: pd.DataFrame, lo: int, hi: int) -> pd.DataFrame:
    return frame[frame[DAY].between(lo, hi)].reset_index(drop=True)


def _forest() -> RandomForestClassifier:
    """The champion's family and settings (`monitor.drill.default_fit`), taking sample weights."""
    return RandomForestClassifier(
        n_estimators=30, max_depth=12, min_samples_leaf=2, n_jobs=1, random_state=0
    )


def _score(model: Any, frame: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(frame[FEATURES].to_numpy())[:, 1]


def _ap_se(frame: pd.DataFrame, score: np.ndarray, seed: int) -> dict[str, float]:
    ranked = RankedScores(frame[s.TX_FRAUD].to_numpy(), score)
    weights = replicate_weights(frame[s.CUSTOMER_ID], frame[s.TERMINAL_ID], n=100, seed=seed)
    reps = [ranked.average_precision(w) for w in weights]
    return {"ap": round(ranked.average_precision(), 4), "ap_se": round(standard_error(reps), 4)}


def operating(window: pd.DataFrame, c_fp: float) -> dict[str, Any]:
    y, blocked = window[s.TX_FRAUD].to_numpy(bool), window["BLOCKED"].to_numpy(bool)
    n_days = window[DAY].nunique()
    missed = y & ~blocked
    out = {
        "days": n_days,
        "payments_per_day": len(window) / n_days,
        "frauds_per_day": y.sum() / n_days,
        "declined_per_day": blocked.sum() / n_days,
        "false_declines_per_day": (blocked & ~y).sum() / n_days,
        "missed_per_day": missed.sum() / n_days,
        "missed_amount_per_day": window.loc[missed, s.TX_AMOUNT].sum() / n_days,
        "missed_mean_amount": window.loc[missed, s.TX_AMOUNT].mean(),
        "recall": (y & blocked).sum() / y.sum(),
        "precision": (y & blocked).sum() / blocked.sum(),
        "false_decline_cost": c_fp,
    }
    out["missed_per_year"] = out["missed_per_day"] * 365
    out["false_declines_per_year"] = out["false_declines_per_day"] * 365
    out["missed_cost_per_year"] = out["missed_amount_per_day"] * 365
    out["false_decline_cost_per_year"] = out["false_declines_per_year"] * c_fp
    return {k: round(float(v), 4) for k, v in out.items()}


def referral(window: pd.DataFrame, *, block: int, c_fp: float) -> dict[str, Any]:
    """Half the declines become reviews: decline the top block/2, refer the next block a day."""
    y, n_days = window[s.TX_FRAUD].to_numpy(bool), window[DAY].nunique()
    out: dict[str, Any] = {"decline_per_day": block // 2, "review_per_day": block}
    plans = {
        "hard": feedback.three_way(
            window[DAY], window["SCORE"], decline_per_day=block, review_per_day=0
        ),
        "banded": feedback.three_way(
            window[DAY], window["SCORE"], decline_per_day=block // 2, review_per_day=block
        ),
    }
    for name, plan in plans.items():
        declined, reviewed = plan == feedback.DECLINE, plan == feedback.REVIEW
        stopped = (declined | reviewed) & y  # a person's review reveals the truth
        out[name] = {
            "false_declines_per_day": round((declined & ~y).sum() / n_days, 2),
            "reviews_per_day": round(reviewed.sum() / n_days, 2),
            "frauds_stopped_per_day": round(stopped.sum() / n_days, 2),
            "frauds_missed_per_day": round((y & ~stopped).sum() / n_days, 2),
            "review_cost_per_day": round(reviewed.sum() / n_days * c_fp, 2),
        }
    return out


def risk_rows(measured: dict[str, float]) -> dict[str, Any]:
    table = risk.risk_table(fraud.failure_modes(measured))
    rows = {}
    for rank, row in enumerate(table.to_dict("records"), 1):
        numbers = {k: v for k, v in row.items() if isinstance(v, int | float)}
        rows[row["key"]] = {"rank": rank, **{k: round(float(v), 2) for k, v in numbers.items()}}
    return rows


def subgroup_slices(window: pd.DataFrame) -> dict[str, Any]:
    frame = window.assign(LEGIT=window[s.TX_FRAUD] == 0, FRAUD=window[s.TX_FRAUD] == 1)
    out: dict[str, Any] = {}
    for name, among in (("false_decline", "LEGIT"), ("recall", "FRAUD")):
        table = slices.slice_table(
            frame, group="BAND", hit="BLOCKED", among=among, cluster=s.CUSTOMER_ID, seed=1
        )
        out[name] = {
            key.split()[0]: {k: round(float(v), 5) for k, v in row.items()}
            for key, row in table.to_dict("index").items()
        }
    fd = out["false_decline"]
    out["false_decline_ratio_high_low"] = round(fd["high"]["rate"] / fd["low"]["rate"], 3)
    out["floor"] = floor_cost(frame, floor=FLOOR)
    return out


def floor_cost(frame: pd.DataFrame, *, floor: float) -> dict[str, Any]:
    """A recall floor in every spending band (>= 30 frauds): its threshold and what it declines."""
    y, score = frame[s.TX_FRAUD].to_numpy(bool), frame["SCORE"].to_numpy()
    t = slices.floor_threshold(y, score, frame["BAND"].to_numpy(), floor=floor, min_positives=30)
    flagged, n_days = score >= t, frame[DAY].nunique()
    out: dict[str, Any] = {
        "floor": floor,
        "threshold": round(t, 5),
        "declined_per_day": round(flagged.sum() / n_days, 2),
        "false_declines_per_day": round((flagged & ~y).sum() / n_days, 2),
        "recall": round((flagged & y).sum() / y.sum(), 4),
    }
    for band in fraud.SPENDING_BANDS:
        in_band = (frame["BAND"] == band).to_numpy() & y
        out[band.split()[0]] = round((flagged & in_band).sum() / in_band.sum(), 4)
    return out


def importances(model: Any, week: pd.DataFrame) -> dict[str, Any]:
    X = week[FEATURES]
    groups = {name: list(cols) for name, cols in fraud.FEATURE_GROUPS.items()}
    result = permutation_importance(
        model,
        X,
        week[s.TX_FRAUD].to_numpy(),
        groups=groups,
        n_repeats=3,
        score=lambda m, x: _score(m, x),
    )
    by_group = {g: result[g].mean for g in groups}
    singles = [imp for imp in result.importances if imp.name in FEATURES]
    out = {
        "baseline_ap": round(result.baseline, 4),
        "groups": {_key(g): round(v, 4) for g, v in by_group.items()},
        "top_group": _key(max(by_group, key=by_group.__getitem__)),
    }
    for rank, imp in enumerate(singles[:3], 1):
        out[f"single{rank}"] = {"name": imp.name, "drop": round(imp.mean, 4)}
    # the 30-day terminal risk alone vs the group: correlated windows share the credit
    out["risk_30_alone"] = round(result[s.terminal_risk(30)].mean, 4)
    pdp = partial_dependence(
        model, X, s.terminal_risk(7), grid=[0.0, 0.05, 0.1, 0.2, 0.4], score=_score
    )
    out["pdp"] = {f"g{i}": round(v, 4) for i, v in enumerate(pdp.average)}
    out["pdp_grid"] = {f"g{i}": v for i, v in enumerate(pdp.grid)}
    return out


def _key(group: str) -> str:
    return group.replace("'s", "").replace(" ", "_")


def explanations(model: Any, frame: pd.DataFrame) -> dict[str, Any]:
    day = _days(frame, 56, 56)
    background = _days(frame, 55, 55).sample(200, random_state=0)[FEATURES]
    groups = {g: list(c) for g, c in fraud.FEATURE_GROUPS.items()}
    out = {}
    for name, pick in (
        ("false_decline", day["BLOCKED"] & (day[s.TX_FRAUD] == 0)),
        ("fraud", day["BLOCKED"] & (day[s.TX_FRAUD] == 1)),
    ):
        row = day[pick].sort_values("SCORE", ascending=False).iloc[[0]]
        exp = local.explain_row(lambda x: _score(model, x), row[FEATURES], background, groups)
        out[name] = {
            "base": round(exp.base, 4),
            "score": round(exp.score, 4),
            "contributions": {_key(g): round(v, 4) for g, v in exp.contributions.items()},
            "amount": float(row[s.TX_AMOUNT].iloc[0]),
            "card_avg_30": round(float(row[s.customer_avg_amount(30)].iloc[0]), 2),
            "terminal_risk_7": round(float(row[s.terminal_risk(7)].iloc[0]), 4),
            "card_tx_1": float(row[s.customer_nb_tx(1)].iloc[0]),
        }
    out["threshold_day56"] = round(float(day.loc[day["BLOCKED"], "SCORE"].min()), 4)
    return out


def feedback_loop(frame: pd.DataFrame, share: float, seed: int) -> dict[str, Any]:
    train, test = _days(frame, *RETRAIN), _days(frame, *TEST)
    y, blocked = train[s.TX_FRAUD].to_numpy(), train["BLOCKED"].to_numpy(bool)
    checked = feedback.investigated(blocked, share=share, seed=seed)
    seen = feedback.observed_labels(y, blocked, checked)
    regimes = {
        "oracle": (train, y, None),
        "declines_as_legit": (train, np.nan_to_num(seen, nan=0.0), None),
        "declines_dropped": (train[~blocked], y[~blocked], None),
        "checked_share": (
            train[~np.isnan(seen)],
            seen[~np.isnan(seen)],
            feedback.training_weights(blocked, checked, share=share)[~np.isnan(seen)],
        ),
    }
    out: dict[str, Any] = {
        "share": share,
        "declined_frauds": int((y[blocked] == 1).sum()),
        "frauds": int(y.sum()),
        "checked": int(checked.sum()),
    }
    for name, (rows, labels, weights) in regimes.items():
        model = _forest().fit(rows[FEATURES].to_numpy(), labels.astype(int), sample_weight=weights)
        out[name] = _ap_se(test, _score(model, test), seed=7)
    out["champion"] = _ap_se(test, test["SCORE"].to_numpy(), seed=7)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--block", type=int, default=None, help="declines per day (params)")
    parser.add_argument("--check-share", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    params = load_params(ROOT / "params.yaml").evaluate
    block = args.block or params.alerts_per_day
    sim = simulate(config_for("small", seed=args.seed, n_days=TEST[1] + 1))
    frame = build_features(sim.transactions)
    bands = pd.Series(
        fraud.spending_band(sim.customers["mean_amount"]), sim.customers[s.CUSTOMER_ID]
    )
    frame["BAND"] = frame[s.CUSTOMER_ID].map(bands)
    champion = default_fit(_days(frame, *DRILL.train))
    frame = _days(frame, DEPLOY[0], TEST[1])
    frame["SCORE"] = _score(champion, frame)
    frame["BLOCKED"] = metrics.alerts_under_budget(frame[DAY], frame["SCORE"], alerts_per_day=block)
    window = _days(frame, *DEPLOY)
    op = operating(window, params.c_fp)
    result = {
        "meta": {"seed": args.seed, "block_per_day": block, "deploy": DEPLOY, "test": TEST},
        "operating": op,
        "risk": risk_rows(op),
        "referral": referral(window, block=block, c_fp=params.c_fp),
        "slices": subgroup_slices(window),
        "importance": importances(champion, _days(frame, 42, 48)),
        "local": explanations(champion, frame),
        "feedback": feedback_loop(frame, args.check_share, args.seed),
    }
    result["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
