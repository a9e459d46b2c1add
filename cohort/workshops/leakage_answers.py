"""Answer key of workshop 3's leakage hunt (instructors): the three leaks and their fixes.

1. `customer_mean_amount` averages over the customer's *whole* history, future payments included:
   use an expanding mean of the payments strictly before this one.
2. `terminal_fraud_rate` counts the current transaction's own label and labels not known yet:
   only frauds reported at least `delay` days before this transaction may count.
3. `days_since_previous` sorts newest first, so `diff` looks at the *next* payment: sort oldest
   first so it looks back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def customer_mean_amount(df: pd.DataFrame) -> pd.Series:
    ordered = df.sort_values("tx_time", kind="stable")
    before = ordered.groupby("customer_id")["amount"].transform(
        lambda s: s.expanding().mean().shift(1)
    )
    return before.reindex(df.index)


def terminal_fraud_rate(df: pd.DataFrame, delay: float = 7.0) -> pd.Series:
    out = pd.Series(np.nan, index=df.index)
    for _, group in df.groupby("terminal_id"):
        times, frauds = group["tx_time"].to_numpy(), group["fraud"].to_numpy()
        for idx, t in zip(group.index, times, strict=True):
            known = times <= t - delay  # reported by the time of this transaction
            out[idx] = frauds[known].mean() if known.any() else np.nan
    return out


def days_since_previous(df: pd.DataFrame) -> pd.Series:
    ordered = df.sort_values("tx_time", kind="stable")
    gap = ordered.groupby("customer_id")["tx_time"].diff()
    return gap.reindex(df.index).fillna(np.inf)


FEATURES = {
    "customer_mean_amount": customer_mean_amount,
    "terminal_fraud_rate": terminal_fraud_rate,
    "days_since_previous": days_since_previous,
}
