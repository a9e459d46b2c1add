"""Evaluate: ML metrics, the business KPI at the operating point, plots, and the release gate.

The candidate from `fraud train` is scored on the test week of the latest fold (after the label
delay, known compromised cards removed): AUC ROC, average precision, CP@100, Brier and
reliability; at its threshold (capped by the daily alert budget) the residual fraud among
approved transactions by count and by amount, and the recall per fraud scenario. Its
configuration is also refit on every prequential test fold for a mean ± std estimate.

The gate passes only if the prequential mean AP reaches the floor and both residual-fraud
figures are at or below the limit; `fraud evaluate` exits 1 otherwise, so nothing downstream
(the registry) runs on a model that misses the business target.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from reference_impl import metrics, plots, schemas, splits
from reference_impl.atomic import atomic_file, write_json
from reference_impl.errors import InvalidInputError, MissingInputError
from reference_impl.governance import fraud as fraud_governance
from reference_impl.params import EvaluateParams, Params, SplitParams
from reference_impl.train import anchor_of, fraud_score, spec_of

Progress = Callable[[str], None]
REPORT_FILE = "evaluation.json"  # the full report (register reads it)
METRICS_FILE = "metrics.json"  # headline numbers + gate outcome, flat: what `dvc metrics` shows
KPI_FILE = "kpi_curve.csv"


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Gate:
    """Outcome of the release gate with one reason per failed check."""

    passed: bool
    reasons: list[str]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {"passed": self.passed, "reasons": self.reasons}


def check_gate(
    *, prequential_ap: float, residual: metrics.ResidualFraud, params: EvaluateParams
) -> Gate:
    """Apply the gate: AP floor (prequential mean) and residual fraud by count and by amount."""
    reasons = []
    if not prequential_ap >= params.min_average_precision:  # NaN fails too
        reasons.append(
            f"average precision {prequential_ap:.3f} < floor {params.min_average_precision:.3f}"
        )
    limit = params.max_residual_fraud
    for name, value in (("count", residual.by_count), ("amount", residual.by_amount)):
        if not value <= limit:
            reasons.append(
                f"residual fraud by {name} {100 * value:.2f} % > {100 * limit:.2f} % "
                f"at ≤ {params.alerts_per_day} alerts/day"
            )
    return Gate(passed=not reasons, reasons=reasons)


def fold_scores(y: np.ndarray, score: np.ndarray, rows: pd.DataFrame) -> dict[str, float]:
    """The three threshold-free headline metrics of one test block."""
    return {
        "roc_auc": metrics.auc_roc(y, score),
        "average_precision": metrics.average_precision(y, score),
        "card_precision_100": metrics.card_precision_top_k(
            rows[schemas.TX_TIME_DAYS], rows[schemas.CUSTOMER_ID], y, score, k=100
        )[0],
    }


@dataclass
class EvaluationResult:
    """Everything `evaluation.json` holds, plus where the plots went."""

    headline: dict[str, float]
    test_week: dict[str, Any]
    operating_point: dict[str, Any]
    prequential: dict[str, Any]
    kpi_curve: list[dict[str, float]]
    gate: Gate
    model_sha256: str
    plots: dict[str, str]
    subgroups: list[dict[str, Any]] = field(default_factory=list)  # the model card's audit

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (DVC reads `headline` as the metrics to compare)."""
        out = dict(self.__dict__)
        out["gate"] = self.gate.to_dict()
        return json.loads(json.dumps(out, default=float, allow_nan=True))


def test_folds(frame: pd.DataFrame, split: SplitParams) -> list[splits.Fold]:
    """The prequential test folds of the parameters; the last one is the candidate's."""
    spec, anchor = spec_of(split), anchor_of(frame, split)
    return splits.prequential_folds(frame, anchor_day=anchor, spec=spec, kind="test")


def prequential_estimate(
    model: Any, frame: pd.DataFrame, folds: list[splits.Fold], *, reuse_last: bool = True
) -> dict[str, Any]:
    """Refit the model's configuration on each test fold; mean ± std of AUC, AP, CP@100.

    With `reuse_last`, the last fold uses `model` as is (it was fitted on that fold's training
    block by `fraud train`), which saves one fit.
    """
    per_fold: dict[str, list[float]] = {}
    for i, fold in enumerate(folds):
        fitted = model
        if not (reuse_last and i == len(folds) - 1):
            rows = frame.iloc[fold.train_idx]
            fitted = clone(model).fit(rows[list(schemas.FEATURE_COLUMNS)], rows[schemas.LABEL])
        test = frame.iloc[fold.test_idx]
        scores = fold_scores(test[schemas.LABEL].to_numpy(), fraud_score(fitted, test), test)
        for name, value in scores.items():
            per_fold.setdefault(name, []).append(value)
    return {
        "folds": [f.describe() for f in folds],
        "per_fold": per_fold,
        "mean": {k: float(np.mean(v)) for k, v in per_fold.items()},
        "std": {k: float(np.std(v)) for k, v in per_fold.items()},
    }


def evaluate(
    frame: pd.DataFrame,
    model: Any,
    meta: dict[str, Any],
    *,
    params: Params | None = None,
    out_dir: Path | str | None = None,
    tracking_uri: str | None = None,
    progress: Progress = _quiet,
) -> EvaluationResult:
    """Evaluate a candidate (model + its train.json) on the feature table.

    Args:
        frame: feature table, the same the candidate was trained from.
        model: the fitted candidate pipeline.
        meta: the candidate's train.json (threshold, training days, sha256, run id).
        params: model-stage parameters (defaults when None).
        out_dir: where evaluation.json, metrics.json and the PNG plots go; None = nowhere.
        tracking_uri: MLflow store; the metrics are added to the candidate's training run.
        progress: called with one line per step.

    Raises:
        ValueError: the candidate was trained on other days than this protocol's latest fold.
    """
    params = params or Params()
    ev = params.evaluate
    start = time.perf_counter()
    folds = test_folds(frame, params.split)
    release = folds[-1]
    if list(meta["train_days"]) != [release.train_start, release.train_end - 1]:
        raise InvalidInputError(
            f"candidate trained on days {meta['train_days']}, but the protocol's latest fold "
            f"trains on {release.train_start}-{release.train_end - 1}: re-run `fraud train`"
        )
    test = frame.iloc[release.test_idx]
    y, day = test[schemas.LABEL].to_numpy(), test[schemas.TX_TIME_DAYS].to_numpy()
    amount = test[schemas.TX_AMOUNT].to_numpy()
    score = fraud_score(model, test)
    progress(f"test week {release.describe()}")

    week = fold_scores(y, score, test)
    week["precision_100"] = metrics.precision_top_k_per_day(day, y, score, k=100)[0]
    week["brier"] = metrics.brier(y, score)
    week["fraud_rate"] = float(y.mean())
    week["fraud_amount_share"] = float(amount[y == 1].sum() / amount.sum())
    rel = metrics.reliability(y, score, n_bins=10)

    alerts = metrics.alerts_under_budget(
        day, score, alerts_per_day=ev.alerts_per_day, threshold=meta["threshold"]
    )
    residual = metrics.residual_fraud(y, alerts, amount, day)
    scenario = test[schemas.TX_FRAUD_SCENARIO].to_numpy()
    operating = {
        "threshold": meta["threshold"],
        "threshold_policy": meta["threshold_policy"],
        "alerts_per_day": ev.alerts_per_day,
        "residual_fraud": residual.to_dict(),
        "threshold_metrics": metrics.threshold_metrics(y, alerts).to_dict(),
        "recall_per_scenario": {
            schemas.SCENARIOS.get(k, str(k)): v
            for k, v in metrics.recall_per_scenario(scenario, alerts).items()
        },
        "weighted_loss": metrics.weighted_loss(y, alerts, c_fn=ev.c_fn, c_fp=ev.c_fp),
    }
    curve = metrics.kpi_curve(day, y, score, amount, sorted(set(ev.kpi_budgets)))

    progress(f"prequential estimate over {len(folds)} test folds …")
    preq = prequential_estimate(model, frame, folds)
    gate = check_gate(
        prequential_ap=preq["mean"]["average_precision"], residual=residual, params=ev
    )
    headline = {
        "test_roc_auc": week["roc_auc"],
        "test_average_precision": week["average_precision"],
        "test_card_precision_100": week["card_precision_100"],
        "test_brier": week["brier"],
        "prequential_roc_auc": preq["mean"]["roc_auc"],
        "prequential_average_precision": preq["mean"]["average_precision"],
        "prequential_card_precision_100": preq["mean"]["card_precision_100"],
        "residual_fraud_count": residual.by_count,
        "residual_fraud_amount": residual.by_amount,
        "alerts_per_day": residual.alerts_per_day,
        "recall_at_budget": residual.recall,
    }
    result = EvaluationResult(
        headline=headline,
        test_week={
            **week,
            "days": [release.test_start, release.test_end - 1],
            "n_transactions": len(test),
            "n_frauds": int(y.sum()),
            "reliability": {k: v.tolist() for k, v in rel.__dict__.items()},
        },
        operating_point=operating,
        prequential=preq,
        kpi_curve=curve.to_dict(orient="records"),
        gate=gate,
        model_sha256=meta["model_sha256"],
        plots={},
        subgroups=fraud_governance.audit_rows(test, alerts),
    )
    if out_dir is not None:
        _write(result, Path(out_dir), y, score, rel, curve, meta, ev)
    if tracking_uri and meta.get("run_id"):
        _track(result, tracking_uri, meta["run_id"])
    progress(f"evaluated in {time.perf_counter() - start:.1f} s")
    return result


def _write(
    result: EvaluationResult,
    out_dir: Path,
    y: np.ndarray,
    score: np.ndarray,
    rel: metrics.Reliability,
    curve: pd.DataFrame,
    meta: dict[str, Any],
    ev: EvaluateParams,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    result.plots = {
        "pr_curve": str(plots.pr_curve(y, score, out_dir / "pr_curve.png", label=meta["family"])),
        "reliability": str(
            plots.reliability(rel, out_dir / "reliability.png", brier=result.headline["test_brier"])
        ),
        "kpi_vs_alerts": str(
            plots.kpi_vs_alerts(
                curve,
                out_dir / "kpi_vs_alerts.png",
                limit=ev.max_residual_fraud,
                budget=ev.alerts_per_day,
            )
        ),
    }
    with atomic_file(out_dir / KPI_FILE) as tmp:
        curve.to_csv(tmp, index=False)
    write_json(out_dir / REPORT_FILE, result.to_dict())
    write_json(out_dir / METRICS_FILE, {**result.headline, "gate_passed": result.gate.passed})


def _track(result: EvaluationResult, tracking_uri: str, run_id: str) -> None:
    from reference_impl import tracking

    tracking.log_to_run(
        tracking_uri,
        run_id,
        tags={"gate": "passed" if result.gate.passed else "failed"},
        metrics={k: v for k, v in result.headline.items() if np.isfinite(v)},
        per_fold={f"test_{k}": v for k, v in result.prequential["per_fold"].items()},
        dicts={"evaluation.json": result.to_dict()},
        files={path: "plots" for path in result.plots.values()},
    )


def load_evaluation(out_dir: Path | str) -> dict[str, Any]:
    """The full report (evaluation.json) of an evaluation.

    Raises:
        FileNotFoundError: `fraud evaluate` has not written one.
    """
    path = Path(out_dir) / REPORT_FILE
    if not path.is_file():
        raise MissingInputError(f"no evaluation at {path} (run `fraud evaluate` first)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
