"""Evaluate the lesion candidate on the patients `train` held out: screening report and gate.

The report answers what a screening service is asked: at the threshold chosen in training, how
many cancers are found (sensitivity) and how many benign lesions are spared (specificity), how
many biopsies per cancer (NNB); what a referral means at a screening prevalence of 1.8 % rather
than the training one (PPV, and probabilities recalibrated by the prior shift); whether the
probabilities are calibrated; how much a refer-to-dermatologist band lowers the error; and the
sensitivity per skin tone and device with patient-bootstrap intervals.

The gate is a sensitivity floor, overall and in every subgroup with enough data. AUC is reported
but gates nothing: a model can rank well on average and be blind on one skin tone.
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

from reference_impl.atomic import write_json
from reference_impl.errors import InvalidInputError, MissingInputError
from reference_impl.lesion import audit as aud
from reference_impl.lesion import metrics as sm
from reference_impl.lesion import plots
from reference_impl.lesion.model_params import EvaluateParams, TrainParams
from reference_impl.lesion.train import (
    EXPERIMENT,
    LABEL,
    PATIENT,
    check_frame,
    holdout,
    patients_digest,
)
from reference_impl.metrics import auc_roc, average_precision, brier, reliability

Progress = Callable[[str], None]
REPORT_FILE = "evaluation.json"
METRICS_FILE = "metrics.json"


def _quiet(_: str) -> None:
    return None


def screening_report(
    y: np.ndarray,
    proba: np.ndarray,
    *,
    threshold: float,
    train_prevalence: float,
    params: EvaluateParams,
) -> dict[str, Any]:
    """Every screening figure of one set of predictions (pure: no files, no model).

    `at_threshold` is what the service does (the threshold chosen in training);
    `specificity_at_95_sensitivity` is the best these predictions allow, with a threshold
    chosen on the same lesions: an upper bound, the figure to compare models by.
    """
    at = sm.operating_point(y, proba, threshold)
    best95 = sm.specificity_at_sensitivity(y, proba, 0.95)
    at_spec = sm.sensitivity_at_specificity(y, proba, params.specificity_target)
    screen = params.screening_prevalence
    adjusted = sm.adjust_to_prevalence(
        proba, train_prevalence=train_prevalence, target_prevalence=screen
    )
    referred = proba >= threshold
    rel = reliability(y, proba, n_bins=10, strategy="uniform")
    return {
        "n_images": len(y),
        "n_malignant": int(y.sum()),
        "prevalence": float(y.mean()),
        "roc_auc": auc_roc(y, proba),
        "average_precision": average_precision(y, proba),
        "brier": brier(y, proba),
        "ece": sm.expected_calibration_error(y, proba),
        "at_threshold": at.to_dict(),
        "specificity_at_95_sensitivity": best95.specificity,
        "sensitivity_at_specificity": {
            "specificity": at_spec.specificity,
            "sensitivity": at_spec.sensitivity,
        },
        "prevalence_shift": {
            "train_prevalence": train_prevalence,
            "screening_prevalence": screen,
            "ppv_train_prevalence": sm.ppv_at_prevalence(
                at.sensitivity, at.specificity, train_prevalence
            ),
            "ppv_screening_prevalence": sm.ppv_at_prevalence(
                at.sensitivity, at.specificity, screen
            ),
            "nnb_screening_prevalence": sm.nnb_at_prevalence(
                at.sensitivity, at.specificity, screen
            ),
            # The risk the model states for a referred lesion, before and after recalibration.
            "mean_risk_referred": float(proba[referred].mean()) if referred.any() else None,
            "mean_risk_referred_recalibrated": (
                float(adjusted[referred].mean()) if referred.any() else None
            ),
        },
        "reliability": {k: v.tolist() for k, v in rel.__dict__.items()},
        "abstention": [
            p.to_dict()
            for p in sm.abstention_curve(y, proba, threshold=threshold, coverages=params.coverages)
        ],
    }


@dataclass
class LesionEvaluation:
    """Everything `evaluation.json` holds."""

    headline: dict[str, float]
    report: dict[str, Any]
    audit: aud.Audit
    gate: aud.SensitivityGate
    family: str
    model_sha256: str
    plots: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        out = {
            "headline": self.headline,
            "report": self.report,
            "audit": self.audit.to_dict(),
            "gate": self.gate.to_dict(),
            "family": self.family,
            "model_sha256": self.model_sha256,
            "plots": self.plots,
        }
        return json.loads(json.dumps(out, default=float))


def held_out_rows(frame: pd.DataFrame, meta: dict[str, Any], train: TrainParams) -> pd.DataFrame:
    """The held-out patients' rows; refuses when they are not the ones `train` held out."""
    y, groups = frame[LABEL].to_numpy().astype(int), frame[PATIENT].to_numpy()
    _, test = holdout(y, groups, test_share=train.test_share, seed=train.random_state)
    if patients_digest(groups[test]) != meta["test_patients"]:
        raise InvalidInputError(
            "the held-out patients differ from those the candidate was trained without "
            "(other data or split parameters): re-run `lesion train`"
        )
    return frame.iloc[test]


def evaluate(
    frame: pd.DataFrame,
    model: Any,
    meta: dict[str, Any],
    *,
    train: TrainParams | None = None,
    params: EvaluateParams | None = None,
    out_dir: Path | str | None = None,
    tracking_uri: str | None = None,
    progress: Progress = _quiet,
) -> LesionEvaluation:
    """Score the candidate on its held-out patients, audit the subgroups, apply the gate.

    Raises:
        InvalidInputError: missing columns, or other held-out patients than in training.
    """
    train, ev = train or TrainParams(), params or EvaluateParams()
    start = time.perf_counter()
    columns = list(meta["feature_columns"])
    check_frame(frame, columns)
    missing = [a for a in ev.audit_attributes if a not in frame.columns]
    if missing:
        raise InvalidInputError(f"feature table lacks audit column(s) {', '.join(missing)}")
    test = held_out_rows(frame, meta, train)
    y = test[LABEL].to_numpy().astype(int)
    proba = np.asarray(model.predict_proba(test[columns])[:, 1])
    threshold = float(meta["threshold"])
    report = screening_report(
        y, proba, threshold=threshold, train_prevalence=meta["train_prevalence"], params=ev
    )
    audit = aud.subgroup_audit(
        y,
        proba >= threshold,
        test[PATIENT].to_numpy(),
        {a: test[a].to_numpy() for a in ev.audit_attributes},
        n_boot=ev.n_boot,
        confidence=ev.confidence,
        rule=aud.EnoughData(ev.min_malignant, ev.min_patients),
        seed=train.random_state,
    )
    at = report["at_threshold"]
    gate = aud.sensitivity_gate(
        audit,
        floor=ev.sensitivity_floor,
        overall_sensitivity=at["sensitivity"],
        use_lower_bound=ev.gate_on_lower_bound,
    )
    shift = report["prevalence_shift"]
    headline = {
        "roc_auc": report["roc_auc"],
        "average_precision": report["average_precision"],
        "brier": report["brier"],
        "ece": report["ece"],
        "sensitivity": at["sensitivity"],
        "specificity": at["specificity"],
        "nnb": at["nnb"],
        "specificity_at_95_sensitivity": report["specificity_at_95_sensitivity"],
        "ppv_train_prevalence": shift["ppv_train_prevalence"],
        "ppv_screening_prevalence": shift["ppv_screening_prevalence"],
        "min_judged_subgroup_sensitivity": min(
            (s.sensitivity for s in audit.subgroups if s.enough_data), default=float("nan")
        ),
    }
    result = LesionEvaluation(
        headline=headline,
        report=report,
        audit=audit,
        gate=gate,
        family=str(meta.get("family", "model")),
        model_sha256=str(meta.get("model_sha256", "")),
    )
    progress(
        f"held-out patients: AUC {headline['roc_auc']:.3f}, sensitivity "
        f"{at['sensitivity']:.3f}, specificity {at['specificity']:.3f} at the trained threshold"
    )
    if out_dir is not None:
        _write(result, Path(out_dir), y, proba, threshold, ev)
    if tracking_uri and meta.get("run_id"):
        _track(result, tracking_uri, meta["run_id"])
    progress(
        f"evaluated in {time.perf_counter() - start:.1f} s; gate "
        f"{'passed' if gate.passed else 'FAILED: ' + '; '.join(gate.reasons)}"
    )
    return result


def _write(
    result: LesionEvaluation,
    out_dir: Path,
    y: np.ndarray,
    proba: np.ndarray,
    threshold: float,
    ev: EvaluateParams,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    op = sm.operating_point(y, proba, threshold)
    rel = reliability(y, proba, n_bins=10, strategy="uniform")
    result.plots = {
        "roc": str(
            plots.roc(
                {result.family: (y, proba)},
                out_dir / "roc.png",
                points={f"trained threshold (sens {op.sensitivity:.2f})": op},
            )
        ),
        "subgroups": str(
            plots.subgroup_sensitivity(
                result.audit.subgroups,
                out_dir / "subgroup_sensitivity.png",
                floor=ev.sensitivity_floor,
                confidence=ev.confidence,
            )
        ),
        "reliability": str(
            plots.reliability(
                rel,
                out_dir / "reliability.png",
                brier=result.headline["brier"],
                label=result.family,
            )
        ),
        "abstention": str(
            plots.abstention(
                sm.abstention_curve(y, proba, threshold=threshold, coverages=ev.coverages),
                out_dir / "abstention.png",
            )
        ),
    }
    write_json(out_dir / REPORT_FILE, result.to_dict())
    write_json(
        out_dir / METRICS_FILE, {**result.to_dict()["headline"], "gate_passed": result.gate.passed}
    )


def _track(result: LesionEvaluation, tracking_uri: str, run_id: str) -> None:
    from reference_impl import tracking

    tracking.log_to_run(
        tracking_uri,
        run_id,
        experiment=EXPERIMENT,
        tags={"gate": "passed" if result.gate.passed else "failed"},
        metrics={
            f"test_{k}": float(v)
            for k, v in result.headline.items()
            if v is not None and np.isfinite(v)
        },
        dicts={"evaluation.json": result.to_dict()},
        files={path: "plots" for path in result.plots.values()},
    )


def load_evaluation(out_dir: Path | str) -> dict[str, Any]:
    """The evaluation.json of `lesion evaluate`.

    Raises:
        MissingInputError: none written yet.
    """
    path = Path(out_dir) / REPORT_FILE
    if not path.is_file():
        raise MissingInputError(f"no evaluation at {path} (run `lesion evaluate` first)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
