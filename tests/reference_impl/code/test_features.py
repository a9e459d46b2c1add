"""Batch features: point-in-time (no leakage), equal to an obvious slow implementation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
)

from reference_impl import schemas as s
from reference_impl.features import (
    CustomerSpendingFeatures,
    TerminalRiskFeatures,
    TimeFeatures,
    build_features,
)
from reference_impl.simulate import Simulation

DAY = dt.timedelta(days=1)


def slow_features(tx: pd.DataFrame, delay_days: int, windows: tuple[int, ...]) -> pd.DataFrame:
    """The definition, row by row: compare every pair of rows of one customer / terminal."""
    rows = list(tx.assign(TX_DATETIME=tx[s.TX_DATETIME].dt.to_pydatetime()).itertuples(index=False))
    by_customer: dict[int, list[int]] = {}
    by_terminal: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        by_customer.setdefault(r.CUSTOMER_ID, []).append(i)
        by_terminal.setdefault(r.TERMINAL_ID, []).append(i)
    out = []
    for i, r in enumerate(rows):
        t = r.TX_DATETIME
        feats: dict[str, float] = {
            s.TX_DURING_WEEKEND: int(t.weekday() >= 5),
            s.TX_DURING_NIGHT: int(t.hour <= 6),
        }
        for n in windows:
            mine = []
            for j in by_customer[r.CUSTOMER_ID]:
                u = rows[j].TX_DATETIME
                same_time_later = u == t and j > i  # a tie: only earlier rows are history
                if t - n * DAY < u <= t and not same_time_later:
                    mine.append(rows[j])
            feats[s.customer_nb_tx(n)] = len(mine)
            feats[s.customer_avg_amount(n)] = (
                sum(round(m.TX_AMOUNT * 100) for m in mine) / 100 / len(mine)
            )
            lo, hi = t - (delay_days + n) * DAY, t - delay_days * DAY
            seen = [rows[j] for j in by_terminal[r.TERMINAL_ID] if lo < rows[j].TX_DATETIME <= hi]
            feats[s.terminal_nb_tx(n)] = len(seen)
            feats[s.terminal_risk(n)] = sum(m.TX_FRAUD for m in seen) / len(seen) if seen else 0.0
        out.append(feats)
    return pd.DataFrame(out, index=tx.index)


@pytest.fixture(scope="module")
def tiny_tx(tiny_sim: Simulation) -> pd.DataFrame:
    return tiny_sim.transactions


@pytest.fixture(scope="module")
def tiny_features(tiny_tx: pd.DataFrame) -> pd.DataFrame:
    return build_features(tiny_tx)


def test_output_is_input_plus_the_14_engineered_columns(
    tiny_tx: pd.DataFrame, tiny_features: pd.DataFrame
) -> None:
    """Does build_features keep the input and add exactly the handbook's 14 columns?"""
    assert list(tiny_features.columns) == [*tiny_tx.columns, *s.ENGINEERED_COLUMNS]
    assert len(s.FEATURE_COLUMNS) == 15 and set(s.FEATURE_COLUMNS) <= set(tiny_features.columns)
    pd.testing.assert_frame_equal(tiny_features[list(tiny_tx.columns)], tiny_tx)
    assert not tiny_features[list(s.FEATURE_COLUMNS)].isna().any().any()


@pytest.mark.parametrize(("delay_days", "windows"), [(7, (1, 7, 30)), (2, (1, 3))])
def test_batch_equals_the_slow_definition(
    tiny_tx: pd.DataFrame, delay_days: int, windows: tuple[int, ...]
) -> None:
    """Do the vectorised windows match a row-by-row reading of the definition (ties included)?"""
    keep = (tiny_tx[s.TX_TIME_DAYS] < 16) & (tiny_tx[s.CUSTOMER_ID] < 200)
    tx = tiny_tx[keep].copy()
    # Same customer, same second: the earlier row must not see the later one.
    dup = tx.iloc[[100]].assign(TRANSACTION_ID=len(tiny_tx), TX_AMOUNT=999.99)
    # Rows exactly on window edges: n days before (excluded) / d days before (included).
    late = tx[tx[s.TX_TIME_DAYS] == 12].iloc[0]
    edges = pd.DataFrame([late] * 4).reset_index(drop=True)
    edges[s.TX_DATETIME] -= pd.to_timedelta([1, 3, delay_days, delay_days + 1], unit="D")
    edges[s.TRANSACTION_ID] = np.arange(4) + len(tiny_tx) + 1
    edges[s.TX_FRAUD] = np.int8(1)
    tx = pd.concat([tx.iloc[:101], dup, tx.iloc[101:], edges], ignore_index=True)
    tx = tx.sort_values(s.TX_DATETIME, kind="stable", ignore_index=True)
    fast = (
        TimeFeatures()
        .fit_transform(tx)
        .pipe(CustomerSpendingFeatures(windows=windows).fit_transform)
        .pipe(TerminalRiskFeatures(windows=windows, delay_days=delay_days).fit_transform)
    )
    slow = slow_features(tx, delay_days, windows)
    assert (slow[s.terminal_risk(windows[-1])] > 0).any(), "the sample must exercise risk"
    pd.testing.assert_frame_equal(fast[list(slow.columns)], slow, check_dtype=False, rtol=0, atol=0)


def test_a_future_transaction_never_changes_a_past_feature(
    tiny_tx: pd.DataFrame, tiny_features: pd.DataFrame
) -> None:
    """Do appended future rows (huge amounts, all fraud) leave every earlier feature unchanged?"""
    future = tiny_tx.tail(5000).copy()
    future[s.TX_DATETIME] += pd.Timedelta(days=10)  # the tail spans < 6 days: all later
    future[s.TRANSACTION_ID] += len(tiny_tx)
    future[s.TX_AMOUNT] = 5000.0
    future[s.TX_FRAUD] = np.int8(1)
    future[s.TX_FRAUD_SCENARIO] = np.int8(1)
    grown = build_features(pd.concat([tiny_tx, future], ignore_index=True))
    pd.testing.assert_frame_equal(grown.iloc[: len(tiny_tx)], tiny_features)
    cut = build_features(tiny_tx[tiny_tx[s.TX_TIME_DAYS] < 40])
    pd.testing.assert_frame_equal(cut, tiny_features.iloc[: len(cut)])


def test_labels_younger_than_the_delay_are_never_read(tiny_tx: pd.DataFrame) -> None:
    """Does flipping the labels of the last 7 days leave those days' features unchanged?"""
    last = tiny_tx[s.TX_TIME_DAYS] >= tiny_tx[s.TX_TIME_DAYS].max() - 6
    flipped = tiny_tx.copy()
    flipped.loc[last, s.TX_FRAUD] = 1 - flipped.loc[last, s.TX_FRAUD]
    a, b = build_features(tiny_tx)[last], build_features(flipped)[last]
    pd.testing.assert_frame_equal(a[list(s.ENGINEERED_COLUMNS)], b[list(s.ENGINEERED_COLUMNS)])
    shorter = build_features(flipped, delay_days=3)[last]  # the check can fail: a short delay leaks
    assert not shorter[s.terminal_risk(7)].equals(b[s.terminal_risk(7)])


def test_row_order_of_the_input_does_not_matter(tiny_tx: pd.DataFrame) -> None:
    """Are features attached to transactions, not to positions, when the input is shuffled?"""
    sample = tiny_tx.iloc[:8000]
    shuffled = sample.sample(frac=1.0, random_state=0)
    a = build_features(sample).set_index(s.TRANSACTION_ID).sort_index()
    b = build_features(shuffled).set_index(s.TRANSACTION_ID).sort_index()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    "estimator", [TimeFeatures(), CustomerSpendingFeatures(), TerminalRiskFeatures()]
)
def test_transformers_follow_the_estimator_contract(
    estimator: object, tiny_tx: pd.DataFrame
) -> None:
    """Do the transformers clone, keep params in __init__ only and learn state in fit?"""
    name = type(estimator).__name__
    check_no_attributes_set_in_init(name, estimator)
    check_parameters_default_constructible(name, estimator)
    check_get_params_invariance(name, estimator)
    fitted = clone(estimator).fit(tiny_tx.head(100))
    assert fitted.n_features_in_ == len(s.TRANSACTION_COLUMNS)
    assert len(fitted.get_feature_names_out()) > fitted.n_features_in_


def test_bad_inputs_are_refused(tiny_tx: pd.DataFrame) -> None:
    """Are a missing column, a zero label delay and a non-DataFrame clear errors?"""
    with pytest.raises(ValueError, match="TX_FRAUD"):
        TerminalRiskFeatures().fit(tiny_tx.drop(columns=[s.TX_FRAUD]))
    with pytest.raises(ValueError, match="leak"):
        TerminalRiskFeatures(delay_days=0).fit(tiny_tx.head())
    with pytest.raises(TypeError, match="DataFrame"):
        CustomerSpendingFeatures().fit(np.zeros((3, 9)))


def test_ids_of_any_type_give_the_same_features(tiny_tx: pd.DataFrame) -> None:
    """Do string or sparse ids (another system's keys) group exactly like the simulator's ints?"""
    sample = tiny_tx.iloc[:5000]
    relabelled = sample.assign(
        CUSTOMER_ID="c" + sample[s.CUSTOMER_ID].astype(str),
        TERMINAL_ID=sample[s.TERMINAL_ID] * 10**12,
    )
    cols = list(s.ENGINEERED_COLUMNS)
    pd.testing.assert_frame_equal(build_features(relabelled)[cols], build_features(sample)[cols])
