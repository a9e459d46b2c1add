"""The candidate's decision threshold: from the alert budget on unlabelled recent days, or costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reference_impl import metrics, schemas, splits
from reference_impl.params import Params
from reference_impl.train import decision_threshold, fraud_score, make_model


def _frame(n_days: int = 30, per_day: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = n_days * per_day
    frame = pd.DataFrame(rng.random((n, 15)), columns=list(schemas.FEATURE_COLUMNS))
    frame[schemas.TX_TIME_DAYS] = np.repeat(np.arange(n_days), per_day)
    frame[schemas.CUSTOMER_ID] = rng.integers(0, 500, n)
    frame[schemas.LABEL] = (frame[schemas.TX_AMOUNT] + 0.3 * rng.random(n) > 1.1).astype("int8")
    return frame


def test_budget_threshold_gives_the_budget_on_the_delay_days() -> None:
    """Does the budget threshold raise about `alerts_per_day` alerts a day on the delay block?"""
    frame = _frame()
    spec = splits.SplitSpec(n_folds=1)
    (fold,) = splits.prequential_folds(frame, anchor_day=5, spec=spec)
    rows = frame.iloc[fold.train_idx]
    model = make_model("logreg").fit(rows[list(schemas.FEATURE_COLUMNS)], rows[schemas.LABEL])
    params = Params.model_validate({"evaluate": {"alerts_per_day": 10}})
    threshold, policy = decision_threshold(model, frame, fold, params)
    assert policy == "budget"
    # The delay days 12-18, without the cards already known as compromised on each day.
    idx = splits.block_without_known_cards(
        *splits.split_arrays(frame), labels_from=5, start=12, n_days=7, delay_days=7
    )
    assert frame.iloc[idx][schemas.TX_TIME_DAYS].unique().tolist() == list(range(12, 19))
    assert (fraud_score(model, frame.iloc[idx]) >= threshold).sum() == 10 * 7


def test_cost_policy_uses_the_elkan_threshold() -> None:
    """Does the cost policy block iff p > c_fp / (c_fp + c_fn), whatever the data?"""
    frame = _frame()
    (fold,) = splits.prequential_folds(frame, anchor_day=5, spec=splits.SplitSpec(n_folds=1))
    params = Params.model_validate(
        {"evaluate": {"threshold_policy": "cost", "c_fp": 1.0, "c_fn": 19.0}}
    )
    threshold, policy = decision_threshold(None, frame, fold, params)
    assert (threshold, policy) == (metrics.cost_threshold(c_fp=1.0, c_fn=19.0), "cost")
    assert threshold == 0.05
