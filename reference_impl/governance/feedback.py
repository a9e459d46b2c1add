"""The feedback loop of blocking: a declined payment never gets a fraud label.

A fraud label arrives when a cardholder disputes a payment (a chargeback). A payment the model
declines is never completed, so nobody disputes it: its label stays unknown, and a pipeline that
reads "no chargeback" as "legitimate" teaches the next model that the patterns the current model
catches are harmless (Sculley et al. 2015 call this a hidden feedback loop; Lakkaraju et al. 2017
the selective labels problem). Dropping the unlabelled rows is better but still biased: the next
model sees only the frauds the current one missed.

The remedy here: investigators check a random share of the declined payments (a call to the
cardholder reveals the truth), and each checked row counts 1/share in training, so the labelled
sample stands for all declines (inverse propensity weighting; Bottou et al. 2013).
"""

from __future__ import annotations

import numpy as np

from reference_impl.errors import InvalidInputError


def investigated(blocked: np.ndarray, *, share: float, seed: int = 0) -> np.ndarray:
    """A random `share` of the blocked rows, chosen independently of their score."""
    if not 0 <= share <= 1:
        raise InvalidInputError(f"investigated: share must be in [0, 1], not {share}")
    blocked = np.asarray(blocked, dtype=bool)
    return blocked & (np.random.default_rng(seed).random(len(blocked)) < share)


# --8<-- [start:observed]
def observed_labels(y: np.ndarray, blocked: np.ndarray, checked: np.ndarray) -> np.ndarray:
    """What the bank learns: the true label unless the row was blocked and not checked (NaN)."""
    y, blocked, checked = (np.asarray(a) for a in (y, blocked, checked))
    if not len(y) == len(blocked) == len(checked):
        raise InvalidInputError("observed_labels: y, blocked and checked differ in length")
    known = ~blocked.astype(bool) | checked.astype(bool)
    return np.where(known, y.astype(float), np.nan)


def training_weights(blocked: np.ndarray, checked: np.ndarray, *, share: float) -> np.ndarray:
    """Weight 1 for approved rows, 1/share for checked blocks, 0 for unknown ones."""
    if not 0 < share <= 1:
        raise InvalidInputError(f"training_weights: share must be in (0, 1], not {share}")
    blocked, checked = np.asarray(blocked, bool), np.asarray(checked, bool)
    return np.where(~blocked, 1.0, np.where(checked, 1.0 / share, 0.0))


# --8<-- [end:observed]


# --8<-- [start:three_way]
APPROVE, REVIEW, DECLINE = 0, 1, 2


def three_way(
    day: np.ndarray, score: np.ndarray, *, decline_per_day: int, review_per_day: int
) -> np.ndarray:
    """Per day: decline the top `decline_per_day` scores, refer the next `review_per_day` to a
    person (step-up authentication, an investigator's call), approve the rest."""
    if decline_per_day < 0 or review_per_day < 0:
        raise InvalidInputError("three_way: budgets cannot be negative")
    day, score = np.asarray(day), np.asarray(score, float)
    order = np.lexsort((-score, day))  # by day, then highest score first (stable)
    first_of_day = np.r_[True, day[order][1:] != day[order][:-1]]
    start = np.maximum.accumulate(np.where(first_of_day, np.arange(len(order)), 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - start  # 0 = the day's highest score
    return np.where(
        rank < decline_per_day,
        DECLINE,
        np.where(rank < decline_per_day + review_per_day, REVIEW, APPROVE),
    )


# --8<-- [end:three_way]
