"""Teaching views of the lesion system: the grouped-split leak, calibration, prevalence shift.

On the lesion generator's small preset (HAM-like prevalence, seed `--seed`), with the lesion
system's own code (`reference_impl.lesion`: generator, ABCD features, models, screening metrics):

* `leakage` (lesson 2.1): each model cross-validated with 5 **patient-grouped** folds
  (`StratifiedGroupKFold`, what `lesion train` does) and with 5 **random** image folds
  (`StratifiedKFold`), for `--repeats` fold seeds. Mean pooled out-of-fold AUC and specificity
  at 95 % sensitivity of each split; the random split's inflation (random − grouped, its mean,
  smallest and largest over the fold seeds). The models: the pipeline's random forest and
  boosting on the ABCD features, the pixel baseline, and 5 distance-weighted nearest neighbours
  on the features (a memoriser: it shows what a split that lets another photograph of a test
  lesion into training rewards). `mechanism`: under random folds, the share of test images
  whose lesion (another photograph of it) or patient is also in the training folds.
* `calibration` (lesson 4.4): the boosting model's patient-grouped out-of-fold probabilities in
  ten equal-count bins (mean predicted risk, observed malignant share), its Brier score and ECE.
* `shift` (lesson 4.4): the boosting model fitted on all the HAM-like images, its threshold set
  at 95 % sensitivity on the out-of-fold probabilities, then applied to a second generated set
  of new patients at the **screening** prevalence (same size, seed `--seed` + 1): the stated
  mean risk before and after prior-shift recalibration (`adjust_to_prevalence`) next to the
  observed share, the prevalence estimated from the unlabelled scores (EM), and sensitivity,
  specificity and PPV measured there next to the PPV Bayes' rule predicts.
* `ppv_curve` (lesson 4.4): PPV and number needed to biopsy of the out-of-fold operating point
  at prevalences from 1 % to 30 % (Bayes' rule, `ppv_at_prevalence`).

Run: .venv/bin/python benchmarks/lesion_views.py [--seed 0] [--out F.json]
About two minutes on a busy 2-core machine (two generated sets and their features dominate).
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
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.lesion import metrics as sm  # noqa: E402
from reference_impl.lesion.features import FEATURE_NAMES  # noqa: E402
from reference_impl.lesion.runner import compute_features  # noqa: E402
from reference_impl.lesion.simulate import config_for, simulate  # noqa: E402
from reference_impl.lesion.train import cores, cross_validate, make_model  # noqa: E402
from reference_impl.metrics import brier, reliability  # noqa: E402

OUT = ROOT / "build" / "reports" / "lesion_views.json"
PREVALENCES = {"p010": 0.01, "p018": 0.018, "p050": 0.05, "p110": 0.11, "p195": 0.195, "p300": 0.3}
TARGET = 0.95


def _round(d: dict[str, Any]) -> dict[str, Any]:
    return {k: round(float(v), 4) if isinstance(v, float) else v for k, v in d.items()}


def _data(seed: int, prevalence: str, workers: int) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    sim = simulate(config_for("small", prevalence=prevalence, seed=seed), n_jobs=workers)
    meta = sim.metadata.reset_index(drop=True)
    feats = pd.DataFrame(compute_features(sim.images, n_jobs=workers), columns=FEATURE_NAMES)
    return meta, feats, sim.images


def leakage(
    meta: pd.DataFrame, feats: pd.DataFrame, images: np.ndarray, seed: int, repeats: int
) -> dict:
    """Grouped vs random 5-fold CV of each model, over `repeats` fold seeds; the inflation."""
    y, groups = meta["label"].to_numpy().astype(int), meta["patient_id"].to_numpy()
    memoriser = make_pipeline(
        StandardScaler(), KNeighborsClassifier(5, weights="distance", algorithm="brute")
    )
    runs = {
        "random_forest": (make_model("random_forest", random_state=seed), feats),
        "hist_gb": (make_model("hist_gb", random_state=seed), feats),
        "pixels": (make_model("pixels", random_state=seed), images),
        "nearest_neighbours": (memoriser, feats),
    }
    out: dict[str, Any] = {"repeats": repeats}
    for name, (model, X) in runs.items():
        runs_of: dict[str, list[float]] = {}
        for fold_seed in range(seed, seed + repeats):
            for split, grouped in (("grouped", True), ("random", False)):
                cv = cross_validate(
                    model, X, y, groups, family=name, seed=fold_seed, grouped=grouped
                )
                runs_of.setdefault(f"{split}_auc", []).append(cv.oof_auc)
                runs_of.setdefault(f"{split}_spec", []).append(cv.specificity_at_sensitivity)
        gaps = np.subtract(runs_of["random_auc"], runs_of["grouped_auc"])
        out[name] = _round(
            {
                **{k: float(np.mean(v)) for k, v in runs_of.items()},
                "auc_inflation": float(gaps.mean()),
                "auc_inflation_min": float(gaps.min()),
                "auc_inflation_max": float(gaps.max()),
                "spec_inflation": float(
                    np.mean(np.subtract(runs_of["random_spec"], runs_of["grouped_spec"]))
                ),
            }
        )
    # Why: under random folds, a test image's lesion or patient is often in the training folds.
    lesion, seen_lesion, seen_patient = meta["lesion_id"].to_numpy(), [], []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(meta, y):
        seen_lesion.append(np.isin(lesion[te], lesion[tr]))
        seen_patient.append(np.isin(groups[te], groups[tr]))
    out["mechanism"] = {
        "test_images_lesion_in_train": round(float(np.concatenate(seen_lesion).mean()), 4),
        "test_images_patient_in_train": round(float(np.concatenate(seen_patient).mean()), 4),
    }
    return out


def calibration(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    rel = reliability(y, proba, n_bins=10, strategy="quantile")
    return {
        "brier": round(brier(y, proba), 4),
        "ece": round(sm.expected_calibration_error(y, proba), 4),
        "bins": {
            f"b{i + 1}": {"predicted": round(float(p), 4), "observed": round(float(o), 4)}
            for i, (p, o) in enumerate(zip(rel.mean_predicted, rel.fraction_positive, strict=True))
        },
    }


def shift(
    meta: pd.DataFrame, feats: pd.DataFrame, threshold: float, seed: int, workers: int
) -> dict[str, Any]:
    """The HAM-like model on new patients at the screening prevalence."""
    y = meta["label"].to_numpy().astype(int)
    model = make_model("hist_gb", random_state=seed)
    with cores(1):
        model.fit(feats, y)
    s_meta, s_feats, _ = _data(seed + 1, "screening", workers)
    ys = s_meta["label"].to_numpy().astype(int)
    proba = model.predict_proba(s_feats)[:, 1]
    train_prev = float(y.mean())
    adjusted = sm.adjust_to_prevalence(
        proba, train_prevalence=train_prev, target_prevalence=float(ys.mean())
    )
    at = sm.operating_point(ys, proba, threshold)
    referred = proba >= threshold
    return _round(
        {
            "n_images": len(ys),
            "n_malignant": int(ys.sum()),
            "train_prevalence": train_prev,
            "observed_prevalence": float(ys.mean()),
            "mean_risk": float(proba.mean()),
            "mean_risk_recalibrated": float(adjusted.mean()),
            "estimated_prevalence": sm.estimate_prevalence(proba, train_prevalence=train_prev),
            "referred_share": float(referred.mean()),
            "mean_risk_referred": float(proba[referred].mean()),
            "mean_risk_referred_recalibrated": float(adjusted[referred].mean()),
            "malignant_share_referred": at.ppv,
            "sensitivity": at.sensitivity,
            "specificity": at.specificity,
            "nnb": at.nnb,
            "ppv_bayes": sm.ppv_at_prevalence(at.sensitivity, at.specificity, float(ys.mean())),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="processes for images/features")
    parser.add_argument("--repeats", type=int, default=3, help="fold seeds of the leak's CV")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    meta, feats, images = _data(args.seed, "ham", args.workers)
    y, groups = meta["label"].to_numpy().astype(int), meta["patient_id"].to_numpy()
    cv = cross_validate(
        make_model("hist_gb", random_state=args.seed), feats, y, groups, family="hist_gb"
    )
    at = sm.operating_point(y, cv.oof, cv.threshold)
    result: dict[str, Any] = {
        "data": {
            "n_images": len(meta),
            "n_lesions": int(meta["lesion_id"].nunique()),
            "n_patients": int(meta["patient_id"].nunique()),
            "prevalence": round(float(y.mean()), 4),
        },
        "leakage": leakage(meta, feats, images, args.seed, args.repeats),
        "calibration": calibration(y, cv.oof),
        "operating_point": _round(
            {
                "threshold": cv.threshold,
                "sensitivity": at.sensitivity,
                "specificity": at.specificity,
            }
        ),
        "ppv_curve": {
            key: _round(
                {
                    "ppv": sm.ppv_at_prevalence(at.sensitivity, at.specificity, prev),
                    "nnb": sm.nnb_at_prevalence(at.sensitivity, at.specificity, prev),
                }
            )
            for key, prev in PREVALENCES.items()
        },
        "shift": shift(meta, feats, cv.threshold, args.seed, args.workers),
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
