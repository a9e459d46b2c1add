"""Online feature store: per-customer and per-terminal rolling state for the scoring API.

It returns the same 15 values as the batch transformers in `reference_impl.features` for the same
history (tested on the tiny preset), which is how training/serving skew is kept out:

* customer windows (t - n days, t] over the transactions seen so far, plus the current one;
* terminal windows (t - d - n days, t - d] over transactions whose labels are known by now
  (a missing label counts as genuine until `set_label` records it).

State older than d + max(windows) days is dropped as new transactions arrive.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reference_impl import schemas as s
from reference_impl.features import DAY_US, to_cents, to_microseconds


@dataclass
class _Series:
    """Time-ordered events of one customer or terminal: times (µs), values, transaction ids."""

    times: list[int] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)

    def add(self, t: int, value: int, tx_id: int) -> None:
        i = bisect_right(self.times, t)  # after equal times: arrival order is kept
        self.times.insert(i, t)
        self.values.insert(i, value)
        self.ids.insert(i, tx_id)

    def window(self, lo: int, hi: int) -> tuple[int, int]:
        """Count and sum of values with lo < time <= hi."""
        a, b = bisect_right(self.times, lo), bisect_right(self.times, hi)
        return b - a, sum(self.values[a:b])

    def prune(self, before: int) -> None:
        k = bisect_right(self.times, before)
        if k:
            del self.times[:k], self.values[:k], self.ids[:k]


class OnlineFeatureState:
    """Rolling per-customer / per-terminal state that computes features one transaction at a time.

    Args:
        windows: window lengths in days (as in batch).
        delay_days: label delay d of the terminal windows (as in batch).
    """

    def __init__(
        self, *, windows: Sequence[int] = s.WINDOWS, delay_days: int = s.DEFAULT_DELAY_DAYS
    ) -> None:
        if int(delay_days) < 1:
            raise ValueError("delay_days must be >= 1 (0 would leak the current label)")
        self.windows = tuple(int(n) for n in windows)
        self.delay_days = int(delay_days)
        self._customers: dict[int, _Series] = {}
        self._terminals: dict[int, _Series] = {}
        self._lock = threading.Lock()

    @property
    def horizon_us(self) -> int:
        """How far back any feature looks."""
        return (self.delay_days + max(self.windows)) * DAY_US

    @classmethod
    def from_history(
        cls,
        transactions: pd.DataFrame,
        as_of: Any = None,
        *,
        windows: Sequence[int] = s.WINDOWS,
        delay_days: int = s.DEFAULT_DELAY_DAYS,
    ) -> OnlineFeatureState:
        """State after the labelled `transactions` strictly before `as_of` (default: all)."""
        state = cls(windows=windows, delay_days=delay_days)
        t_us = to_microseconds(transactions[s.TX_DATETIME]) if len(transactions) else np.zeros(0)
        keep = np.ones(len(t_us), dtype=bool)
        if len(t_us):
            # Rows older than the horizon can never enter a window again: skip them.
            cut = int(t_us.max()) + 1 if as_of is None else int(to_microseconds(as_of)[0])
            keep = (t_us < cut) & (t_us > cut - state.horizon_us - DAY_US)
        rows = transactions[keep]
        if rows.empty:  # nothing to warm from (np.split of nothing would still yield one part)
            return state
        t_us = t_us[keep]
        order = np.argsort(t_us, kind="stable")
        ids = (
            rows[s.TRANSACTION_ID].to_numpy() if s.TRANSACTION_ID in rows else np.arange(len(rows))
        )
        labels = rows[s.TX_FRAUD].fillna(0).to_numpy().astype(np.int64)
        cents = to_cents(rows[s.TX_AMOUNT].to_numpy())
        for store, key, values in (
            (state._customers, rows[s.CUSTOMER_ID].to_numpy(), cents),
            (state._terminals, rows[s.TERMINAL_ID].to_numpy(), labels),
        ):
            by_key = order[np.argsort(key[order], kind="stable")]
            uniq, starts = np.unique(key[by_key], return_index=True)
            for k, part in zip(uniq.tolist(), np.split(by_key, starts[1:]), strict=True):
                store[k] = _Series(t_us[part].tolist(), values[part].tolist(), ids[part].tolist())
        return state

    def features_for(self, tx: Mapping[str, Any]) -> dict[str, float | int]:
        """The 15 model inputs of one transaction (in `schemas.FEATURE_COLUMNS` order).

        `tx` needs TX_DATETIME, CUSTOMER_ID, TERMINAL_ID and TX_AMOUNT; it is not recorded
        (call `update` for that).
        """
        when = pd.Timestamp(tx[s.TX_DATETIME])
        if when.tz is not None:  # same clock as batch: UTC, naive
            when = when.tz_convert("UTC").tz_localize(None)
        t = int(to_microseconds(when)[0])
        cents = int(to_cents(tx[s.TX_AMOUNT]))
        out: dict[str, float | int] = {
            s.TX_AMOUNT: float(tx[s.TX_AMOUNT]),
            s.TX_DURING_WEEKEND: int(when.day_of_week >= 5),
            s.TX_DURING_NIGHT: int(when.hour <= 6),
        }
        nb_c, avg_c, nb_t, risk_t = {}, {}, {}, {}
        with self._lock:
            cust = self._customers.get(int(tx[s.CUSTOMER_ID]), _Series())
            term = self._terminals.get(int(tx[s.TERMINAL_ID]), _Series())
            d = self.delay_days * DAY_US
            for n in self.windows:
                count, total = cust.window(t - n * DAY_US, t)
                nb_c[s.customer_nb_tx(n)] = count + 1
                avg_c[s.customer_avg_amount(n)] = (total + cents) / 100 / (count + 1)
                count, frauds = term.window(t - d - n * DAY_US, t - d)
                nb_t[s.terminal_nb_tx(n)] = count
                risk_t[s.terminal_risk(n)] = frauds / count if count else 0.0
        # Same order as schemas.FEATURE_COLUMNS: amount, time, customer, terminal.
        return {**out, **nb_c, **avg_c, **nb_t, **risk_t}

    def update(self, tx: Mapping[str, Any], label: int | None = None) -> None:
        """Record a transaction (its label may be unknown yet: None counts as genuine)."""
        t = int(to_microseconds(tx[s.TX_DATETIME])[0])
        tx_id = int(tx.get(s.TRANSACTION_ID, -1))
        with self._lock:
            cust = self._customers.setdefault(int(tx[s.CUSTOMER_ID]), _Series())
            term = self._terminals.setdefault(int(tx[s.TERMINAL_ID]), _Series())
            cust.add(t, int(to_cents(tx[s.TX_AMOUNT])), tx_id)
            term.add(t, int(label or 0), tx_id)
            # One day beyond the horizon: a transaction that arrives after a later one of the
            # same terminal (concurrent clients, a late payment) still finds its whole window.
            cust.prune(t - self.horizon_us - DAY_US)
            term.prune(t - self.horizon_us - DAY_US)

    def set_label(self, terminal_id: int, transaction_id: int, label: int) -> bool:
        """Record a label that arrived after the transaction; False if it is no longer held."""
        with self._lock:
            term = self._terminals.get(int(terminal_id))
            if term is None or transaction_id not in term.ids:
                return False
            term.values[term.ids.index(transaction_id)] = int(label)
            return True

    def __len__(self) -> int:
        """Number of transactions held (customer side)."""
        return sum(len(v.times) for v in self._customers.values())


__all__ = ["OnlineFeatureState"]
