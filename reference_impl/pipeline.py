"""The reference pipeline as data: simulate → validate → features → train → evaluate → register.

`STAGES` lists the runners of `reference_impl.runner` in order; `fraud pipeline` runs them one
after the other, and `dvc.yaml` declares the same stages (each a `fraud <stage>` command) with
their dependencies and outputs so that `dvc repro` reruns only what changed.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reference_impl import runner
from reference_impl.config import Settings
from reference_impl.params import Params


class Stage(Protocol):
    """A runner: `run_<stage>(*, settings, params, progress) -> <Stage>Result`.

    Each system brings its own settings and params (fraud: `Settings`, `Params`; lesion:
    `LesionSettings`, a `Settings`, and `LesionParams`), hence `Any` here.
    """

    __name__: str

    def __call__(
        self, *, settings: Any, params: Any, progress: runner.Progress
    ) -> runner.StageResult: ...


# Order matters: each stage reads what the previous one wrote (the same deps as dvc.yaml).
STAGES: tuple[Stage, ...] = (
    runner.run_simulate,
    runner.run_validate,
    runner.run_features,
    runner.run_train,
    runner.run_evaluate,
    runner.run_register,
)


def stage_name(stage: Stage) -> str:
    """`run_train` -> `train`."""
    return stage.__name__.removeprefix("run_")


@dataclass
class PipelineResult:
    """Each stage's result and seconds, in order."""

    results: dict[str, runner.StageResult] = field(default_factory=dict)

    @property
    def seconds(self) -> dict[str, float]:
        """Seconds per stage."""
        return {name: res.seconds for name, res in self.results.items()}

    @property
    def total(self) -> float:
        """Seconds for the whole run."""
        return round(sum(self.seconds.values()), 2)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON: each stage's result and the total."""
        return {"stages": {k: v.to_dict() for k, v in self.results.items()}, "total": self.total}


def generated_paths(settings: Settings) -> list[Path]:
    """What a fresh run removes first: data, models, reports and the MLflow store under the root."""
    paths = [settings.data_path, settings.raw_dir, settings.features_dir]
    paths += [settings.models_dir, settings.reports_dir]
    if settings.mlflow_tracking_uri is None:  # only the default store under the root
        paths += [settings.root / "mlflow.db", settings.root / "mlartifacts"]
    return paths


def run_pipeline(
    *,
    settings: Settings,
    params: Params | Any,
    fresh: bool = False,
    progress: runner.Progress = runner.quiet,
    stages: tuple[Stage, ...] = STAGES,
) -> PipelineResult:
    """Run every stage in order; stop at the first failure (its exception propagates).

    Args:
        settings: paths (raw data, features, models, reports, MLflow store).
        params: every stage's parameters (params.yaml).
        fresh: remove everything generated under the root first (a run from scratch).
        progress: called with one line per step.
        stages: the runners to call in order (another system brings its own).
    """
    if fresh:
        for path in generated_paths(settings):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    result = PipelineResult()
    for stage in stages:
        name = stage_name(stage)
        progress(f"[{name}]")
        start = time.perf_counter()
        result.results[name] = stage(settings=settings, params=params, progress=progress)
        progress(f"[{name}] done in {time.perf_counter() - start:.1f} s")
    return result
