"""Benchmark of the lesion models: hand-crafted ABCD features + forest/boosting vs the latent TDS
oracle vs raw pixels, with screening figures and a subgroup audit (spec §4.2, §4.3).

On one generated dataset (`--preset`, `--seed`, HAM-like prevalence by default):

1. **Learnability** (spec §4.2's table): 5-fold patient-grouped CV (StratifiedGroupKFold) over
   all images. Per model, pooled out-of-fold AUC, AP, specificity at 95 % sensitivity, number
   needed to biopsy there, sensitivity at 90 % specificity, and the per-fold AUC mean ± std.
   The *oracle* is the latent total dermoscopy score (TDS = 1.3A + 0.1B + 0.5C + 0.5D) the
   generator drew: the ceiling no image model can pass (label noise caps it). The *pixel
   baseline* is a logistic regression on 16×16 downsampled RGB.
2. **The pipeline** (`lesion train` + `lesion evaluate` code): patients held out, threshold set
   at 95 % sensitivity on out-of-fold predictions, then on the held-out patients: sensitivity,
   specificity, NNB, PPV at the training and at the screening prevalence, and the sensitivity
   per skin tone and device with patient-bootstrap 95 % intervals; the gate's verdict.

Run: .venv/bin/python benchmarks/lesion_model.py --preset full --seed 0
Writes JSON (`--out`, default build/reports/benchmark_lesion_model_<preset>.json), the plots
(`--plots`, default build/reports/lesion_<preset>/) and prints the table. The course's figures:
`python tools/course_numbers.py --only lesion_model_<preset>`.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.lesion import metrics as sm  # noqa: E402
from reference_impl.lesion import plots  # noqa: E402
from reference_impl.lesion.evaluate import evaluate  # noqa: E402
from reference_impl.lesion.features import FEATURE_NAMES  # noqa: E402
from reference_impl.lesion.model_params import EvaluateParams, TrainParams  # noqa: E402
from reference_impl.lesion.runner import compute_features  # noqa: E402
from reference_impl.lesion.simulate import config_for, simulate  # noqa: E402
from reference_impl.lesion.train import cross_validate, make_model, train  # noqa: E402
from reference_impl.metrics import auc_roc, average_precision  # noqa: E402

FEATURE_FAMILIES = ("random_forest", "hist_gb")
LATENT = ("A", "B", "C", "D", "diameter_mm", "seven_point")
TABLE_COLUMNS = ("image_id", "lesion_id", "patient_id", "label", "skin_tone", "device")


def _cv_row(
    key: str, name: str, y: np.ndarray, oof: np.ndarray, fold_auc: list[float]
) -> dict[str, Any]:
    at95 = sm.specificity_at_sensitivity(y, oof, 0.95)
    at90spec = sm.sensitivity_at_specificity(y, oof, 0.90)
    return {
        "key": key,
        "model": name,
        "auc": auc_roc(y, oof),
        "auc_fold_mean": float(np.mean(fold_auc)) if fold_auc else None,
        "auc_fold_std": float(np.std(fold_auc)) if fold_auc else None,
        "ap": average_precision(y, oof),
        "spec_at_95_sens": at95.specificity,
        "nnb_at_95_sens": at95.nnb if np.isfinite(at95.nnb) else None,
        "sens_at_90_spec": at90spec.sensitivity,
    }


def learnability(
    frame: pd.DataFrame, features: pd.DataFrame, images: np.ndarray, *, seed: int, n_jobs: int
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Patient-grouped 5-fold CV of each model and the oracles; rows of the table, OOF scores."""
    y, groups = frame["label"].to_numpy().astype(int), frame["patient_id"].to_numpy()
    rows, scores = [], {}
    tds = frame["tds"].to_numpy(float)
    rows.append(_cv_row("oracle_tds", "oracle: latent TDS (the rule)", y, tds, []))
    scores["oracle TDS"] = tds
    # What the generator drew, learnt: a ceiling for image features that only estimate it.
    latent = frame[list(LATENT)].astype(float)
    runs = [
        ("latent_hist_gb", "oracle: latent attributes + hist_gb", "hist_gb", latent),
        *[(f"abcd_{f}", f"ABCD features + {f}", f, features) for f in FEATURE_FAMILIES],
        ("pixels_logreg", "raw 16×16 pixels + logreg", "pixels", images),
    ]
    for key, name, family, X in runs:
        t = time.perf_counter()
        res = cross_validate(
            make_model(family, random_state=seed, n_jobs=n_jobs),
            X,
            y,
            groups,
            family=family,
            seed=seed,
            n_jobs=n_jobs,
        )
        rows.append(
            {
                **_cv_row(key, name, y, res.oof, res.fold_auc),
                "seconds": round(time.perf_counter() - t, 1),
            }
        )
        scores[name.split(" (")[0]] = res.oof
    return rows, scores


def pipeline(
    table: pd.DataFrame,
    columns: list[str],
    *,
    family: str,
    seed: int,
    n_jobs: int,
    n_boot: int,
    plots_dir: Path,
) -> dict[str, Any]:
    """The train + evaluate stages on held-out patients: screening figures, audit, gate.

    One family (the CV table's best on the features): the comparison is the table's job, and
    a second family would double the benchmark's longest part.
    """
    tp = TrainParams(families=(family,), random_state=seed, n_jobs=n_jobs)
    ep = EvaluateParams(n_boot=n_boot)
    cand = train(table, columns, params=tp)
    res = evaluate(table, cand.model, cand.to_dict(), train=tp, params=ep, out_dir=plots_dir)
    out = res.to_dict()
    return {
        "family": cand.family,
        "threshold": cand.threshold,
        "train_prevalence": cand.train_prevalence,
        "headline": out["headline"],
        "at_threshold": out["report"]["at_threshold"],
        "prevalence_shift": out["report"]["prevalence_shift"],
        "abstention": out["report"]["abstention"],
        "subgroups": out["audit"]["subgroups"],
        "gate": out["gate"],
        "plots": out["plots"],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    cfg = config_for(args.preset, prevalence=args.prevalence, seed=args.seed)
    sim = simulate(cfg, n_jobs=args.workers)
    t_sim = time.perf_counter() - t0
    images = sim.images
    t1 = time.perf_counter()
    feats = pd.DataFrame(compute_features(images, n_jobs=args.workers), columns=FEATURE_NAMES)
    t_feat = time.perf_counter() - t1
    meta = sim.metadata.reset_index(drop=True)
    rows, scores = learnability(meta, feats, images, seed=args.seed, n_jobs=args.n_jobs)
    y = meta["label"].to_numpy().astype(int)
    args.plots.mkdir(parents=True, exist_ok=True)
    best_key = max((k for k in scores if k.startswith("ABCD")), key=lambda k: auc_roc(y, scores[k]))
    points = {
        "oracle TDS > 4.75": sm.operating_point(y, scores["oracle TDS"], 4.75),
        f"{best_key} at 95 % sens": sm.specificity_at_sensitivity(y, scores[best_key], 0.95),
    }
    roc_path = plots.roc(
        {k: (y, v) for k, v in scores.items()},
        args.plots / "roc_models.png",
        points=points,
        title=f"ROC, 5-fold patient-grouped CV ({args.preset})",
    )
    # The ids, label and subgroups next to the measured features (as `lesion features` writes
    # them): the latent attributes stay out (`diameter_mm` is both a latent and a feature).
    table = pd.concat([meta[list(TABLE_COLUMNS)], feats], axis=1)
    pipe = pipeline(
        table,
        list(feats.columns),
        family=best_key.removeprefix("ABCD features + "),
        seed=args.seed,
        n_jobs=args.n_jobs,
        n_boot=args.n_boot,
        plots_dir=args.plots,
    )
    return {
        "preset": args.preset,
        "seed": args.seed,
        "prevalence_preset": args.prevalence,
        "data": {
            "n_images": len(meta),
            "n_patients": int(meta["patient_id"].nunique()),
            "n_lesions": int(meta["lesion_id"].nunique()),
            "prevalence": float(y.mean()),
            "label_noise_share_of_positives": float(
                ((meta["label"] == 1) & (meta["label_true"] == 0)).sum() / max(y.sum(), 1)
            ),
            "oracle_tds_rule_4_75": points["oracle TDS > 4.75"].to_dict(),
        },
        "timing": {  # wall clock on whatever machine ran it (shared, 2 cores in CI)
            "simulate_s": round(t_sim, 2),
            "images_per_s": round(len(meta) / t_sim, 1),
            "features_s": round(t_feat, 2),
            "features_ms_per_image": round(1000 * t_feat / len(meta), 3),
        },
        "learnability": rows,
        "pipeline": pipe,
        "plots": {"roc_models": str(roc_path), **pipe["plots"]},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def report(res: dict[str, Any]) -> str:
    lines = [
        f"lesion models, preset {res['preset']} (seed {res['seed']}): {res['data']['n_images']} "
        f"images, {res['data']['n_patients']} patients, prevalence {res['data']['prevalence']:.3f}",
        "5-fold patient-grouped CV, pooled out-of-fold:",
        f"  {'model':36s} {'AUC':>6s} {'±fold':>6s} {'AP':>6s} {'spec@95sens':>11s} "
        f"{'NNB':>5s} {'sens@90spec':>11s}",
    ]
    for r in res["learnability"]:
        std = f"{r['auc_fold_std']:.3f}" if r["auc_fold_std"] is not None else "  -  "
        nnb = f"{r['nnb_at_95_sens']:.1f}" if np.isfinite(r["nnb_at_95_sens"]) else "inf"
        lines.append(
            f"  {r['model']:36s} {r['auc']:6.3f} {std:>6s} {r['ap']:6.3f} "
            f"{r['spec_at_95_sens']:11.3f} {nnb:>5s} {r['sens_at_90_spec']:11.3f}"
        )
    p = res["pipeline"]
    at, shift = p["at_threshold"], p["prevalence_shift"]
    lines += [
        f"pipeline ({p['family']}, threshold {p['threshold']:.3f} set at 95 % sensitivity on "
        "out-of-fold), held-out patients:",
        f"  AUC {p['headline']['roc_auc']:.3f}  sensitivity {at['sensitivity']:.3f}  "
        f"specificity {at['specificity']:.3f}  NNB {at['nnb']}",
        f"  PPV at training prevalence {shift['train_prevalence']:.3f}: "
        f"{shift['ppv_train_prevalence']:.3f}; at screening {shift['screening_prevalence']:.3f}: "
        f"{shift['ppv_screening_prevalence']:.3f} (NNB {shift['nnb_screening_prevalence']:.1f})",
        "  sensitivity by subgroup (95 % patient-bootstrap CI):",
    ]
    for s in p["subgroups"]:
        flag = "" if s["enough_data"] else f"  [not judged: {s['note']}]"
        lines.append(
            f"    {s['attribute']}={s['group']:9s} {s['sensitivity']:.3f} "
            f"[{s['sensitivity_low']:.3f}, {s['sensitivity_high']:.3f}] "
            f"({s['n_malignant']} malignant){flag}"
        )
    gate = p["gate"]
    lines.append(
        f"  gate: {'passed' if gate['passed'] else 'FAILED: ' + '; '.join(gate['reasons'])}"
    )
    t = res["timing"]
    lines.append(
        f"timing: simulate {t['images_per_s']:.0f} images/s, features "
        f"{t['features_ms_per_image']:.2f} ms/image; total {res['seconds']:.0f} s"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "small", "full"], default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prevalence", default="ham", help="ham, ham_binary or screening")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes that generate and compute features"
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="threads of a model fit (more than 1 spins on a busy machine: boosting 50x slower)",
    )
    parser.add_argument("--n-boot", type=int, default=1000, help="patient-bootstrap replicates")
    parser.add_argument("--out", type=Path, default=None, help="where the JSON goes")
    parser.add_argument("--plots", type=Path, default=None, help="folder of the PNG plots")
    args = parser.parse_args()
    reports = ROOT / "build" / "reports"
    args.out = args.out or reports / f"benchmark_lesion_model_{args.preset}.json"
    args.plots = args.plots or reports / f"lesion_{args.preset}"
    res = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, default=float) + "\n")
    print(report(res))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
