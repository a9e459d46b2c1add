"""Online feature state: same values as batch for the same history (no training/serving skew)."""

from __future__ import annotations

import pandas as pd
import pytest

from reference_impl import schemas as s
from reference_impl.features import build_features
from reference_impl.online import OnlineFeatureState
from reference_impl.simulate import Simulation


def _replay(state: OnlineFeatureState, rows: pd.DataFrame) -> pd.DataFrame:
    out = []
    for rec in rows.to_dict("records"):
        out.append(state.features_for(rec))
        state.update(rec, label=rec[s.TX_FRAUD])
    return pd.DataFrame(out, index=rows.index)


def test_online_equals_batch_on_the_tiny_preset(tiny_sim: Simulation) -> None:
    """Do history + one-by-one updates give bit-identical features to the batch transformers?"""
    tx = tiny_sim.transactions
    batch = build_features(tx)
    as_of = pd.Timestamp("2018-05-15")
    state = OnlineFeatureState.from_history(tx, as_of)
    rest = tx[tx[s.TX_DATETIME] >= as_of].iloc[:6000]
    online = _replay(state, rest)
    assert list(online.columns) == list(s.FEATURE_COLUMNS)
    pd.testing.assert_frame_equal(
        online, batch.loc[rest.index, list(s.FEATURE_COLUMNS)], check_dtype=False, rtol=0, atol=0
    )


def test_history_keeps_only_what_a_window_can_reach(tiny_sim: Simulation) -> None:
    """Is state bounded by the look-back horizon (d + 30 days), not the whole history?"""
    tx = tiny_sim.transactions
    state = OnlineFeatureState.from_history(tx)
    horizon_days = (state.delay_days + max(state.windows) + 1) * 1.0
    recent = tx[tx[s.TX_DATETIME] > tx[s.TX_DATETIME].max() - pd.Timedelta(days=horizon_days)]
    assert 0 < len(state) <= len(recent) < len(tx)


def test_unknown_labels_count_as_genuine_until_set(tiny_sim: Simulation) -> None:
    """Does a late label change terminal risk once recorded, and only then?"""
    tx = tiny_sim.transactions
    first = tx.iloc[0].to_dict()
    state = OnlineFeatureState(delay_days=1)
    state.update(first, label=None)
    later = {**first, s.TX_DATETIME: first[s.TX_DATETIME] + pd.Timedelta(days=1, hours=1)}
    assert state.features_for(later)[s.terminal_risk(1)] == 0.0
    assert state.set_label(first[s.TERMINAL_ID], first[s.TRANSACTION_ID], 1)
    assert state.features_for(later)[s.terminal_risk(1)] == 1.0
    assert state.features_for(later)[s.terminal_nb_tx(1)] == 1
    assert not state.set_label(first[s.TERMINAL_ID], -42, 1)


def test_zero_delay_is_refused() -> None:
    """Is a label delay of 0 (a transaction seeing its own label) refused?"""
    with pytest.raises(ValueError, match="leak"):
        OnlineFeatureState(delay_days=0)


def test_timezone_aware_requests_are_read_as_utc(tiny_sim: Simulation) -> None:
    """Does an API request stamped in another zone get the same features as the UTC instant?"""
    tx = tiny_sim.transactions
    state = OnlineFeatureState.from_history(tx, pd.Timestamp("2018-05-15"))
    later = tx[tx[s.TX_DATETIME] >= pd.Timestamp("2018-05-15")]
    rec = later[later[s.TX_DATETIME].dt.hour == 6].iloc[0].to_dict()  # 08:00 in Brussels
    naive = state.features_for(rec)
    shifted = rec[s.TX_DATETIME].tz_localize("UTC").tz_convert("Europe/Brussels").isoformat()
    assert state.features_for({**rec, s.TX_DATETIME: shifted}) == naive


def test_a_transaction_sent_after_a_later_one_keeps_its_whole_window() -> None:
    """Out of order within a day (concurrent clients): does the later one's update prune
    terminal history the earlier one's 30-day window still needs?"""
    day = pd.Timedelta(days=1)
    start = pd.Timestamp("2018-04-01")
    old = {s.CUSTOMER_ID: 1, s.TERMINAL_ID: 9, s.TX_AMOUNT: 10.0, s.TRANSACTION_ID: 1}
    early = {s.CUSTOMER_ID: 2, s.TERMINAL_ID: 9, s.TX_AMOUNT: 20.0, s.TRANSACTION_ID: 2}
    late = {s.CUSTOMER_ID: 3, s.TERMINAL_ID: 9, s.TX_AMOUNT: 30.0, s.TRANSACTION_ID: 3}
    old[s.TX_DATETIME] = start + pd.Timedelta(minutes=30)
    # 36 days 21.5 hours later: `old` is in early's terminal window (7-day delay + 30 days) ...
    early[s.TX_DATETIME] = start + 36 * day + pd.Timedelta(hours=22)
    # ... and is older than the 37-day horizon of `late`, two hours after `early`.
    late[s.TX_DATETIME] = start + 37 * day + pd.Timedelta(hours=1)
    in_order = OnlineFeatureState()
    in_order.update(old, label=1)
    expected = in_order.features_for(early)
    assert expected[s.terminal_nb_tx(30)] == 1 and expected[s.terminal_risk(30)] == 1.0
    swapped = OnlineFeatureState()
    swapped.update(old, label=1)
    swapped.update(late)
    assert swapped.features_for(early) == expected
