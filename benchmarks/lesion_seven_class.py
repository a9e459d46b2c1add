"""Benchmark of the generator's 7-class mode: can a model tell the HAM10000 diagnoses apart?

On one generated 7-class dataset (`--preset`, `--seed`; HAM-binary prevalence by default, so
that the seven classes come at HAM10000's shares: nv 67 %, mel and bkl 11 %, bcc 5 %, akiec
3 %, vasc and df about 1 %), 5-fold patient-grouped cross-validation of:

* the **majority baseline** (always "nv": macro recall 1/7, accuracy 67 %);
* hand-crafted **ABCD features** + a class-weighted logistic regression, and + a random forest
  whose votes are divided by the class shares (`reference_impl.lesion.multiclass`);
* **raw 16×16 pixels** + a class-weighted logistic regression;
* the **oracle**: the diagnosis the generator drew and rendered, before label noise — the
  ceiling no image model can pass (the recorded diagnosis differs from it only by the noise).

Per model: macro recall (balanced multiclass accuracy, ISIC 2018's metric), accuracy, recall per
class and the confusion matrix; the best ABCD model's confusion matrix is plotted.

Run: .venv/bin/python benchmarks/lesion_seven_class.py --preset small --seed 0
Writes JSON (`--out`, default build/reports/benchmark_lesion_seven_class_<preset>.json) and the
plot (`--plots`, default build/reports/lesion_<preset>/confusion_seven_class.png). About two
minutes on the small preset on 2 idle cores; the full preset takes several times longer.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.lesion import plots  # noqa: E402
from reference_impl.lesion import schemas as s  # noqa: E402
from reference_impl.lesion.metrics import ClassReport, class_report  # noqa: E402
from reference_impl.lesion.multiclass import cross_validate_classes, make_class_model  # noqa: E402
from reference_impl.lesion.runner import compute_features  # noqa: E402
from reference_impl.lesion.simulate import config_for, latent_lesions, simulate  # noqa: E402

MODELS = (  # key, name, family, input
    ("majority", "majority baseline (always the most frequent)", "majority", "features"),
    ("abcd_logreg", "ABCD features + logreg (class-weighted)", "logreg", "features"),
    ("abcd_random_forest", "ABCD features + random forest (votes / shares)", "random_forest",
     "features"),
    ("pixels_logreg", "raw 16×16 pixels + logreg (class-weighted)", "pixels", "images"),
)  # fmt: skip


def _row(key: str, name: str, report: ClassReport, seconds: float | None) -> dict[str, Any]:
    return {"key": key, "model": name, "seconds": seconds, **report.to_dict()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    cfg = config_for(args.preset, prevalence=args.prevalence, seed=args.seed, seven_class=True)
    sim = simulate(cfg, n_jobs=args.workers)
    t_sim = time.perf_counter() - t0
    images = sim.images
    features = compute_features(images, n_jobs=args.workers)
    meta = sim.metadata
    y, groups = meta[s.DX].to_numpy().astype(str), meta[s.PATIENT_ID].to_numpy()
    drawn = latent_lesions(cfg).loc[meta[s.LESION_ID], "dx_true"].to_numpy().astype(str)
    rows = [_row("oracle", "oracle: the drawn diagnosis", class_report(y, drawn, s.CLASSES), None)]
    for key, name, family, source in MODELS:
        t = time.perf_counter()
        model = make_class_model(family, random_state=args.seed, n_jobs=args.n_jobs)
        X = features if source == "features" else images.reshape(len(images), -1)
        pred = cross_validate_classes(model, X, y, groups, seed=args.seed, n_jobs=args.n_jobs)
        rows.append(_row(key, name, class_report(y, pred, s.CLASSES), time.perf_counter() - t))
    best = max((r for r in rows if r["key"].startswith("abcd")), key=lambda r: r["macro_recall"])
    args.plots.mkdir(parents=True, exist_ok=True)
    best_report = ClassReport(**{k: best[k] for k in ClassReport.__dataclass_fields__})
    path = plots.confusion(
        best_report,
        args.plots / "confusion_seven_class.png",
        title=f"{best['model']}\n5-fold patient-grouped CV, {args.preset} preset",
    )
    counts = meta[s.DX].value_counts()
    return {
        "preset": args.preset,
        "seed": args.seed,
        "prevalence_preset": args.prevalence,
        "data": {
            "n_images": len(meta),
            "n_patients": int(meta[s.PATIENT_ID].nunique()),
            "class_share": {c: float(counts.get(c, 0) / len(meta)) for c in s.CLASSES},
            "label_noise_share": float((y != drawn).mean()),
        },
        "models": rows,
        "best_abcd": best["key"],
        "plots": {"confusion_seven_class": str(path)},
        "timing": {"simulate_s": round(t_sim, 1)},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def report(res: dict[str, Any]) -> str:
    d = res["data"]
    lines = [
        f"7-class lesions, preset {res['preset']} (seed {res['seed']}): {d['n_images']} images, "
        f"{d['n_patients']} patients; label noise {d['label_noise_share']:.1%}",
        "shares: " + ", ".join(f"{c} {v:.1%}" for c, v in d["class_share"].items()),
        "5-fold patient-grouped CV, out-of-fold: macro recall (balanced accuracy), accuracy, "
        "recall per class",
        f"  {'model':48s} {'macro':>6s} {'acc':>6s} "
        + " ".join(f"{c:>6s}" for c in s.CLASSES)
        + f" {'s':>5s}",
    ]
    for r in res["models"]:
        per = " ".join(f"{r['recall'].get(c, float('nan')):6.3f}" for c in s.CLASSES)
        secs = f"{r['seconds']:5.0f}" if r["seconds"] is not None else "    -"
        lines.append(
            f"  {r['model']:48s} {r['macro_recall']:6.3f} {r['accuracy']:6.3f} {per} {secs}"
        )
    lines.append(f"confusion matrix of {res['best_abcd']}: {res['plots']['confusion_seven_class']}")
    lines.append(f"total {res['seconds']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "small", "full"], default="small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prevalence", default="ham_binary", help="ham, ham_binary or screening")
    parser.add_argument("--workers", type=int, default=2, help="processes that generate/featurize")
    parser.add_argument("--n-jobs", type=int, default=1, help="threads of a model fit")
    parser.add_argument("--out", type=Path, default=None, help="where the JSON goes")
    parser.add_argument("--plots", type=Path, default=None, help="folder of the PNG plot")
    args = parser.parse_args(argv)
    reports = ROOT / "build" / "reports"
    args.out = args.out or reports / f"benchmark_lesion_seven_class_{args.preset}.json"
    args.plots = args.plots or reports / f"lesion_{args.preset}"
    res = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    print(report(res))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
