"""The reference fraud model seen from outside: the curves and explanations the lessons draw.

On one preset and seed, the pipeline's model (random forest, the `params.yaml` grid: depth 20,
50 trees) is trained on the training block of the latest prequential test fold and scored on its
test week. The script records, with the project's own functions:

* `pr`: precision at recall 0.05, 0.10, …, 1.00 (interpolated: the best precision at that recall
  or more), and the base rate (a random ranking's precision) — lesson 4.1;
* `reliability`: ten equal-count bins of the score, mean prediction vs observed fraud rate
  (`metrics.reliability`) — lesson 4.3;
* `kpi`: residual fraud by count and amount, and recall, at each alert budget (`metrics.kpi_curve`)
  — lessons 1.2 and 2.3;
* `importance`: permutation importance (AP drop, `reference_impl.explain`) of every feature and
  of the correlated groups shuffled together — lesson 4.3;
* `pdp`: partial dependence of the score on the amount and on the 7-day terminal risk — lesson 4.3;
* `leak`: the same model trained with one leaky column added (the card's frauds over the 14 days
  around the payment, computed from labels a real system only gets later): its test AP, its rank
  in the permutation importance, and its AP once the column holds what serving knows (0) —
  lesson 4.3's pitfall, on the real data;
* `delay`: test AP when the terminal-risk features use a label delay of 1, 7 or 14 days (the
  longer labels take, the staler the terminal signal) — lesson 2.1;
* `eda`: the fraud rate per amount band and by night/day over the whole stream — lesson 2.2;
* `ablation`: test AP of the same forest without the terminal-risk features, and with the raw
  columns only (amount, weekend, night) — lessons 0.2 and 3.2;
* `contract`: what the unchanged model does with a batch whose amounts arrive in cents (a broken
  contract nobody rejected): AP and the share of the day's top-50 alerts that are fraud — 3.1;
* `rebalanced`: the forest trained on all frauds and one tenth of the legitimate payments: test AP
  and mean score against the test week's fraud rate (rebalancing shifts probabilities) — 3.3;
* `baselines`: test AP of the rule "amount > 220" (scenario S1) and of ranking by amount — 1.1;
* `screening`: positive predictive value of a test with sensitivity 95 % and specificity 75 %
  (the 7-point checklist's operating point) at several prevalences — 1.4 (Bayes' rule, no data).

`make numbers` writes course/_data/model_views_small.json from it (tools/course_numbers.py).

Run: .venv/bin/python benchmarks/model_views.py [--preset small] [--seed 0] [--out F.json]
About 30 s on the small preset on an idle 2-core machine.
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

from reference_impl import metrics, schemas, splits  # noqa: E402
from reference_impl.explain import partial_dependence, permutation_importance  # noqa: E402
from reference_impl.features import build_features  # noqa: E402
from reference_impl.params import Params  # noqa: E402
from reference_impl.simulate import config_for, simulate  # noqa: E402
from reference_impl.train import fraud_score, make_model  # noqa: E402

OUT = ROOT / "build" / "reports" / "model_views.json"
FEATURES = list(schemas.FEATURE_COLUMNS)
RECALLS = [round(0.05 * i, 2) for i in range(1, 21)]
BUDGETS = [5, 10, 20, 30, 40, 50, 75, 100, 150, 200]
AMOUNT_GRID = list(range(0, 401, 20))  # the S1 rule blocks payments above 220
RISK_GRID = [round(0.05 * i, 2) for i in range(11)]  # 7-day terminal fraud share 0 … 0.5
GROUPS = {  # correlated windows, shuffled together as one entry
    "terminal_risk": [schemas.terminal_risk(n) for n in schemas.WINDOWS],
    "terminal_nb_tx": [schemas.terminal_nb_tx(n) for n in schemas.WINDOWS],
    "customer_avg_amount": [schemas.customer_avg_amount(n) for n in schemas.WINDOWS],
    "customer_nb_tx": [schemas.customer_nb_tx(n) for n in schemas.WINDOWS],
}
LEAK = "CARD_FRAUDS_AROUND_14D"
REPEATS = 3
DELAYS = [1, 7, 14]
AMOUNT_BANDS = [0, 50, 100, 150, 200, 220, 300, np.inf]
TERMINAL = [schemas.terminal_risk(n) for n in schemas.WINDOWS] + [
    schemas.terminal_nb_tx(n) for n in schemas.WINDOWS
]
RAW = [schemas.TX_AMOUNT, schemas.TX_DURING_WEEKEND, schemas.TX_DURING_NIGHT]


def forest(**kw: Any) -> RandomForestClassifier:
    """The pipeline's forest (depth 20, 50 trees) for experiments on other columns."""
    return RandomForestClassifier(n_estimators=50, max_depth=20, random_state=0, n_jobs=-1, **kw)


def fit_score(columns: list[str], train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    model = forest().fit(train[columns], train[schemas.LABEL])
    return np.asarray(model.predict_proba(test[columns])[:, 1])


def eda(frame: pd.DataFrame) -> dict[str, Any]:
    """Fraud rate per amount band and by night/day over the whole stream."""
    y = frame[schemas.LABEL].to_numpy()
    band = np.digitize(frame[schemas.TX_AMOUNT].to_numpy(), AMOUNT_BANDS[1:-1])
    out: dict[str, Any] = {"amount_band": {}, "amount_band_share": {}}
    for i, lo in enumerate(AMOUNT_BANDS[:-1]):
        inside = band == i
        out["amount_band"][f"from{int(lo)}"] = float(y[inside].mean())
        out["amount_band_share"][f"from{int(lo)}"] = float(inside.mean())
    night = frame[schemas.TX_DURING_NIGHT].to_numpy() == 1
    out["night"], out["day"] = float(y[night].mean()), float(y[~night].mean())
    return out


def ppv(sensitivity: float, specificity: float, prevalence: float) -> float:
    """Share of positives that are real: Bayes' rule at a prevalence."""
    true_pos = sensitivity * prevalence
    return true_pos / (true_pos + (1 - specificity) * (1 - prevalence))


def top_alerts_precision(day: np.ndarray, y: np.ndarray, score: np.ndarray, k: int = 50) -> float:
    """Share of frauds among each day's k highest scores (the investigators' queue)."""
    alerts = metrics.alerts_under_budget(day, score, alerts_per_day=k)
    return float(y[alerts.astype(bool)].mean())


def card_frauds_around(frame: pd.DataFrame, days: int = 7) -> np.ndarray:
    """Frauds on the same card within ±`days` of each payment (its own label included).

    What a team computes from the labelled history table without asking *when* each label is
    known: at scoring time the payment's own label and the next week's are not, so serving can
    only send 0 here. A leak, built on purpose.
    """
    t = (
        frame[schemas.TX_TIME_DAYS].to_numpy(dtype=float)
        + frame[schemas.TX_DATETIME].dt.hour.to_numpy() / 24.0
    )
    card = frame[schemas.CUSTOMER_ID].to_numpy()
    order = np.lexsort((t, card))
    key = card[order] * 10_000.0 + t[order]  # cards never overlap: days < 10,000
    frauds = np.concatenate([[0], np.cumsum(frame[schemas.LABEL].to_numpy()[order])])
    hi = np.searchsorted(key, key + days, side="right")
    lo = np.searchsorted(key, key - days, side="left")
    out = np.empty(len(frame))
    out[order] = frauds[hi] - frauds[lo]
    return out


def precision_at_recall(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """Interpolated precision (the best precision at this recall or more) at each of `RECALLS`."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, score)
    return {f"r{round(r * 100):03d}": float(precision[recall >= r - 1e-9].max()) for r in RECALLS}


def run(preset: str, seed: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    config = config_for(preset, seed=seed)
    sim_tx = simulate(config).transactions
    frame = build_features(sim_tx)
    frame[LEAK] = card_frauds_around(frame)
    spec = splits.SplitSpec()
    anchor = splits.default_anchor(config.n_days, spec)
    fold = splits.prequential_folds(frame, anchor_day=anchor, spec=spec, kind="test")[-1]
    train, test = frame.iloc[fold.train_idx], frame.iloc[fold.test_idx]
    y_train, y = train[schemas.LABEL].to_numpy(), test[schemas.LABEL].to_numpy()
    day, amount = test[schemas.TX_TIME_DAYS].to_numpy(), test[schemas.TX_AMOUNT].to_numpy()

    model = make_model("random_forest", random_state=0).set_params(
        model__max_depth=20, model__n_estimators=50
    )
    model.fit(train[FEATURES], y_train)
    score = fraud_score(model, test)
    rel = metrics.reliability(y, score, n_bins=10)
    curve = metrics.kpi_curve(day, y, score, amount, BUDGETS)
    importance = permutation_importance(
        model, test[FEATURES], y, groups=GROUPS, n_repeats=REPEATS, random_state=seed
    )
    pdp_amount = partial_dependence(model, test[FEATURES], schemas.TX_AMOUNT, grid=AMOUNT_GRID)
    risk = schemas.terminal_risk(7)
    pdp_risk = partial_dependence(model, test[FEATURES], risk, grid=RISK_GRID)

    # The same forest with the leaky column (no amount ratios: they expect the 15 features).
    leaky = RandomForestClassifier(n_estimators=50, max_depth=20, random_state=0, n_jobs=-1).fit(
        train[[*FEATURES, LEAK]], y_train
    )
    leak_imp = permutation_importance(
        leaky, test[[*FEATURES, LEAK]], y, n_repeats=REPEATS, random_state=seed
    )
    served = test[[*FEATURES, LEAK]].assign(**{LEAK: 0.0})

    delay_ap = {}
    for d in DELAYS:  # terminal risk recomputed with another label delay, same rows
        if d == schemas.DEFAULT_DELAY_DAYS:
            delay_ap[f"d{d}"] = metrics.average_precision(y, score)
            continue
        other = build_features(sim_tx, delay_days=d)
        delay_ap[f"d{d}"] = metrics.average_precision(
            y, fit_score(FEATURES, other.iloc[fold.train_idx], other.iloc[fold.test_idx])
        )
    no_terminal = [c for c in FEATURES if c not in TERMINAL]
    cents = test[FEATURES].assign(**{schemas.TX_AMOUNT: test[schemas.TX_AMOUNT] * 100})
    cents_score = np.asarray(model.predict_proba(cents)[:, 1])
    rng = np.random.default_rng(seed)
    keep = (y_train == 1) | (rng.random(len(train)) < 0.1)
    rebalanced = make_model("random_forest", random_state=0).set_params(
        model__max_depth=20, model__n_estimators=50
    )
    rebalanced.fit(train[FEATURES][keep], y_train[keep])
    rebalanced_score = fraud_score(rebalanced, test)
    return {
        "preset": preset,
        "seed": seed,
        "fold": fold.describe(),
        "test": {"transactions": len(test), "frauds": int(y.sum()), "base_rate": float(y.mean())},
        "ap": metrics.average_precision(y, score),
        "pr": precision_at_recall(y, score),
        "reliability": {
            f"b{i}": {"predicted": float(p), "observed": float(o), "count": int(c)}
            for i, (p, o, c) in enumerate(
                zip(rel.mean_predicted, rel.fraction_positive, rel.count, strict=True)
            )
        },
        "brier": metrics.brier(y, score),
        "kpi_goal": Params().evaluate.max_residual_fraud,  # the gate's floor (params.yaml)
        "kpi": {
            f"k{int(row['alerts_per_day'])}": {
                k: float(row[k]) for k in ("by_count", "by_amount", "recall")
            }
            for _, row in curve.iterrows()
        },
        "importance": {
            "baseline_ap": importance.baseline,
            "repeats": REPEATS,
            **{imp.name: {"mean": imp.mean, "std": imp.std} for imp in importance.importances},
            "rank": {name: i + 1 for i, name in enumerate(importance.ranking())},
        },
        "pdp": {
            "amount": {
                f"a{int(v)}": p for v, p in zip(pdp_amount.grid, pdp_amount.average, strict=True)
            },
            "amount_share_below": {
                f"a{int(v)}": s
                for v, s in zip(pdp_amount.grid, pdp_amount.share_in_range, strict=True)
            },
            "risk7": {
                f"r{round(v * 100):02d}": p
                for v, p in zip(pdp_risk.grid, pdp_risk.average, strict=True)
            },
            "risk7_share_below": {
                f"r{round(v * 100):02d}": s
                for v, s in zip(pdp_risk.grid, pdp_risk.share_in_range, strict=True)
            },
        },
        "leak": {
            "ap_offline": metrics.average_precision(
                y, leaky.predict_proba(test[[*FEATURES, LEAK]])[:, 1]
            ),
            "ap_served": metrics.average_precision(y, leaky.predict_proba(served)[:, 1]),
            "importance": leak_imp[LEAK].mean,
            "rank": leak_imp.ranking().index(LEAK) + 1,
            "top_importance": leak_imp.importances[0].mean,
        },
        "delay": delay_ap,
        "eda": eda(frame),
        "ablation": {
            "all": metrics.average_precision(y, score),
            "no_terminal": metrics.average_precision(y, fit_score(no_terminal, train, test)),
            "raw_only": metrics.average_precision(y, fit_score(RAW, train, test)),
        },
        "contract": {
            "ap": metrics.average_precision(y, score),
            "ap_cents": metrics.average_precision(y, cents_score),
            "top50_precision": top_alerts_precision(day, y, score),
            "top50_precision_cents": top_alerts_precision(day, y, cents_score),
            "mean_score": float(score.mean()),
            "mean_score_cents": float(cents_score.mean()),
        },
        "rebalanced": {
            "ap": metrics.average_precision(y, rebalanced_score),
            "mean_score": float(rebalanced_score.mean()),
            "mean_score_original": float(score.mean()),
            "base_rate": float(y.mean()),
        },
        "baselines": {
            "rule_220": metrics.average_precision(y, (amount > 220).astype(float)),
            "amount": metrics.average_precision(y, amount),
            "random": float(y.mean()),
        },
        "screening": {
            f"p{round(p * 1000):03d}": ppv(0.95, 0.75, p)
            for p in (0.01, 0.018, 0.05, 0.11, 0.195, 0.3)
        },
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "small", "full"], default="small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT, help="where the JSON goes")
    args = parser.parse_args()
    res = run(args.preset, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    imp = res["importance"]
    top = sorted(imp["rank"], key=imp["rank"].get)[:5]
    print(f"{res['fold']}: AP {res['ap']:.3f}, top features {top}")
    print(
        f"leak: AP offline {res['leak']['ap_offline']:.3f}, served {res['leak']['ap_served']:.3f},"
        f" rank {res['leak']['rank']}; {res['seconds']:.0f} s -> {args.out}"
    )


if __name__ == "__main__":
    main()
