"""MLflow set-up shared by train, evaluate and register: local SQLite store, quiet, offline.

A leaf: it takes plain values (names, dicts of parameters and metrics, a fitted model) and
imports nothing else of the project, so any stage can log without importing another stage.
mlflow is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

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


@dataclass(frozen=True)
class ChildRun:
    """A nested run, e.g. one model family's search: values per fold are logged as steps."""

    name: str
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    per_fold: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedModel:
    """A fitted model with an input example and its scores (for the signature)."""

    model: Any
    example: Any  # a DataFrame of float columns
    scores: Any  # the model's output on `example`
    trusted_types: list[str]


def log_run(
    tracking_uri: str,
    *,
    run_name: str,
    tags: dict[str, str],
    params: dict[str, Any],
    metrics: dict[str, float],
    dicts: dict[str, dict[str, Any]],
    children: Sequence[ChildRun] = (),
    model: LoggedModel | None = None,
    experiment: str = EXPERIMENT,
) -> tuple[str, str | None]:
    """Log one parent run (and its nested runs, and a skops model); return run id and model URI.

    Per-fold values go in as steps (`step=i`) with their mean and standard deviation, so the
    MLflow UI can compare the children side by side. Each system logs to its own `experiment`.
    """
    mlflow = mlflow_client(tracking_uri, experiment)
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.set_tags({**tags, **{f"version.{k}": v for k, v in library_versions().items()}})
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        for name, payload in dicts.items():
            mlflow.log_dict(payload, name)
        for child in children:
            with mlflow.start_run(run_name=child.name, nested=True):
                mlflow.set_tags(child.tags)
                mlflow.log_params(child.params)
                for metric, values in child.per_fold.items():
                    for i, value in enumerate(values):
                        mlflow.log_metric(metric, value, step=i)
                mlflow.log_metrics(child.metrics)
        model_uri = _log_model(mlflow, model) if model is not None else None
        return str(run.info.run_id), model_uri


def _log_model(mlflow: ModuleType, logged: LoggedModel) -> str:
    from mlflow.models import infer_signature

    info = mlflow.sklearn.log_model(
        logged.model,
        name="model",
        signature=infer_signature(logged.example, logged.scores),
        serialization_format="skops",
        skops_trusted_types=logged.trusted_types,
        pip_requirements=[  # explicit: inferring them would import and run the model again
            f"{lib}=={version}"
            for lib, version in library_versions().items()
            if lib in {"scikit-learn", "numpy", "skops"}
        ],
    )
    mlflow.set_tag("model_uri", info.model_uri)
    return str(info.model_uri)


def log_to_run(
    tracking_uri: str,
    run_id: str,
    *,
    tags: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    per_fold: dict[str, list[float]] | None = None,
    dicts: dict[str, dict[str, Any]] | None = None,
    texts: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    experiment: str = EXPERIMENT,
) -> None:
    """Add to an existing run: tags, metrics, per-fold steps, JSON, text, files (name -> folder)."""
    mlflow = mlflow_client(tracking_uri, experiment)
    with mlflow.start_run(run_id=run_id):
        mlflow.set_tags(tags or {})
        mlflow.log_metrics(metrics or {})
        for metric, values in (per_fold or {}).items():
            for i, value in enumerate(values):
                mlflow.log_metric(metric, value, step=i)
        for name, payload in (dicts or {}).items():
            mlflow.log_dict(payload, name)
        for name, text in (texts or {}).items():
            mlflow.log_text(text, name)
        for path, folder in (files or {}).items():
            mlflow.log_artifact(path, artifact_path=folder)
