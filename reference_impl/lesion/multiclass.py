"""The 7-class mode's models: which of the HAM10000 diagnoses a lesion is (spec §4.2).

Six in ten lesions are nevi and one in a hundred a dermatofibroma, so a model that maximises
accuracy learns to say "nv". The figure that counts is the balanced multiclass accuracy (mean
per-class recall, `metrics.class_report`), and a model is trained or decided for it: the
logistic regression weighs each class by the inverse of its share, and the forest's votes are
divided by the class shares before the largest is taken (`BalancedDecision`: the rule that
maximises mean recall when the probabilities are right).

`cross_validate_classes` gives patient-grouped out-of-fold predictions, as `train.cross_validate`
does for the binary label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from reference_impl.errors import InvalidInputError
from reference_impl.lesion.train import cores

FAMILIES = ("majority", "logreg", "random_forest", "pixels")


class BalancedDecision(ClassifierMixin, BaseEstimator):
    """A classifier whose decision is argmax P(c | x) / share(c): its probabilities unchanged,
    its predictions aimed at the mean per-class recall instead of the accuracy.

    Args:
        estimator: any classifier with `predict_proba`.
    """

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: Any) -> BalancedDecision:
        """Fit the estimator and record the class shares of `y`."""
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        labels = np.asarray(y)
        self.class_share_ = np.array([np.mean(labels == c) for c in self.classes_])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The estimator's probabilities."""
        return np.asarray(self.estimator_.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The class with the largest probability relative to its share."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X) / self.class_share_, 1)])


def make_class_model(family: str, *, random_state: int = 0, n_jobs: int = 1) -> Pipeline:
    """An unfitted multi-class model of one family.

    `majority` (the baseline: always the most frequent class), `logreg` and `random_forest` take
    the ABCD feature columns; `pixels` takes images and downsamples them to 16×16.
    """
    if family == "majority":
        return make_pipeline(DummyClassifier(strategy="most_frequent"))
    if family == "logreg":
        return make_pipeline(
            StandardScaler(), LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")
        )
    if family == "random_forest":
        forest = RandomForestClassifier(
            n_estimators=200, min_samples_leaf=3, random_state=random_state, n_jobs=n_jobs
        )
        return make_pipeline(BalancedDecision(forest))
    if family == "pixels":
        from reference_impl.lesion.features import PixelFeatures

        return make_pipeline(
            PixelFeatures(size=16),
            StandardScaler(),
            LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced"),
        )
    raise InvalidInputError(f"unknown model family {family!r}; choose from {', '.join(FAMILIES)}")


def cross_validate_classes(
    model: Pipeline,
    X: Any,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    seed: int,
    n_splits: int = 5,
    n_jobs: int = 1,
) -> np.ndarray:
    """Out-of-fold predicted classes, patients kept whole (StratifiedGroupKFold on the class);
    native thread pools capped at `n_jobs` (BLAS threads spin on a busy machine).

    Raises:
        InvalidInputError: fewer patients than folds.
    """
    if len(np.unique(groups)) < n_splits:
        raise InvalidInputError(f"{len(np.unique(groups))} patients: too few for {n_splits} folds")
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    X = np.asarray(X)
    oof = np.empty(len(y), dtype=object)
    with cores(n_jobs):
        for fit_idx, test_idx in cv.split(X, y, groups):
            oof[test_idx] = clone(model).fit(X[fit_idx], y[fit_idx]).predict(X[test_idx])
    return oof.astype(str)
