"""Time splits of reference_impl.splits: ordered, gapped, known cards removed, never leaking."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from reference_impl import schemas, splits


def _frame(n_days: int = 90, per_day: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = np.repeat(np.arange(n_days), per_day)
    return pd.DataFrame(
        {
            schemas.TX_TIME_DAYS: days,
            schemas.CUSTOMER_ID: rng.integers(0, 200, len(days)),
            schemas.LABEL: (rng.random(len(days)) < 0.05).astype("int8"),
        }
    )


@pytest.mark.parametrize("kind", ["test", "validation"])
def test_every_train_day_precedes_every_test_day_by_the_delay(kind: str) -> None:
    """Does each fold train strictly before it tests, with a gap of at least the delay?"""
    frame = _frame()
    days = frame[schemas.TX_TIME_DAYS].to_numpy()
    spec = splits.SplitSpec()
    for fold in splits.prequential_folds(frame, anchor_day=45, kind=kind):  # type: ignore[arg-type]
        assert days[fold.train_idx].max() < days[fold.test_idx].min()
        assert days[fold.test_idx].min() - days[fold.train_idx].max() > spec.delay_days
        assert np.unique(days[fold.train_idx]).size == spec.train_days
        assert np.unique(days[fold.test_idx]).size == spec.test_days


def test_folds_shift_by_one_block_and_validation_never_touches_test_blocks() -> None:
    """Do test folds move forward, validation folds backward, without overlapping test data?"""
    frame = _frame()
    test = splits.prequential_folds(frame, anchor_day=45, kind="test")
    valid = splits.prequential_folds(frame, anchor_day=45, kind="validation")
    assert [f.train_start for f in test] == [45, 52, 59, 66]
    assert [f.train_start for f in valid] == [31, 24, 17, 10]
    days = frame[schemas.TX_TIME_DAYS].to_numpy()
    first_test_day = min(days[f.test_idx].min() for f in test)
    assert max(days[f.test_idx].max() for f in valid) < first_test_day


def test_known_compromised_cards_are_removed_from_test_days() -> None:
    """Is a card with fraud known by the test day (train block .. day - delay) left out?"""
    rows = [
        # (day, card, fraud)
        (0, 1, 1),  # card 1 defrauded in training -> known on every test day
        (0, 2, 0),
        (7, 3, 1),  # delay day 7: known from test day 15 on (labels of days < day - 7)
        (14, 1, 0),
        (14, 2, 0),
        (14, 3, 0),  # day 14: label of day 7 not known yet -> card 3 kept
        (15, 3, 0),  # day 15: known -> removed
        (15, 4, 1),
    ]
    frame = pd.DataFrame(rows, columns=[schemas.TX_TIME_DAYS, schemas.CUSTOMER_ID, schemas.LABEL])
    spec = splits.SplitSpec(n_folds=1, test_days=2)
    (fold,) = splits.prequential_folds(frame, anchor_day=0, spec=spec, kind="test")
    kept = frame.iloc[fold.test_idx]
    assert list(zip(kept[schemas.TX_TIME_DAYS], kept[schemas.CUSTOMER_ID], strict=True)) == [
        (14, 2),
        (14, 3),
        (15, 4),
    ]
    (no_removal,) = splits.prequential_folds(
        frame, anchor_day=0, spec=spec, kind="test", remove_known_cards=False
    )
    assert len(no_removal.test_idx) == 5


def test_folds_outside_the_data_are_an_error() -> None:
    """Is a fold that needs days beyond the data refused with the days it needs?"""
    with pytest.raises(ValueError, match="data covers 0-89"):
        splits.prequential_folds(_frame(), anchor_day=70, kind="test")
    with pytest.raises(ValueError, match="validation fold"):
        splits.prequential_folds(_frame(), anchor_day=20, kind="validation")


def test_default_anchor_is_the_latest_fitting_one() -> None:
    """Does the default anchor put the last test fold on the last days of the data?"""
    spec = splits.SplitSpec()
    anchor = splits.default_anchor(90, spec)
    folds = splits.prequential_folds(_frame(), anchor_day=anchor, spec=spec)
    assert folds[-1].test_end == 90


def test_folds_work_as_scikit_learn_cv() -> None:
    """Can a scikit-learn search consume the folds as its `cv`?"""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    frame = _frame(seed=3)
    folds = splits.prequential_folds(frame, anchor_day=45, kind="validation")
    x = frame[[schemas.TX_TIME_DAYS]].to_numpy(float)
    scores = cross_val_score(
        LogisticRegression(), x, frame[schemas.LABEL], cv=splits.as_cv(folds), scoring="roc_auc"
    )
    assert len(scores) == 4


def _benchmark_module() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "reference_model.py"
    spec = importlib.util.spec_from_file_location("reference_model_benchmark", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_tests_on_the_handbooks_weeks() -> None:
    """Do the benchmark's test folds train from days 94, 101, 108, 115, as in the handbook?

    The handbook's latest fold trains from 2018-07-25 (day 115) and the others are shifted back
    one week each; the benchmark once shifted them forward (days 115-136), other weeks entirely.
    """
    frame = _frame(n_days=183, per_day=20)
    valid, test = _benchmark_module().folds(frame)
    assert [f.train_start for f in test] == [94, 101, 108, 115]
    days = frame[schemas.TX_TIME_DAYS].to_numpy()
    assert max(days[f.test_idx].max() for f in valid) < min(days[f.test_idx].min() for f in test)


def test_anchor_ending_at_puts_the_latest_fold_on_the_given_day() -> None:
    """Does the fold layout fixed by its latest training day end exactly there?"""
    spec = splits.SplitSpec(n_folds=3, test_days=5)
    anchor = splits.anchor_ending_at(60, spec)
    folds = splits.prequential_folds(_frame(), anchor_day=anchor, spec=spec)
    assert [f.train_start for f in folds] == [50, 55, 60]
