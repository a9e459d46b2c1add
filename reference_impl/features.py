"""The handbook's 15 features as scikit-learn transformers, computed point-in-time.

* Time: ``TX_DURING_WEEKEND`` (weekday >= 5) and ``TX_DURING_NIGHT`` (hour <= 6).
* Customer spending over (t - n days, t], the current transaction included: number of
  transactions and average amount.
* Terminal risk over (t - d - n days, t - d], d = label delay: number of transactions and fraud
  share (0 when the window is empty). Labels younger than d days are never read.

The transformers are stateless: each row's features come from the rows of ``X`` at or before it
(same timestamp: earlier rows first), so ``X`` must carry the history before the rows you score
(30 days for customers, d + 30 for terminals). Windows are found with ``searchsorted`` on a
(group, time) composite key and summed with cumulative sums; amounts are summed in integer cents
so batch values equal the online path's (`reference_impl.online`) bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from reference_impl import schemas as s

DAY_US = 86_400 * 1_000_000


def to_microseconds(values: Any) -> np.ndarray:
    """Timestamps (array-like or scalar) as int64 microseconds since the epoch.

    Naive times are taken as they are (the simulator's clock); aware times are converted to UTC.
    """
    stamps = pd.to_datetime(values)
    index = pd.DatetimeIndex([stamps] if isinstance(stamps, pd.Timestamp) else stamps)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.asarray(index.as_unit("us").asi8, dtype=np.int64)


def to_cents(amounts: Any) -> np.ndarray:
    """Amounts as int64 cents (exact sums; amounts have 2 decimals)."""
    return np.rint(np.asarray(amounts, dtype=np.float64) * 100).astype(np.int64)


def _group_codes(group: np.ndarray) -> np.ndarray:
    """Dense non-negative int64 codes for group ids (ids used as-is when compact integers)."""
    if np.issubdtype(group.dtype, np.integer) and len(group):
        lo, hi = int(group.min()), int(group.max())
        if hi - lo <= 4 * len(group) + 1_000_000:  # skip the sort np.unique would do
            return group.astype(np.int64) - lo
    return np.unique(group, return_inverse=True)[1].astype(np.int64).ravel()


def _sorted_by_group_time(
    group: np.ndarray, t_us: np.ndarray, span_us: int
) -> tuple[np.ndarray, np.ndarray]:
    """Order rows by (group, time, position); return the order and the sorted composite key."""
    codes = _group_codes(group)
    t_rel = t_us - (t_us.min() if len(t_us) else 0)
    stride = int(t_rel.max() if len(t_rel) else 0) + span_us + 1
    if (int(codes.max()) + 1 if len(codes) else 0) * stride >= 2**62:
        raise ValueError("too many groups or too long a period for the int64 composite key")
    key = codes * stride + t_rel
    order = np.argsort(key, kind="stable")  # stable: ties keep row order
    return order, key[order]


def _cumsum0(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros(1, dtype=values.dtype), np.cumsum(values)])


def _check_columns(X: Any, needed: Sequence[str], who: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{who} expects a pandas DataFrame of transactions")
    missing = [c for c in needed if c not in X.columns]
    if missing:
        raise ValueError(f"{who}: missing column(s) {', '.join(missing)}")


class _TransactionTransformer(TransformerMixin, BaseEstimator):
    """Base: a stateless transformer that appends feature columns to a transactions frame."""

    required: tuple[str, ...] = ()

    def fit(self, X: pd.DataFrame, y: Any = None) -> _TransactionTransformer:
        """Check the input columns and remember them; nothing is learned."""
        _check_columns(X, self.required, type(self).__name__)
        self._validate_params_local()
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def _validate_params_local(self) -> None:
        """Subclasses check their parameters here (at fit, never in __init__)."""

    def new_columns(self) -> list[str]:
        """Names of the columns this transformer appends."""
        raise NotImplementedError

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Input column names followed by the appended feature names."""
        check_is_fitted(self)
        return np.asarray([*self.feature_names_in_, *self.new_columns()], dtype=object)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return a copy of `X` with the feature columns appended (same row order)."""
        check_is_fitted(self)
        _check_columns(X, self.required, type(self).__name__)
        out = X.copy(deep=False)  # copy-on-write: adding columns never touches X
        for name, values in self._compute(X).items():
            out[name] = values
        return out

    def _compute(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        raise NotImplementedError


class TimeFeatures(_TransactionTransformer):
    """``TX_DURING_WEEKEND`` (Saturday, Sunday) and ``TX_DURING_NIGHT`` (hour <= 6)."""

    required = (s.TX_DATETIME,)

    def new_columns(self) -> list[str]:
        return list(s.TIME_FEATURES)

    def _compute(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        when = pd.DatetimeIndex(X[s.TX_DATETIME])
        return {
            s.TX_DURING_WEEKEND: (when.day_of_week >= 5).astype(np.int64),
            s.TX_DURING_NIGHT: (when.hour <= 6).astype(np.int64),
        }


class CustomerSpendingFeatures(_TransactionTransformer):
    """Per customer, number and average amount of transactions over (t - n days, t].

    Args:
        windows: window lengths n in days.
    """

    required = (s.TX_DATETIME, s.CUSTOMER_ID, s.TX_AMOUNT)

    def __init__(self, windows: Sequence[int] = s.WINDOWS) -> None:
        self.windows = windows

    def _validate_params_local(self) -> None:
        if not self.windows or any(int(n) < 1 for n in self.windows):
            raise ValueError("windows must be positive numbers of days")

    def new_columns(self) -> list[str]:
        return [c for n in self.windows for c in (s.customer_nb_tx(n), s.customer_avg_amount(n))]

    def _compute(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        t_us = to_microseconds(X[s.TX_DATETIME])
        order, key = _sorted_by_group_time(
            X[s.CUSTOMER_ID].to_numpy(), t_us, max(self.windows) * DAY_US
        )
        cents = _cumsum0(to_cents(X[s.TX_AMOUNT].to_numpy())[order])
        end = np.arange(1, len(key) + 1)  # rows up to and including the current one
        out: dict[str, np.ndarray] = {}
        for n in self.windows:
            start = np.searchsorted(key, key - int(n) * DAY_US, side="right")
            count, total = np.empty(len(key), np.int64), np.empty(len(key), np.float64)
            count[order] = end - start
            total[order] = (cents[end] - cents[start]) / 100
            out[s.customer_nb_tx(n)] = count
            out[s.customer_avg_amount(n)] = total / np.maximum(count, 1)
        return out


class TerminalRiskFeatures(_TransactionTransformer):
    """Per terminal, number of transactions and fraud share over (t - d - n days, t - d].

    Args:
        windows: window lengths n in days.
        delay_days: label delay d; labels younger than d days are unknown (must be >= 1: with
            d = 0 a transaction's own label would leak into its features).
    """

    required = (s.TX_DATETIME, s.TERMINAL_ID, s.TX_FRAUD)

    def __init__(
        self, windows: Sequence[int] = s.WINDOWS, delay_days: int = s.DEFAULT_DELAY_DAYS
    ) -> None:
        self.windows = windows
        self.delay_days = delay_days

    def _validate_params_local(self) -> None:
        if not self.windows or any(int(n) < 1 for n in self.windows):
            raise ValueError("windows must be positive numbers of days")
        if int(self.delay_days) < 1:
            raise ValueError("delay_days must be >= 1 (0 would leak the current label)")

    def new_columns(self) -> list[str]:
        return [c for n in self.windows for c in (s.terminal_nb_tx(n), s.terminal_risk(n))]

    def _compute(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        t_us = to_microseconds(X[s.TX_DATETIME])
        d = int(self.delay_days) * DAY_US
        order, key = _sorted_by_group_time(
            X[s.TERMINAL_ID].to_numpy(), t_us, d + max(self.windows) * DAY_US
        )
        labels = X[s.TX_FRAUD].fillna(0).to_numpy().astype(np.int64)
        frauds = _cumsum0(labels[order])
        hi = np.searchsorted(key, key - d, side="right")
        out: dict[str, np.ndarray] = {}
        for n in self.windows:
            lo = np.searchsorted(key, key - d - int(n) * DAY_US, side="right")
            count, risk = np.empty(len(key), np.int64), np.empty(len(key), np.float64)
            count[order] = hi - lo
            risk[order] = (frauds[hi] - frauds[lo]) / np.maximum(hi - lo, 1)
            out[s.terminal_nb_tx(n)] = count
            out[s.terminal_risk(n)] = risk
        return out


# Model-side features: computed inside the model from the 15 columns, so the serving contract
# (the 15 features) does not change. Domain knowledge, hence here and not in the generic train.
_AMOUNT = s.FEATURE_COLUMNS.index(s.TX_AMOUNT)
_AVERAGES = [s.FEATURE_COLUMNS.index(s.customer_avg_amount(n)) for n in s.WINDOWS]
RATIO_COLUMNS = [f"AMOUNT_TO_{s.customer_avg_amount(n)}" for n in s.WINDOWS]


class AmountRatios(TransformerMixin, BaseEstimator):
    """Append the amount divided by the customer's average amount over each window.

    Account takeover (S3) multiplies a card's usual amounts by 5: a ratio a tree can split on
    once, whereas it needs many splits to approximate it from the amount and the average.
    Computed inside the model from the 15 features, so the serving contract is unchanged.
    """

    def fit(self, X: Any, y: Any = None) -> AmountRatios:
        """Record the input columns (15 features, in `s.FEATURE_COLUMNS` order)."""
        validate_data(self, X, reset=True)
        if self.n_features_in_ != len(s.FEATURE_COLUMNS):
            raise ValueError(f"expected the {len(s.FEATURE_COLUMNS)} model features")
        return self

    def transform(self, X: Any) -> np.ndarray:
        """The 15 features followed by the 3 ratios.

        An average of 0 counts as 1 and one below a cent as a cent, so a ratio stays finite
        (at most 10^8 for amounts up to 10^6) for every input the scoring API accepts: a
        subnormal average (5e-324) next to a large amount overflowed to inf (issue 26).
        """
        check_is_fitted(self)
        values = validate_data(self, X, reset=False, dtype=np.float64)
        averages = values[:, _AVERAGES]
        ratios = values[:, [_AMOUNT]] / np.where(averages > 0, np.maximum(averages, 0.01), 1.0)
        return np.hstack([values, ratios])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Input feature names followed by the ratio names."""
        return np.asarray([*s.FEATURE_COLUMNS, *RATIO_COLUMNS], dtype=object)


# Domain knowledge as a constraint: all else equal, a larger amount is never less suspicious.
# Applied to the amount and its ratios (all grow with the amount), it makes the directional
# behaviour test hold by construction for trees, at no cost in AP on the small preset (random
# forest 0.674 with the amount constraint, 0.673 without); a linear model is monotone anyway.
AMOUNT_NEVER_LOWERS = [
    1 if c == s.TX_AMOUNT or c in RATIO_COLUMNS else 0 for c in [*s.FEATURE_COLUMNS, *RATIO_COLUMNS]
]


def feature_pipeline(
    *, windows: Sequence[int] = s.WINDOWS, delay_days: int = s.DEFAULT_DELAY_DAYS
) -> Pipeline:
    """The three transformers chained: transactions in, transactions + 14 features out."""
    return Pipeline(
        [
            ("time", TimeFeatures()),
            ("customer", CustomerSpendingFeatures(windows=windows)),
            ("terminal", TerminalRiskFeatures(windows=windows, delay_days=delay_days)),
        ]
    )


def build_features(
    transactions: pd.DataFrame, *, delay_days: int = s.DEFAULT_DELAY_DAYS
) -> pd.DataFrame:
    """Input columns plus the 14 engineered features, point-in-time, in the input's row order."""
    out: pd.DataFrame = feature_pipeline(delay_days=delay_days).fit_transform(transactions)
    return out


@dataclass(frozen=True)
class FeaturizeResult:
    """What `featurize` wrote."""

    path: Path
    n_rows: int
    dataset_hash: str
    seconds: float


def featurize(
    raw_dir: Path | str, out_dir: Path | str, *, delay_days: int = s.DEFAULT_DELAY_DAYS
) -> FeaturizeResult:
    """Validate a raw dataset, build its features and write them (the `fraud features` stage).

    Raises:
        FileNotFoundError: no raw dataset at `raw_dir`.
        DataContractError: the raw data breaks the contract (nothing is written).
    """
    from reference_impl.data import load_transactions, read_manifest, write_features
    from reference_impl.validate import validate

    started = time.perf_counter()
    validate(raw_dir, raise_on_error=True)
    features = build_features(load_transactions(raw_dir), delay_days=delay_days)
    digest = str(read_manifest(raw_dir)["dataset_hash"])
    meta = {
        "dataset_hash": digest,
        "raw_dir": str(raw_dir),
        "delay_days": delay_days,
        "feature_columns": list(s.FEATURE_COLUMNS),
        "label": s.LABEL,
    }
    path = write_features(features, out_dir, metadata=meta)
    return FeaturizeResult(path, len(features), digest, time.perf_counter() - started)
