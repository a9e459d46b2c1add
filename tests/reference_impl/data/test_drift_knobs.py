"""Drift knobs of spec §1.9 move the data the way they say, only from their start day."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reference_impl import schemas as s
from reference_impl.simulate import Simulation, config_for, simulate

START = 30


def drifted(**drift: Any) -> pd.DataFrame:
    return simulate(config_for("tiny", seed=0, drift={"start_day": START, **drift})).transactions


def after(tx: pd.DataFrame) -> pd.DataFrame:
    return tx[tx[s.TX_TIME_DAYS] >= START]


@pytest.fixture(scope="module")
def base(tiny_sim: Simulation) -> pd.DataFrame:
    return tiny_sim.transactions


def _legit_mean(tx: pd.DataFrame) -> float:
    return float(tx[tx[s.TX_FRAUD] == 0][s.TX_AMOUNT].mean())


def test_amount_scale_inflates_spending_and_the_s1_threshold(base: pd.DataFrame) -> None:
    """Does amount_scale 1.25 raise genuine amounts by ~25 % after the start, S1 scaled along?"""
    tx = drifted(amount_scale=1.25)
    ratio = _legit_mean(after(tx)) / _legit_mean(after(base))
    assert 1.2 < ratio < 1.3
    s1 = after(tx)[after(tx)[s.TX_FRAUD_SCENARIO] == 1][s.TX_AMOUNT]
    assert (s1 > 275).all()
    unscaled = drifted(amount_scale=1.25, scale_s1_threshold=False)
    n_s1 = (after(unscaled)[s.TX_FRAUD_SCENARIO] == 1).sum()
    assert n_s1 > 2 * (after(tx)[s.TX_FRAUD_SCENARIO] == 1).sum()


def test_freq_scale_grows_volume(base: pd.DataFrame) -> None:
    """Does freq_scale 1.5 give ~50 % more transactions per day after the start?"""
    assert 1.4 < len(after(drifted(freq_scale=1.5))) / len(after(base)) < 1.6


def test_stealthier_account_takeover(base: pd.DataFrame) -> None:
    """Does s3_amount_mult 2 make S3 frauds smaller after the start (x2 instead of x5)?"""

    def s3_mean(tx: pd.DataFrame) -> float:
        late = tx[tx[s.TX_TIME_DAYS] >= START + 14]  # compromises that began after the start
        return float(late[late[s.TX_FRAUD_SCENARIO] == 3][s.TX_AMOUNT].mean())

    assert s3_mean(drifted(s3_amount_mult=2.0)) < 0.6 * s3_mean(base)


def test_fast_terminal_compromises(base: pd.DataFrame) -> None:
    """Do short, frequent S2 compromises hit more terminals, each for at most ~7 days?"""
    tx = drifted(s2_duration_days=7, s2_terminal_rate=8e-4)
    s2, old = (x[(x[s.TX_FRAUD_SCENARIO] == 2)] for x in (tx, base))
    assert after(s2)[s.TERMINAL_ID].nunique() > 2 * after(old)[s.TERMINAL_ID].nunique()
    days = s2.groupby(s.TERMINAL_ID)[s.TX_TIME_DAYS].agg(["min", "max"])
    new = days[days["min"] > START]  # compromises that began under the drift
    assert len(new) >= 10 and ((new["max"] - new["min"]).median()) <= 6


def test_card_testing_adds_night_bursts_of_small_payments(base: pd.DataFrame) -> None:
    """Does card testing add scenario-4 bursts (5-15 payments of 1-10 at hours 0-5) per card?"""
    tx = drifted(card_testing={"cards_per_day": 5})
    s4 = tx[tx[s.TX_FRAUD_SCENARIO] == 4]
    assert len(s4) > 0 and (s4[s.TX_FRAUD] == 1).all()
    assert s4[s.TX_TIME_DAYS].min() == START
    assert s4[s.TX_AMOUNT].between(1, 10).all()
    assert (s4[s.TX_DATETIME].dt.hour < 5).all()
    bursts = s4.groupby([s.TX_TIME_DAYS, s.CUSTOMER_ID]).size()
    assert bursts.between(5, 15).all()
    assert (s4.groupby(s.TX_TIME_DAYS)[s.CUSTOMER_ID].nunique() == 5).all()
    assert len(tx) == len(base) + len(s4)  # extra rows; genuine traffic unchanged


def test_seasonality_and_intensity(base: pd.DataFrame) -> None:
    """Do weekend volume and fraud intensity move their statistics in the stated direction?"""
    busy = simulate(config_for("tiny", seasonality={"weekend_volume_mult": 1.3})).transactions
    weekend = lambda tx: (tx[s.TX_DATETIME].dt.day_of_week >= 5).mean()  # noqa: E731
    assert weekend(busy) > weekend(base) + 0.03
    intense = simulate(config_for("tiny", fraud={"intensity": 2.0})).transactions
    assert intense[s.TX_FRAUD].mean() > 1.6 * base[s.TX_FRAUD].mean()
    dec = simulate(config_for("tiny", seasonality={"month_amount_mult": {5: 1.3}})).transactions
    may = dec[s.TX_DATETIME].dt.month == 5
    assert _legit_mean(dec[may]) > 1.2 * _legit_mean(base[base[s.TX_DATETIME].dt.month == 5])
