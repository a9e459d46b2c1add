"""Global explanations of a fitted model: permutation importance and partial dependence.

Model-agnostic (any object with `predict_proba`, or a `score` function you pass) and
domain-free: the fraud lessons (4.3) and the governance module use the same two functions.

- `permutation_importance`: shuffle a column (or a *group* of columns together) in held-out
  data and measure how much the metric drops (Breiman 2001; Fisher, Rudin and Dominici 2019).
  Groups matter when features are correlated: shuffling one of three correlated columns leaves
  the other two carrying the information, so each looks less important than the group.
- `partial_dependence`: the average score as one feature is set to each grid value, the other
  features kept as they are in the data (Friedman 2001), plus the individual (ICE) curves of a
  few rows (Goldstein et al. 2015). The same numbers as scikit-learn's
  `sklearn.inspection.partial_dependence(..., method="brute", kind="both")`, on a grid you choose.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reference_impl.errors import InvalidInputError
from reference_impl.metrics import average_precision

Score = Callable[[Any, pd.DataFrame], np.ndarray]
Metric = Callable[[np.ndarray, np.ndarray], float]


def positive_proba(model: Any, X: pd.DataFrame) -> np.ndarray:
    """The default score: the predicted probability of the positive class."""
    return np.asarray(model.predict_proba(X)[:, 1], dtype=float)


@dataclass(frozen=True)
class Importance:
    """How much the metric drops when `columns` are shuffled together (one name per row)."""

    name: str
    columns: tuple[str, ...]
    drops: tuple[float, ...]  # one per repeat: baseline metric - metric after shuffling

    @property
    def mean(self) -> float:
        return float(np.mean(self.drops))

    @property
    def std(self) -> float:
        return float(np.std(self.drops))

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "mean": self.mean, "std": self.std}


@dataclass(frozen=True)
class ImportanceResult:
    """Permutation importances, largest mean drop first."""

    baseline: float  # the metric on the unshuffled data
    n_rows: int
    n_repeats: int
    importances: tuple[Importance, ...]

    def __getitem__(self, name: str) -> Importance:
        for imp in self.importances:
            if imp.name == name:
                return imp
        raise KeyError(name)

    def ranking(self) -> list[str]:
        return [imp.name for imp in self.importances]

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "n_rows": self.n_rows,
            "n_repeats": self.n_repeats,
            "importances": {imp.name: imp.to_dict() for imp in self.importances},
        }


def _check_frame(X: pd.DataFrame, columns: Sequence[str], who: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise InvalidInputError(f"{who}: X must be a pandas DataFrame, not {type(X).__name__}")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InvalidInputError(f"{who}: no column(s) {missing} in X")
    if len(X) == 0:
        raise InvalidInputError(f"{who}: X has no rows")


# --8<-- [start:permutation]
def permutation_importance(
    model: Any,
    X: pd.DataFrame,
    y: Sequence[int] | np.ndarray,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    metric: Metric = average_precision,
    score: Score = positive_proba,
    n_repeats: int = 5,
    random_state: int = 0,
) -> ImportanceResult:
    """Drop of `metric` when each column of X (and each group of columns) is shuffled.

    Args:
        model: a fitted model; `score(model, X)` gives one score per row.
        X: held-out rows (never the training rows: that measures memorisation).
        y: their labels.
        groups: extra entries shuffled together, e.g. {"terminal risk": [3 columns]};
            the rows of a group keep their joint values, only their link to the rest breaks.
        metric: `metric(y, score)`, higher is better (default: average precision).
        n_repeats: shuffles per entry; the spread over repeats is the noise of the estimate.
    """
    y = np.asarray(y)
    entries = {str(c): [str(c)] for c in X.columns} | {
        name: list(cols) for name, cols in (groups or {}).items()
    }
    _check_frame(X, [c for cols in entries.values() for c in cols], "permutation_importance")
    if len(y) != len(X):
        raise InvalidInputError(f"permutation_importance: {len(y)} labels for {len(X)} rows")
    if n_repeats < 1:
        raise InvalidInputError("permutation_importance: n_repeats must be >= 1")
    rng = np.random.default_rng(random_state)
    baseline = metric(y, score(model, X))
    shuffled = X.copy()
    out = []
    for name, cols in entries.items():
        drops = []
        for _ in range(n_repeats):
            order = rng.permutation(len(X))  # one order for the whole group: rows stay joint
            shuffled[cols] = X[cols].to_numpy()[order]
            drops.append(baseline - metric(y, score(model, shuffled)))
        shuffled[cols] = X[cols].to_numpy()  # restore before the next entry
        out.append(Importance(name, tuple(cols), tuple(float(d) for d in drops)))
    out.sort(key=lambda imp: imp.mean, reverse=True)
    return ImportanceResult(float(baseline), len(X), n_repeats, tuple(out))


# --8<-- [end:permutation]


@dataclass(frozen=True)
class PartialDependence:
    """Average score (and a few ICE curves) as `feature` takes each value of `grid`."""

    feature: str
    grid: tuple[float, ...]
    average: tuple[float, ...]
    ice: tuple[tuple[float, ...], ...]  # one curve per sampled row, same length as grid
    share_in_range: tuple[float, ...]  # share of data rows at or below each grid value

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "grid": list(self.grid),
            "average": list(self.average),
            "ice": [list(c) for c in self.ice],
            "share_in_range": list(self.share_in_range),
        }


# --8<-- [start:partial]
def partial_dependence(
    model: Any,
    X: pd.DataFrame,
    feature: str,
    *,
    grid: Sequence[float] | None = None,
    n_grid: int = 20,
    n_ice: int = 0,
    score: Score = positive_proba,
    random_state: int = 0,
) -> PartialDependence:
    """Average `score` over X with `feature` set to each grid value (brute force).

    Args:
        grid: the values to try; default `n_grid` quantiles of the feature from 5 % to 95 %
            (outside the data's range a PDP shows combinations that never occur).
        n_ice: how many rows (sampled) also get their individual curve.
    """
    _check_frame(X, [feature], "partial_dependence")
    values = X[feature].to_numpy(dtype=float)
    if grid is None:
        points = np.unique(np.quantile(values, np.linspace(0.05, 0.95, n_grid)))
    else:
        points = np.asarray(grid, dtype=float)
    if points.ndim != 1 or len(points) == 0 or not np.isfinite(points).all():
        raise InvalidInputError("partial_dependence: grid must be a non-empty list of numbers")
    rng = np.random.default_rng(random_state)
    ice_rows = rng.choice(len(X), size=min(n_ice, len(X)), replace=False)
    varied = X.copy()
    curves = np.empty((len(points), len(X)))
    for i, value in enumerate(points):
        varied[feature] = value  # every row gets the same value; the rest stays as observed
        curves[i] = score(model, varied)
    return PartialDependence(
        feature=feature,
        grid=tuple(float(v) for v in points),
        average=tuple(float(v) for v in curves.mean(axis=1)),
        ice=tuple(tuple(float(v) for v in curves[:, r]) for r in ice_rows),
        share_in_range=tuple(float((values <= v).mean()) for v in points),
    )


# --8<-- [end:partial]
