"""The drill's traffic: the group's most recent rows, in time order, in four windows, each with its
incident (the reference drill's kinds, `reference_impl/monitor/incidents.py`, made generic):

1. **baseline**: the rows as they are; a monitor should stay quiet;
2. **data drift**: one feature shifted by `DRIFT_SDS` standard deviations; the monitor should raise;
3. **bad rows and a burst**: a share of rows lose a feature (the API should answer 4xx), and the
   requests come `burst` at a time;
4. **concept drift**: labels shuffled within the window: the inputs do not move, so only the
   delayed-label KPI can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DRIFT_SDS = 3.0
WINDOWS = ("baseline", "data drift", "bad rows and burst", "concept drift")


@dataclass(frozen=True)
class Window:
    """One window of traffic: the rows to send, which of them are malformed, delayed labels."""

    name: str
    rows: list[dict[str, float]]
    bad: list[bool]
    labels: np.ndarray
    concurrency: int = 1
    notes: list[str] = field(default_factory=list)

    def inputs(self) -> pd.DataFrame:
        """The well-formed rows as sent (what a monitor sees)."""
        return pd.DataFrame([r for r, b in zip(self.rows, self.bad, strict=True) if not b])


def build_traffic(
    frame: pd.DataFrame,
    *,
    label: str,
    drop: list[str],
    rows: int,
    seed: int = 0,
    bad_share: float = 0.1,
    burst: int = 8,
    drift_column: str | None = None,
) -> list[Window]:
    """Four windows from the latest `rows` rows of `frame` (already in time order)."""
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in the traffic data")
    recent = frame.tail(rows).reset_index(drop=True)
    features = [c for c in recent.columns if c != label and c not in drop]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(recent[c])]
    if len(recent) < 40 or not numeric:
        raise ValueError("the traffic needs 40+ rows and at least one numeric feature")
    column = drift_column or numeric[0]
    if column not in numeric:
        raise ValueError(f"drift column {column!r} is not a numeric feature")
    rng = np.random.default_rng(seed)
    parts = np.array_split(np.arange(len(recent)), len(WINDOWS))
    spread = float(recent.loc[parts[0], column].std()) or 1.0
    windows = []
    for name, idx in zip(WINDOWS, parts, strict=True):
        x = recent.loc[idx, features].copy()
        y = recent.loc[idx, label].to_numpy()
        bad = [False] * len(x)
        notes: list[str] = []
        concurrency = 1
        if name == "data drift":
            x[column] = x[column] + DRIFT_SDS * spread
            notes.append(f"{column} shifted by {DRIFT_SDS:g} standard deviations")
        if name == "bad rows and burst":
            bad = list(rng.random(len(x)) < bad_share)
            concurrency = burst
            notes.append(f"{sum(bad)} rows without {column!r}; {burst} requests at a time")
        if name == "concept drift":
            y = rng.permutation(y)
            notes.append("labels shuffled within the window: inputs unchanged")
        records = x.to_dict(orient="records")
        for record, is_bad in zip(records, bad, strict=True):
            if is_bad:
                record.pop(column)
        windows.append(Window(name, records, bad, y, concurrency, notes))
    return windows
