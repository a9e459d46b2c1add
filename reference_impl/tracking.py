"""MLflow set-up shared by train, evaluate and register: local SQLite store, quiet, offline.

mlflow is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import os
import platform
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from reference_impl.params import Params
    from reference_impl.train import TrainResult

EXPERIMENT = "fraud-reference"
LIBRARIES = ("scikit-learn", "numpy", "pandas", "pyarrow", "skops", "mlflow-skinny")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model depends on (plus Python)."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def mlflow_client(tracking_uri: str, experiment: str = EXPERIMENT) -> ModuleType:
    """Point MLflow at `tracking_uri` (e.g. ``sqlite:///build/mlflow.db``) and an experiment.

    Returns the `mlflow` module, configured. Artifacts of a new experiment go next to a SQLite
    store (``<dir>/mlartifacts``), never into the working directory.
    """
    # Offline and quiet: no telemetry, no git probing, no per-call INFO lines about migrations.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    import mlflow

    # After the import: mlflow sets its own logger level when it is first imported.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)

    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        location = None
        if tracking_uri.startswith("sqlite:///"):
            db = tracking_uri.removeprefix("sqlite:///")
            location = "file://" + os.path.join(os.path.dirname(os.path.abspath(db)), "mlartifacts")
        mlflow.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)
    return mlflow


def log_training(
    result: TrainResult, params: Params, tracking_uri: str, sample: pd.DataFrame
) -> tuple[str, str]:
    """Log a training run to MLflow; return its run id and the logged model's URI.

    Logged: parameters, per-fold validation metrics (one nested run per family), the data hash,
    the feature list, library versions and the model itself (skops format).
    """
    from reference_impl import registry
    from reference_impl.train import fraud_score

    mlflow = mlflow_client(tracking_uri)
    with mlflow.start_run(run_name=f"train-{result.family}") as run:
        mlflow.set_tags(
            {
                "stage": "train",
                "data_hash": result.data_hash,
                **{f"version.{k}": v for k, v in library_versions().items()},
            }
        )
        mlflow.log_params({f"split.{k}": v for k, v in params.split.model_dump().items()})
        mlflow.log_params(
            {
                "family": result.family,
                "scoring": result.scoring,
                "threshold_policy": result.threshold_policy,
                "train_days": f"{result.train_days[0]}-{result.train_days[1]}",
                **{f"best.{k}": v for k, v in result.params.items()},
            }
        )
        mlflow.log_metrics({"threshold": result.threshold, "n_train": result.n_train})
        mlflow.log_dict({"features": result.feature_columns}, "feature_schema.json")
        for res in result.selection:
            with mlflow.start_run(run_name=f"select-{res.family}", nested=True):
                mlflow.set_tags({"stage": "select", "family": res.family})
                mlflow.log_params({"family": res.family, **res.best_params})
                for metric, values in res.folds.items():
                    for i, value in enumerate(values):
                        mlflow.log_metric(f"valid_{metric}", value, step=i)
                    mlflow.log_metric(f"valid_{metric}_mean", res.mean(metric))
                    mlflow.log_metric(f"valid_{metric}_std", res.std(metric))
            mlflow.log_metric(
                f"{res.family}.valid_average_precision", res.mean("average_precision")
            )
        mlflow.log_dict(result.to_dict(), "train.json")
        from mlflow.models import infer_signature

        # Float columns: the API may send an integer feature as 2.0, which an int schema rejects.
        x = sample[result.feature_columns].astype("float64")
        signature = infer_signature(x, fraud_score(result.model, x))
        info = mlflow.sklearn.log_model(
            result.model,
            name="model",
            signature=signature,
            serialization_format="skops",
            skops_trusted_types=registry.untrusted_types_of(result.model),
            pip_requirements=[  # explicit: inferring them would import and run the model again
                f"{lib}=={version}"
                for lib, version in library_versions().items()
                if lib in {"scikit-learn", "numpy", "skops"}
            ],
        )
        mlflow.set_tag("model_uri", info.model_uri)
        return str(run.info.run_id), str(info.model_uri)
