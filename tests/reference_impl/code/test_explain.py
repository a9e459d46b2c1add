"""reference_impl.explain: permutation importance and partial dependence on small known models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import partial_dependence as sk_partial_dependence
from sklearn.linear_model import LogisticRegression

from reference_impl.errors import InvalidInputError
from reference_impl.explain import partial_dependence, permutation_importance


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    """`signal` decides the label, `copy` is a near-duplicate of it, `noise` is unrelated."""
    rng = np.random.default_rng(0)
    n = 2000
    signal = rng.normal(size=n)
    y = (signal + 0.5 * rng.normal(size=n) > 1.0).astype(int)
    X = pd.DataFrame(
        {"signal": signal, "copy": signal + 0.01 * rng.normal(size=n), "noise": rng.normal(size=n)}
    )
    return X, y


class OnlySignal:
    """A model that reads `signal` only (the other columns cannot matter to it)."""

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = 1 / (1 + np.exp(-3 * (X["signal"].to_numpy() - 1.0)))
        return np.column_stack([1 - p, p])


def test_a_column_the_model_never_reads_has_zero_importance(data) -> None:
    X, y = data
    result = permutation_importance(OnlySignal(), X, y, n_repeats=3)
    assert result.ranking()[0] == "signal"
    assert result["signal"].mean > 0.3
    assert result["noise"].drops == (0.0, 0.0, 0.0)
    assert result["copy"].drops == (0.0, 0.0, 0.0)


def test_correlated_columns_share_importance_and_a_group_shows_it(data) -> None:
    """Does shuffling a correlated group together show what each member alone hides?"""
    X, y = data
    model = LogisticRegression().fit(X, y)
    result = permutation_importance(
        model, X, y, groups={"signal+copy": ["signal", "copy"]}, n_repeats=3
    )
    group = result["signal+copy"].mean
    assert result.ranking()[0] == "signal+copy"
    assert group > 2 * max(result["signal"].mean, result["copy"].mean)
    assert result.baseline > 0.8
    assert result.to_dict()["importances"]["signal+copy"]["columns"] == ["signal", "copy"]


def test_same_seed_same_drops_and_the_input_is_left_untouched(data) -> None:
    X, y = data
    before = X.copy()
    model = LogisticRegression().fit(X, y)
    a = permutation_importance(model, X, y, n_repeats=2, random_state=4)
    b = permutation_importance(model, X, y, n_repeats=2, random_state=4)
    assert a == b
    pd.testing.assert_frame_equal(X, before)


def test_partial_dependence_equals_scikit_learn_brute_force(data) -> None:
    X, y = data
    model = LogisticRegression().fit(X, y)
    grid = [-1.0, 0.0, 1.0, 2.0]
    ours = partial_dependence(model, X, "signal", grid=grid, n_ice=5)
    theirs = sk_partial_dependence(
        model, X, ["signal"], method="brute", kind="both", custom_values={"signal": grid}
    )
    np.testing.assert_allclose(ours.average, theirs["average"][0], rtol=1e-12)
    assert len(ours.ice) == 5 and all(len(c) == len(grid) for c in ours.ice)
    assert any(np.allclose(c, row) for c in ours.ice for row in theirs["individual"][0])
    assert ours.average[0] < ours.average[-1]  # the label rises with the signal
    assert ours.share_in_range[0] < ours.share_in_range[-1]


def test_default_grid_stays_within_the_data(data) -> None:
    X, _ = data
    pd_ = partial_dependence(OnlySignal(), X, "noise", n_grid=10)
    lo, hi = np.quantile(X["noise"], [0.05, 0.95])
    assert len(pd_.grid) == 10 and lo - 1e-12 <= min(pd_.grid) and max(pd_.grid) <= hi + 1e-12
    assert max(pd_.average) - min(pd_.average) == 0.0  # the model ignores `noise`


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X, y: permutation_importance(OnlySignal(), X, y[:10]), "10 labels"),
        (lambda X, y: permutation_importance(OnlySignal(), X, y, n_repeats=0), "n_repeats"),
        (
            lambda X, y: permutation_importance(OnlySignal(), X, y, groups={"g": ["nope"]}),
            "nope",
        ),
        (lambda X, y: partial_dependence(OnlySignal(), X, "nope"), "nope"),
        (lambda X, y: partial_dependence(OnlySignal(), X, "signal", grid=[]), "grid"),
        (lambda X, y: partial_dependence(OnlySignal(), X.to_numpy(), "signal"), "DataFrame"),
    ],
)
def test_bad_input_is_a_one_line_error(data, call, message) -> None:
    X, y = data
    with pytest.raises(InvalidInputError, match=message) as info:
        call(X, y)
    assert "\n" not in str(info.value)
