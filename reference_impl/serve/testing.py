"""Build small model bundles in the registry layout, for tests, benchmarks and labs.

The real bundles come from `fraud register`; these are trained on random data in a second so the
service can be exercised without running the pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from reference_impl import atomic
from reference_impl.schemas import FEATURE_COLUMNS
from reference_impl.serve.bundle import file_sha256


def random_features(n: int, *, seed: int = 0) -> pd.DataFrame:
    """Plausible feature rows (ranges of the simulator), fraud more likely at high amounts/risk."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            name: (
                rng.integers(0, 2, n)
                if name in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT")
                else rng.random(n) * 0.2
                if "RISK" in name
                else rng.poisson(5, n)
                if "NB_TX" in name
                else rng.gamma(2.0, 30.0, n)
            )
            for name in FEATURE_COLUMNS
        }
    )
    return frame


def write_bundle(
    models_dir: Path,
    version: str,
    model: Any,
    *,
    features: tuple[str, ...] = FEATURE_COLUMNS,
    threshold: float | None = 0.5,
    sklearn_version: str = sklearn.__version__,
    fmt: str = "joblib",
) -> Path:
    """Save `model` and its metadata.json under `models_dir/version` (temp folder, then rename)."""
    final = models_dir / version
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    with atomic.atomic_directory(final, mode=0o755) as tmp:
        artifact = tmp / f"model.{fmt}"
        if fmt == "skops":
            import skops.io as sio

            sio.dump(model, artifact)
        else:
            import joblib

            joblib.dump(model, artifact)
        metadata = {
            "version": version,
            "artifact": artifact.name,
            "sha256": file_sha256(artifact),
            "features": list(features),
            "library_versions": {"scikit-learn": sklearn_version, "numpy": np.__version__},
            "metrics": {"average_precision": 0.5, "card_precision_at_100": 0.2},
            "data_hash": "random-" + version,
            "threshold": threshold,
        }
        (tmp / "metadata.json").write_text(json.dumps(metadata, indent=2))
    return final


def train_demo_model(kind: str = "logistic", *, n: int = 4000, seed: int = 0) -> Any:
    """A scaler + classifier pipeline fitted on `random_features` (with column names).

    `kind`: "logistic", "forest", or "boosting" — the reference system's own boosting pipeline
    (`train.make_model("hist_gb")`: amount ratios derived inside the model, scaling, boosting),
    which is what a registered model computes from the 15 features.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = random_features(n, seed=seed)  # noqa: N806
    logit = 0.02 * (X["TX_AMOUNT"] - 120) + 8 * X["TERMINAL_ID_RISK_7DAY_WINDOW"] - 2
    y = np.random.default_rng(seed + 1).random(n) < 1 / (1 + np.exp(-logit))
    if kind == "boosting":
        from threadpoolctl import threadpool_limits

        from reference_impl.train import make_model

        # One OpenMP thread: on a busy shared machine its spinning threads cost 10x (20 s vs 1.5 s).
        with threadpool_limits(1):
            return make_model("hist_gb", random_state=seed, n_jobs=1).fit(X, y)
    if kind == "forest":
        clf: Any = RandomForestClassifier(n_estimators=100, max_depth=20, random_state=seed)
    else:
        clf = LogisticRegression(max_iter=500)
    return make_pipeline(StandardScaler(), clf).fit(X, y)
