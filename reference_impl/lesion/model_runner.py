"""Runners of the lesion system's model stages: train and evaluate (the data stages are in
`lesion.runner`). Same shape as `reference_impl.runner`: `run_<stage>(*, settings, params,
progress) -> <Stage>Result`, a frozen result whose `to_dict()` is what `--json` prints, expected
failures as `errors.DomainError` subclasses.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reference_impl.errors import GateFailed, InvalidInputError, MissingInputError
from reference_impl.lesion.config import LesionSettings
from reference_impl.lesion.params import LesionParams
from reference_impl.runner import Progress, StageResult, quiet

# The feature table `lesion.runner.run_features` writes (names repeated: that module imports us).
FEATURES_FILE = "features.parquet"
FEATURES_META = "features.json"


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


def load_features(features_dir: Path) -> tuple[pd.DataFrame, list[str], str]:
    """The feature table of `lesion features`, its feature columns and its dataset hash.

    Raises:
        MissingInputError: no feature table (run `lesion features`).
        InvalidInputError: its metadata file does not name the feature columns.
    """
    table, meta_path = features_dir / FEATURES_FILE, features_dir / FEATURES_META
    if not table.is_file() or not meta_path.is_file():
        raise MissingInputError(f"no feature table at {features_dir} (run `lesion features`)")
    meta = json.loads(meta_path.read_text())
    names = meta.get("feature_names") or meta.get("features")
    if not names:
        raise InvalidInputError(f"{meta_path} does not list the feature columns")
    return pd.read_parquet(table), list(names), str(meta.get("dataset_hash", "unknown"))


@dataclass(frozen=True)
class LesionTrainResult(StageResult):
    """The candidate: family, operating threshold, and the families' out-of-fold figures."""

    candidate_dir: Path
    family: str
    threshold: float
    target_sensitivity: float
    oof_auc: dict[str, float]
    oof_specificity_at_sensitivity: dict[str, float]
    n_dev: int
    n_test: int
    run_id: str | None


def run_train(
    *, settings: LesionSettings, params: LesionParams, progress: Progress = quiet
) -> LesionTrainResult:
    """Hold out patients, cross-validate the families by patient, save the candidate.

    Raises:
        MissingInputError: no feature table.
        InvalidInputError: bad table (columns, NaN, one class, too few patients).
    """
    from reference_impl import registry
    from reference_impl.lesion import train

    start = time.perf_counter()
    frame, columns, digest = load_features(settings.features_dir)
    cand = train.train(
        frame,
        columns,
        params=params.train,
        data_hash=digest,
        tracking_uri=settings.tracking,
        progress=progress,
    )
    target = settings.candidate_dir
    registry.save_candidate(cand.model, cand.to_dict(), target)
    return LesionTrainResult(
        seconds=_since(start),
        candidate_dir=target,
        family=cand.family,
        threshold=cand.threshold,
        target_sensitivity=cand.target_sensitivity,
        oof_auc={r.family: r.oof_auc for r in cand.selection},
        oof_specificity_at_sensitivity={
            r.family: r.specificity_at_sensitivity for r in cand.selection
        },
        n_dev=cand.n_dev,
        n_test=cand.n_test,
        run_id=cand.run_id,
    )


@dataclass(frozen=True)
class LesionEvaluateResult(StageResult):
    """Headline screening figures, the gate's outcome and where the report went."""

    out_dir: Path
    headline: dict[str, Any]
    gate_passed: bool
    gate_reasons: list[str]
    not_judged: list[str]


def run_evaluate(
    *, settings: LesionSettings, params: LesionParams, progress: Progress = quiet
) -> LesionEvaluateResult:
    """Screening report, subgroup audit and plots; the sensitivity gate decides the exit.

    Raises:
        GateFailed: a judged subgroup (or the whole) is below the floor (reports written first).
        MissingInputError: no candidate or no feature table.
    """
    from reference_impl import registry
    from reference_impl.lesion import evaluate

    start = time.perf_counter()
    model, meta = registry.load_candidate(settings.candidate_dir, command="lesion train")
    frame, _, _ = load_features(settings.features_dir)
    out_dir = settings.evaluation_dir
    res = evaluate.evaluate(
        frame,
        model,
        meta,
        train=params.train,
        params=params.evaluate,
        out_dir=out_dir,
        tracking_uri=settings.tracking,
        progress=progress,
    )
    if not res.gate.passed:
        raise GateFailed("gate failed: " + "; ".join(res.gate.reasons))
    return LesionEvaluateResult(
        seconds=_since(start),
        out_dir=out_dir,
        headline=res.to_dict()["headline"],
        gate_passed=res.gate.passed,
        gate_reasons=res.gate.reasons,
        not_judged=res.gate.not_judged,
    )
