"""The last check before the estimator: what the model computes from valid inputs must be finite.

Request validation checks each input, but a model may compute from valid inputs a value no
float64 can hold (an amount of 10^6 over a subnormal average of 5e-324 is `inf`), and
scikit-learn then raises inside the route: a 500. Here the model's preprocessing (every step
of a scikit-learn `Pipeline` but the last) runs once, its output is checked with one
`isfinite`, and only finite rows reach the estimator. A non-finite row is reported with the
derived features that overflowed and the input columns that caused it, so the API answers 422
naming the field; the other rows of the batch are scored as usual.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

# An ordinary value of every input column (an amount, a count, a flag, a share): replacing the
# culprit by it makes the row finite again.
_ORDINARY = 1.0
_MAX_EXPLAINED = 20  # rows explained in detail (the 422 lists at most 20 errors)


@dataclass(frozen=True)
class RowProblem:
    """Row `row` of a batch cannot be scored: `derived` are not finite, `inputs` caused it."""

    row: int
    derived: tuple[str, ...]
    inputs: tuple[str, ...]

    def message(self) -> str:
        if not self.derived:
            return "the model returns no finite score for this row"
        return f"makes the model's {', '.join(self.derived)} overflow (not finite)"


class NonFiniteError(ValueError):
    """Rows whose model-side features are not finite (see `RowProblem`)."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(f"row {first.row}: {', '.join(first.inputs) or 'input'} {first.message()}")


def _steps(model: Any) -> tuple[list[Any], Any]:
    """(preprocessing transformers, final estimator) of a Pipeline; ([], model) otherwise."""
    steps = getattr(model, "steps", None)
    if not isinstance(steps, list) or len(steps) < 2:
        return [], model
    prep = [t for _, t in steps[:-1] if t is not None and t != "passthrough"]
    return prep, steps[-1][1]


def _output_names(prep: list[Any], features: tuple[str, ...]) -> list[list[str] | None]:
    """Column names after each preprocessing step (None where a step cannot name them)."""
    names: list[str] | None = list(features)
    out: list[list[str] | None] = []
    for step in prep:
        try:
            names = [str(n) for n in step.get_feature_names_out(names)]
        except Exception:  # a step without feature names: its columns are numbered
            names = None
        out.append(names)
    return out


class GuardedModel:
    """Scores rows through `model`, setting aside those it would compute non-finite values for."""

    def __init__(self, model: Any, features: tuple[str, ...]) -> None:
        self.model = model
        self.features = features
        self._prep, self._final = _steps(model)
        self._names = _output_names(self._prep, features)

    def _prepare(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, ...]]]:  # noqa: N803
        """Run the preprocessing, dropping rows as soon as a step makes them non-finite.

        Every step is checked (scikit-learn's own steps refuse non-finite input, so an overflow
        must not reach the next one). Returns the finite output, the indices of its rows in
        `X`, and for each dropped row the names of the columns that were not finite.
        """
        index = np.arange(len(X))
        dropped: dict[int, tuple[str, ...]] = {}
        for step, names in zip(self._prep, self._names, strict=True):
            X = np.asarray(step.transform(X), dtype=np.float64)  # noqa: N806
            finite = np.isfinite(X).all(axis=1)
            if finite.all():
                continue
            for r in np.where(~finite)[0]:
                cols = np.where(~np.isfinite(X[r]))[0]
                dropped[int(index[r])] = tuple(
                    names[c] if names else f"derived feature {c}" for c in cols
                )
            X, index = X[finite], index[finite]  # noqa: N806
            if not len(X):
                break
        return X, index, dropped

    def score_rows(self, X: np.ndarray) -> tuple[np.ndarray, dict[int, RowProblem]]:  # noqa: N803
        """Fraud probabilities of the rows of `X`; NaN and a `RowProblem` for unscorable rows."""
        X = np.asarray(X, dtype=np.float64)  # noqa: N806
        with warnings.catch_warnings():
            # "X does not have valid feature names": checked once at load. Overflow: handled here.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            Xt, index, dropped = self._prepare(X)  # noqa: N806
            if not dropped:  # the common path: the same calls as Pipeline.predict_proba
                scores = np.asarray(self._final.predict_proba(Xt))[:, 1]
            else:
                scores = np.full(len(X), np.nan)
                if len(Xt):
                    scores[index] = np.asarray(self._final.predict_proba(Xt))[:, 1]
            problems = {
                int(i): RowProblem(int(i), (), ())
                for i in np.where(~np.isfinite(scores))[0]
                if int(i) not in dropped
            }
            if dropped:
                problems.update(self._explain(X, dropped))
        return scores, dict(sorted(problems.items()))

    def _explain(
        self,
        X: np.ndarray,  # noqa: N803
        dropped: dict[int, tuple[str, ...]],
    ) -> dict[int, RowProblem]:
        """Per dropped row: the inputs that caused it.

        An input caused it if setting it alone to an ordinary value makes the row finite
        (one pass of 15 perturbed copies per row, on the error path only).
        """
        rows = sorted(dropped)
        explained = rows[:_MAX_EXPLAINED]
        n = X.shape[1]
        copies = np.repeat(X[explained], n, axis=0)
        copies[np.arange(len(copies)), np.tile(np.arange(n), len(explained))] = _ORDINARY
        _, _, still_bad = self._prepare(copies)
        problems = {}
        for k, i in enumerate(rows):
            causes: tuple[str, ...] = ()
            if k < len(explained):
                causes = tuple(self.features[j] for j in range(n) if k * n + j not in still_bad)
            problems[i] = RowProblem(i, dropped[i], causes)
        return problems
