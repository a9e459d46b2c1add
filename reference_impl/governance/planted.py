"""Two planted columns that show what feature importance can and cannot tell (lab 8, lesson 8.3).

- `RANDOM_ID`: uniform noise with as many distinct values as rows. Trees split on it to fit the
  training set, so impurity importance (computed on training data) gives it credit; permuting it
  in held-out data changes nothing, so its permutation importance is about zero.
- `CHARGEBACK_LOGGED`: 1 for most frauds, joined from the chargeback table *after* the fact. It
  cannot be known when the payment is scored, yet both importances put it first: importance says
  what the model uses, never whether it may use it. That question is the data's lineage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from reference_impl import schemas as s

PLANTED = ("RANDOM_ID", "CHARGEBACK_LOGGED")
COLUMNS = (*s.FEATURE_COLUMNS, *PLANTED)
LOGGED_SHARE = 0.6  # share of frauds whose chargeback had been logged when the table was joined


def add_planted_columns(frame: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """`frame` with the two planted columns (same seed and rows -> same values)."""
    rng = np.random.default_rng([seed, 8])
    out = frame.copy()
    out["RANDOM_ID"] = rng.random(len(out))
    logged = rng.random(len(out)) < LOGGED_SHARE
    out["CHARGEBACK_LOGGED"] = (out[s.TX_FRAUD].to_numpy() == 1) & logged
    out["CHARGEBACK_LOGGED"] = out["CHARGEBACK_LOGGED"].astype(float)
    return out


def fit_forest(
    frame: pd.DataFrame,
    columns: tuple[str, ...] = COLUMNS,
    *,
    sample_weight: np.ndarray | None = None,
) -> RandomForestClassifier:
    """A small, deterministic random forest on `columns` (quick enough for a graded lab)."""
    model = RandomForestClassifier(
        n_estimators=25, max_depth=10, min_samples_leaf=2, n_jobs=1, random_state=0
    )
    return model.fit(frame[list(columns)], frame[s.TX_FRAUD], sample_weight=sample_weight)
