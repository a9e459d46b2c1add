"""The release gate: a deliberately bad model is blocked, a good one passes, reasons are clear."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from reference_impl import evaluate, schemas, splits
from reference_impl.params import Params, SplitParams
from reference_impl.train import decision_threshold, make_model

pytestmark = pytest.mark.slow
PARAMS = Params(split=SplitParams(n_folds=1))


def _meta(model: Any, frame: pd.DataFrame, fold: splits.Fold) -> dict[str, Any]:
    threshold, policy = decision_threshold(model, frame, fold, PARAMS)
    return {
        "train_days": [fold.train_start, fold.train_end - 1],
        "threshold": threshold,
        "threshold_policy": policy,
        "model_sha256": "test",
        "family": "test",
    }


def test_a_model_trained_on_shuffled_labels_is_blocked(
    small_features: pd.DataFrame, small_fold: splits.Fold
) -> None:
    """Does the gate block a model fit to shuffled labels, naming the AP floor and the KPI?"""
    rows = small_features.iloc[small_fold.train_idx]
    shuffled = np.random.default_rng(0).permutation(rows[schemas.LABEL].to_numpy())
    bad = make_model("logreg").fit(rows[list(schemas.FEATURE_COLUMNS)], shuffled)
    result = evaluate.evaluate(
        small_features, bad, _meta(bad, small_features, small_fold), params=PARAMS
    )
    assert not result.gate.passed
    text = " ".join(result.gate.reasons)
    # Even a model fit to shuffled labels ranks S1 (huge amounts) high: AP ≈ 0.3, and the count
    # KPI alone can pass; the AP floor and the amount KPI are what catch it.
    assert "average precision" in text and "residual fraud by amount" in text


def test_a_good_model_passes_and_meets_the_kpi_within_the_budget(
    fitted: dict[str, Pipeline], small_features: pd.DataFrame, small_fold: splits.Fold
) -> None:
    """Does the random forest pass: KPI ≤ 0.5 % by count and amount with ≤ 50 alerts a day?"""
    model = fitted["random_forest"]
    result = evaluate.evaluate(
        small_features, model, _meta(model, small_features, small_fold), params=PARAMS
    )
    assert result.gate.passed, result.gate.reasons
    residual = result.operating_point["residual_fraud"]
    assert residual["by_count"] <= 0.005 and residual["by_amount"] <= 0.005
    assert residual["alerts_per_day"] <= 50
