"""The reference pipeline as data: simulate → validate → features → train → evaluate → register.

Each stage is a function of the settings (paths) and the parameters; the `fraud` CLI runs one
stage per subcommand, `fraud pipeline` runs them all in order, and `dvc.yaml` declares the same
stages with their dependencies and outputs so that `dvc repro` reruns only what changed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference_impl.config import Settings
from reference_impl.params import Params, load_params

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class GateFailed(ValueError):
    """The evaluation gate blocked the candidate (the report is written all the same)."""


def candidate_dir(settings: Settings) -> Path:
    """Where `fraud train` writes the release candidate."""
    return settings.models_dir / "candidate"


def evaluation_dir(settings: Settings) -> Path:
    """Where `fraud evaluate` writes evaluation.json, metrics.json and the plots."""
    return settings.reports_dir / "evaluation"


def run_train(
    *, settings: Settings, params: Params, track: bool = True, progress: Progress = _quiet
) -> Any:
    """Train stage: features in, candidate (model + train.json) out, run tracked in MLflow."""
    from reference_impl import data, train

    frame = data.load_features(settings.features_dir)
    digest = data.read_features_metadata(settings.features_dir).get("dataset_hash", "unknown")
    result = train.train(
        frame,
        params=params,
        data_hash=digest,
        tracking_uri=settings.tracking_uri if track else None,
        progress=progress,
    )
    train.save_candidate(result, candidate_dir(settings))
    return result


def run_evaluate(
    *, settings: Settings, params: Params, track: bool = True, progress: Progress = _quiet
) -> Any:
    """Evaluate stage: evaluation.json, metrics.json, plots; raises GateFailed if gated."""
    from reference_impl import data, evaluate, train

    model, meta = train.load_candidate(candidate_dir(settings))
    frame = data.load_features(settings.features_dir)
    result = evaluate.evaluate(
        frame,
        model,
        meta,
        params=params,
        out_dir=evaluation_dir(settings),
        tracking_uri=settings.tracking_uri if track else None,
        progress=progress,
    )
    if not result.gate.passed:
        raise GateFailed("gate failed: " + "; ".join(result.gate.reasons))
    return result


def run_register(*, settings: Settings, params: Params, track: bool = True) -> Any:
    """Register stage: MLflow registry entry + exported version directory + model card."""
    from reference_impl import evaluate, registry

    return registry.register(
        candidate_dir(settings),
        evaluate.load_evaluation(evaluation_dir(settings)),
        models_dir=settings.models_dir,
        tracking_uri=settings.tracking_uri if track else None,
        model_name=params.registry.model_name,
    )


def run_simulate(*, settings: Settings, preset: str, seed: int) -> dict[str, Any]:
    """Simulate stage: a fresh raw dataset for `preset` and `seed` (replaces an existing one)."""
    from reference_impl import simulate

    sim = simulate.simulate(simulate.config_for(preset, seed=seed))
    manifest: dict[str, Any] = simulate.write_raw(sim, settings.raw_dir, force=True)
    return manifest


def run_validate(*, settings: Settings) -> Any:
    """Validate stage: raises DataContractError listing every violation."""
    from reference_impl.validate import validate

    return validate(settings.raw_dir, raise_on_error=True)


def run_features(*, settings: Settings) -> Any:
    """Features stage: the 15 point-in-time features of the raw dataset."""
    from reference_impl.features import featurize

    return featurize(settings.raw_dir, settings.features_dir, delay_days=settings.label_delay_days)


@dataclass(frozen=True)
class Stage:
    """One pipeline step: a name and what to run."""

    name: str
    run: Callable[[Settings, Params, str, int, Progress], Any]


# Order matters: each stage reads what the previous one wrote (same as dvc.yaml's deps).
STAGES: tuple[Stage, ...] = (
    Stage(
        "simulate",
        lambda st, pa, preset, seed, pr: run_simulate(settings=st, preset=preset, seed=seed),
    ),
    Stage("validate", lambda st, pa, preset, seed, pr: run_validate(settings=st)),
    Stage("features", lambda st, pa, preset, seed, pr: run_features(settings=st)),
    Stage("train", lambda st, pa, preset, seed, pr: run_train(settings=st, params=pa, progress=pr)),
    Stage(
        "evaluate",
        lambda st, pa, preset, seed, pr: run_evaluate(settings=st, params=pa, progress=pr),
    ),
    Stage("register", lambda st, pa, preset, seed, pr: run_register(settings=st, params=pa)),
)


@dataclass
class PipelineResult:
    """Seconds per stage and the registered version."""

    seconds: dict[str, float] = field(default_factory=dict)
    version: str | None = None

    @property
    def total(self) -> float:
        """Seconds for the whole run."""
        return sum(self.seconds.values())


def generated_paths(settings: Settings) -> list[Path]:
    """What a fresh run removes first: data, models, reports and the MLflow store under the root."""
    paths = [settings.data_path, settings.models_dir, settings.reports_dir]
    if settings.mlflow_tracking_uri is None:  # only the default store under the root
        paths += [settings.root / "mlflow.db", settings.root / "mlartifacts"]
    return paths


def run_pipeline(
    *,
    settings: Settings,
    preset: str,
    seed: int,
    params_path: Path | str | None = None,
    fresh: bool = False,
    progress: Progress = _quiet,
) -> PipelineResult:
    """Run every stage in order; stop at the first failure (its exception propagates).

    Args:
        settings: paths (raw data, features, models, reports, MLflow store).
        preset: simulator size preset (tiny, small, full).
        seed: simulator seed.
        params_path: `params.yaml` for the model stages (defaults when None).
        fresh: remove everything generated under the root first (a run from scratch).
        progress: called with one line per step.
    """
    params = load_params(params_path)
    if fresh:
        for path in generated_paths(settings):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    result = PipelineResult()
    for stage in STAGES:
        progress(f"[{stage.name}]")
        start = time.perf_counter()
        out = stage.run(settings, params, preset, seed, progress)
        result.seconds[stage.name] = round(time.perf_counter() - start, 2)
        progress(f"[{stage.name}] done in {result.seconds[stage.name]:.1f} s")
        if stage.name == "register":
            result.version = out.version
    return result
