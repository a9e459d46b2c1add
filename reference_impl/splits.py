"""Time-ordered splits: train 7 days, delay 7, test 7, prequential folds (spec §1.3, §4.1).

A fold trains on `train_days` consecutive days, skips `delay_days` (labels of those days are not
known yet when the model is trained), and assesses on the next `test_days`. From each test day,
the cards already known to be compromised are removed (fraud seen from the training block up to
the test day minus the delay): an investigator would have blocked them already.

Test folds start at `anchor_day` and move *forward* one block per fold; validation folds (for
model selection) start `delay_days + test_days` earlier and move *backward*, so no validation
block ever overlaps a test block (the handbook's chapter 5 layout). Folds are positional index
arrays into the frame they were built from, directly usable as ``cv=`` in scikit-learn searches.
Random K-fold is never used: it would train on the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from reference_impl import schemas
from reference_impl.errors import InvalidInputError


@dataclass(frozen=True)
class SplitSpec:
    """Lengths (in days) of the blocks of one fold and the number of folds."""

    train_days: int = 7
    delay_days: int = schemas.DEFAULT_DELAY_DAYS
    test_days: int = 7
    n_folds: int = 4

    def __post_init__(self) -> None:
        if min(self.train_days, self.test_days, self.n_folds) < 1 or self.delay_days < 0:
            raise ValueError(f"invalid split lengths: {self}")

    @property
    def fold_span(self) -> int:
        """Days covered by one fold, first training day to last test day."""
        return self.train_days + self.delay_days + self.test_days

    @property
    def step(self) -> int:
        """Days between the starts of consecutive folds (one test block)."""
        return self.test_days


@dataclass(frozen=True)
class Fold:
    """One fold: its day ranges (half-open) and the positional indices of its rows."""

    train_start: int
    test_start: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    spec: SplitSpec

    @property
    def train_end(self) -> int:
        """First day after the training block."""
        return self.train_start + self.spec.train_days

    @property
    def test_end(self) -> int:
        """First day after the test block."""
        return self.test_start + self.spec.test_days

    def as_cv(self) -> tuple[np.ndarray, np.ndarray]:
        """The `(train, test)` pair scikit-learn's `cv=` expects."""
        return self.train_idx, self.test_idx

    def describe(self) -> str:
        """One line, e.g. ``train 115-121 | test 129-135 (58264 tx)``."""
        return (
            f"train {self.train_start}-{self.train_end - 1} ({len(self.train_idx)} tx) | "
            f"test {self.test_start}-{self.test_end - 1} ({len(self.test_idx)} tx)"
        )


def block_without_known_cards(
    days: np.ndarray,
    cards: np.ndarray,
    fraud: np.ndarray,
    *,
    labels_from: int,
    start: int,
    n_days: int,
    delay_days: int,
) -> np.ndarray:
    """Positional indices of days [start, start + n_days) minus the cards known as compromised.

    On day `d`, the labels of days in [labels_from, d - delay_days) are known: a card with a
    fraud among them has been blocked already, so its transactions are left out.
    """
    fraud = fraud.astype(bool)
    parts = []
    for day in range(start, start + n_days):
        today = np.flatnonzero(days == day)
        known_window = (days >= labels_from) & (days < day - delay_days) & fraud
        if known_window.any():
            today = today[~np.isin(cards[today], np.unique(cards[known_window]))]
        parts.append(today)
    return np.concatenate(parts).astype(np.int64) if parts else np.array([], dtype=np.int64)


def make_fold(
    days: np.ndarray,
    cards: np.ndarray,
    fraud: np.ndarray,
    train_start: int,
    spec: SplitSpec,
    *,
    remove_known_cards: bool = True,
) -> Fold:
    """Build one fold whose training block starts on `train_start` (a day number)."""
    train_end = train_start + spec.train_days
    test_start = train_end + spec.delay_days
    train_idx = np.flatnonzero((days >= train_start) & (days < train_end))
    if remove_known_cards:
        # The handbook counts known frauds from the start of the training block.
        test_idx = block_without_known_cards(
            days,
            cards,
            fraud,
            labels_from=train_start,
            start=test_start,
            n_days=spec.test_days,
            delay_days=spec.delay_days,
        )
    else:
        test_idx = np.flatnonzero((days >= test_start) & (days < test_start + spec.test_days))
    return Fold(train_start, test_start, train_idx, test_idx.astype(np.int64), spec)


def split_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, card and label arrays of a frame (ValueError naming any missing column)."""
    missing = {schemas.TX_TIME_DAYS, schemas.CUSTOMER_ID, schemas.LABEL} - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks the columns needed for splitting: {sorted(missing)}")
    return (
        frame[schemas.TX_TIME_DAYS].to_numpy(),
        frame[schemas.CUSTOMER_ID].to_numpy(),
        frame[schemas.LABEL].to_numpy(),
    )


def default_anchor(n_days: int, spec: SplitSpec) -> int:
    """Latest anchor (first test-fold training day) whose last test fold still fits the data."""
    return n_days - spec.fold_span - spec.step * (spec.n_folds - 1)


def anchor_ending_at(last_train_start: int, spec: SplitSpec) -> int:
    """Anchor whose *latest* test fold trains from `last_train_start`.

    The handbook (and spec §1.8) fixes the latest fold, 2018-07-25 = day 115, and shifts the
    others back one block each (folds 94, 101, 108, 115); our anchor is the earliest fold.
    """
    return last_train_start - spec.step * (spec.n_folds - 1)


def prequential_folds(
    frame: pd.DataFrame,
    *,
    anchor_day: int,
    spec: SplitSpec | None = None,
    kind: Literal["test", "validation"] = "test",
    remove_known_cards: bool = True,
) -> list[Fold]:
    """Prequential folds over a time-sorted frame (columns day, customer, label).

    `kind="test"`: fold i trains from `anchor_day + i·step` (forward in time).
    `kind="validation"`: fold i trains from `anchor_day - delay - test - i·step` (backward), so
    every validation block ends before the first test block starts.
    Raises ValueError if a fold falls outside the data or is empty.
    """
    spec = spec or SplitSpec()
    days, cards, fraud = split_arrays(frame)
    first, last = int(days.min()), int(days.max())
    if kind == "test":
        starts = [anchor_day + i * spec.step for i in range(spec.n_folds)]
    elif kind == "validation":
        base = anchor_day - spec.delay_days - spec.test_days
        starts = [base - i * spec.step for i in range(spec.n_folds)]
    else:
        raise ValueError(f"unknown fold kind {kind!r}")
    folds = []
    for start in starts:
        if start < first or start + spec.fold_span - 1 > last:
            raise InvalidInputError(
                f"{kind} fold starting on day {start} needs days {start}-"
                f"{start + spec.fold_span - 1}; the data covers {first}-{last}"
            )
        fold = make_fold(days, cards, fraud, start, spec, remove_known_cards=remove_known_cards)
        if len(fold.train_idx) == 0 or len(fold.test_idx) == 0:
            raise InvalidInputError(f"{kind} fold starting on day {start} is empty")
        folds.append(fold)
    return folds


def as_cv(folds: list[Fold]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds as the list of `(train, test)` index pairs scikit-learn's `cv=` accepts."""
    return [f.as_cv() for f in folds]
