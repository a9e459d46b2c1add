"""Small-preset features and models fitted once for the model-behaviour suite."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from reference_impl import schemas, splits
from reference_impl.features import build_features
from reference_impl.simulate import config_for, simulate
from reference_impl.train import make_model


@pytest.fixture(scope="session")
def small_features() -> pd.DataFrame:
    """Features of the small preset, seed 0 (about 460k transactions over 120 days)."""
    return build_features(simulate(config_for("small", seed=0)).transactions)


@pytest.fixture(scope="session")
def small_fold(small_features: pd.DataFrame) -> splits.Fold:
    """The latest train 7 / delay 7 / test 7 fold of the small preset."""
    spec = splits.SplitSpec(n_folds=1)
    anchor = splits.default_anchor(int(small_features[schemas.TX_TIME_DAYS].max()) + 1, spec)
    (fold,) = splits.prequential_folds(small_features, anchor_day=anchor, spec=spec)
    return fold


@pytest.fixture(scope="session")
def fitted(small_features: pd.DataFrame, small_fold: splits.Fold) -> dict[str, Pipeline]:
    """Logistic regression, random forest (depth 20) and the blend, fitted on the training week."""
    rows = small_features.iloc[small_fold.train_idx]
    x, y = rows[list(schemas.FEATURE_COLUMNS)], rows[schemas.LABEL]
    return {
        "logreg": make_model("logreg").fit(x, y),
        "random_forest": make_model("random_forest").set_params(model__max_depth=20).fit(x, y),
        "blend": make_model("blend").fit(x, y),
    }
