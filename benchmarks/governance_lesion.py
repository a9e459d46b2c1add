"""Governance figures of the lesion system: the skin-tone audit and a referred lesion explained.

On the lesion generator's small preset (HAM-like prevalence, seed `--seed`), with the lesion
system's own code (`reference_impl.lesion`: generator, ABCD features, random forest):

* out-of-fold scores of every image by 5-fold **patient-grouped** cross-validation
  (`lesion.train.cross_validate`), and the threshold that reaches 95 % sensitivity overall;
* `audit`: sensitivity (malignant lesions referred) and false-referral rate (benign lesions
  referred) per Fitzpatrick-like skin-tone group (I-II, III-IV, V-VI), with 95 % intervals from a
  bootstrap over **patients** (`governance.slices.rate_with_interval`), and how many malignant
  lesions each group holds;
* `floor`: the highest threshold at which every group with at least 30 malignant lesions reaches
  95 % sensitivity (`governance.slices.floor_threshold`), and the referrals it adds;
* `abstention`: the lesion system's refer-to-dermatologist band (`lesion.metrics.
  abstention_curve`, Chow's rule at the 95 %-sensitivity threshold) at coverages 100/90/80/70 %:
  error, sensitivity and missed malignant lesions per 1,000 among the lesions decided alone;
* `local`: exact grouped Shapley values (`governance.local.explain_row`) of the highest-scored
  malignant lesion of the first fold's held-out patients, by the fold's model, against 200
  background lesions of the training patients, over six ABCD feature groups.

Run: .venv/bin/python benchmarks/governance_lesion.py [--seed 0] [--out F.json]
About 2 minutes on a busy 2-core machine (generation and features dominate).
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
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.governance import local, slices  # noqa: E402
from reference_impl.lesion.features import FEATURE_NAMES  # noqa: E402
from reference_impl.lesion.metrics import abstention_curve  # noqa: E402
from reference_impl.lesion.runner import compute_features  # noqa: E402
from reference_impl.lesion.simulate import config_for, simulate  # noqa: E402
from reference_impl.lesion.train import cross_validate, make_model  # noqa: E402

OUT = ROOT / "build" / "reports" / "governance" / "governance_lesion.json"
TONE_GROUPS = {1: "t12", 2: "t12", 3: "t34", 4: "t34", 5: "t56", 6: "t56"}
FEATURE_GROUPS = {
    "size": ["diameter_mm", "area_mm2"],
    "asymmetry_and_shape": ["compactness", "eccentricity", "asymmetry_shape", "asymmetry_colour"],
    "border": ["border_sharpness", "border_irregularity"],
    "colours": ["n_colours", "blue_gray_share", "black_share", "white_share", "red_share"],
    "colour_levels": ["mean_r", "mean_g", "mean_b", "std_r", "std_g", "std_b"],
    "texture": ["contrast", "laplacian_energy", "grey_std"],
}
TARGET_SENSITIVITY = 0.95
MIN_POSITIVES = 30


def audit(table: pd.DataFrame, referred: np.ndarray) -> dict[str, Any]:
    frame = table.assign(
        REFERRED=referred, MALIGNANT=table["label"] == 1, BENIGN=table["label"] == 0
    )
    out: dict[str, Any] = {}
    for name, among in (("sensitivity", "MALIGNANT"), ("false_referral", "BENIGN")):
        result = slices.slice_table(
            frame, group="TONES", hit="REFERRED", among=among, cluster="patient_id", seed=1
        )
        out[name] = {
            str(g): {k: round(float(v), 4) for k, v in row.items()}
            for g, row in result.to_dict("index").items()
        }
    return out


def explanation(table: pd.DataFrame, seed: int) -> dict[str, Any]:
    y, groups = table["label"].to_numpy(), table["patient_id"].to_numpy()
    cv = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
    train_idx, test_idx = next(cv.split(np.zeros(len(y)), y, groups))
    X = table[list(FEATURE_NAMES)]
    model = clone(make_model("random_forest", random_state=seed))
    model.fit(X.iloc[train_idx], y[train_idx])

    def predict(rows: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1]

    held_out = table.iloc[test_idx]
    scores = predict(held_out)
    malignant = np.flatnonzero(held_out["label"].to_numpy() == 1)
    pick = malignant[np.argmax(scores[malignant])]
    row = held_out.iloc[[pick]]
    background = X.iloc[train_idx].sample(200, random_state=0)
    exp = local.explain_row(predict, row[list(FEATURE_NAMES)], background, FEATURE_GROUPS)
    return {
        "base": round(exp.base, 4),
        "score": round(exp.score, 4),
        "contributions": {k: round(v, 4) for k, v in exp.contributions.items()},
        "diameter_mm": round(float(row["diameter_mm"].iloc[0]), 2),
        "n_colours": float(row["n_colours"].iloc[0]),
        "skin_tone": int(row["skin_tone"].iloc[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    sim = simulate(config_for("small", seed=args.seed), n_jobs=1)
    meta = sim.metadata.reset_index(drop=True)
    feats = pd.DataFrame(compute_features(sim.images, n_jobs=1), columns=list(FEATURE_NAMES))
    table = pd.concat([meta[["patient_id", "label", "skin_tone", "device"]], feats], axis=1)
    table["TONES"] = table["skin_tone"].map(TONE_GROUPS)
    y, groups = table["label"].to_numpy().astype(int), table["patient_id"].to_numpy()
    cv = cross_validate(
        make_model("random_forest", random_state=args.seed),
        table[list(FEATURE_NAMES)],
        y,
        groups,
        family="random_forest",
        seed=args.seed,
        target_sensitivity=TARGET_SENSITIVITY,
    )
    referred = cv.oof >= cv.threshold
    floor_t = slices.floor_threshold(
        y, cv.oof, table["TONES"].to_numpy(), floor=TARGET_SENSITIVITY, min_positives=MIN_POSITIVES
    )
    with_floor = cv.oof >= floor_t
    result = {
        "meta": {"seed": args.seed, "preset": "small"},
        "data": {
            "images": len(table),
            "patients": int(table["patient_id"].nunique()),
            "malignant": int(y.sum()),
            "tone_images": {f"t{k}": int(v) for k, v in table["skin_tone"].value_counts().items()},
        },
        "oof_auc": round(cv.oof_auc, 4),
        "threshold": round(cv.threshold, 4),
        "referral_rate": round(float(referred.mean()), 4),
        "audit": audit(table, referred),
        "floor": {
            "target": TARGET_SENSITIVITY,
            "min_positives": MIN_POSITIVES,
            "threshold": round(floor_t, 4),
            "referral_rate": round(float(with_floor.mean()), 4),
            "extra_referrals_per_1000": round(1000 * float(with_floor.mean() - referred.mean()), 1),
            "audit": audit(table, with_floor),
        },
        "abstention": {
            f"c{round(100 * point.coverage)}": {k: round(v, 4) for k, v in point.to_dict().items()}
            for point in abstention_curve(
                y, cv.oof, threshold=cv.threshold, coverages=(1.0, 0.9, 0.8, 0.7)
            )
        },
        "local": explanation(table, args.seed),
    }
    result["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
