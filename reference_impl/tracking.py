"""MLflow set-up shared by train, evaluate and register: local SQLite store, quiet, offline.

mlflow is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import os
import platform
from importlib import metadata
from types import ModuleType

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
