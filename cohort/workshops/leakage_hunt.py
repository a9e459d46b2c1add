"""Workshop 3's leakage hunt: three window features, each with a planted leak. Hand this file to
the breakout groups; `leakage_answers.py` holds the fixes, `point_in_time_violations` the test.

The frame has one row per transaction: `tx_time` (days, float), `customer_id`, `terminal_id`,
`amount`, `fraud` (the label, known only `delay` days later).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def customer_mean_amount(df: pd.DataFrame) -> pd.Series:
    """The customer's average amount (to spot unusually large payments)."""
    return df.groupby("customer_id")["amount"].transform("mean")


def terminal_fraud_rate(df: pd.DataFrame, delay: float = 7.0) -> pd.Series:
    """Share of the terminal's past transactions that were fraud."""
    ordered = df.sort_values("tx_time")
    past_frauds = ordered.groupby("terminal_id")["fraud"].cumsum()
    past_count = ordered.groupby("terminal_id").cumcount() + 1
    return (past_frauds / past_count).reindex(df.index)


def days_since_previous(df: pd.DataFrame) -> pd.Series:
    """Days since the customer's previous transaction (bursts are suspicious)."""
    ordered = df.sort_values("tx_time", ascending=False)
    gap = ordered.groupby("customer_id")["tx_time"].diff().abs()
    return gap.reindex(df.index).fillna(np.inf)


FEATURES = {
    "customer_mean_amount": customer_mean_amount,
    "terminal_fraud_rate": terminal_fraud_rate,
    "days_since_previous": days_since_previous,
}


def point_in_time_violations(
    feature,  # noqa: ANN001 - any of FEATURES
    df: pd.DataFrame,
    *,
    cutoff: float,
    delay: float = 7.0,
) -> int:
    """Rows before `cutoff` whose feature changes when every later row is removed: a feature
    known at prediction time cannot depend on what happens afterwards. Labels of the last
    `delay` days before the cutoff are not known at the cutoff either, so the past view hides
    them (NaN)."""
    past = df[df["tx_time"] < cutoff].copy()
    past["fraud"] = past["fraud"].where(past["tx_time"] < cutoff - delay)
    full = feature(df).loc[past.index]
    alone = feature(past)
    same = np.isclose(full.to_numpy(float), alone.to_numpy(float), equal_nan=True)
    return int((~same).sum())


def demo_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small seeded transaction table for the exercise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "tx_time": np.sort(rng.uniform(0, 60, rows)),
            "customer_id": rng.integers(0, 40, rows),
            "terminal_id": rng.integers(0, 25, rows),
            "amount": rng.gamma(2.0, 30.0, rows).round(2),
        }
    )
    frame["fraud"] = (rng.random(rows) < 0.05).astype(int)
    return frame
