"""One runner per stage: the only implementation of simulate → validate → features → train →
evaluate → register. The `fraud` CLI, `fraud pipeline` (`pipeline.STAGES`) and `dvc.yaml` all call
these, so a stage behaves the same whichever way it is run.

Each runner is `run_<stage>(*, settings, params, progress) -> <Stage>Result`: `settings` says
where (paths, MLflow), `params` what (params.yaml), `progress` receives one line per step. A
runner checks its inputs, writes its outputs atomically and returns a frozen result whose
`to_dict()` is what `--json` prints. Expected failures raise `errors.DomainError` subclasses.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reference_impl.config import Settings
from reference_impl.errors import DatasetExistsError, GateFailed, InvalidInputError
from reference_impl.params import Params

if TYPE_CHECKING:
    from reference_impl.release import ReleaseDecision

Progress = Callable[[str], None]
VALIDATION_REPORT = "validation.json"
RELEASE_REPORT = "release.json"


def quiet(_: str) -> None:
    """A progress callback that says nothing."""


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class StageResult:
    """Base of the stage results: `to_dict()` gives JSON-ready plain data."""

    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (paths as strings)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


@dataclass(frozen=True)
class SimulateResult(StageResult):
    """The raw dataset: where, what, and whether this run wrote it."""

    path: Path
    preset: str
    seed: int
    n_days: int
    n_transactions: int
    n_frauds: int
    dataset_hash: str
    written: bool  # False: this very dataset was already there and was kept


def run_simulate(
    *, settings: Settings, params: Params, force: bool = False, progress: Progress = quiet
) -> SimulateResult:
    """Simulate `params.data` into `settings.raw_dir`, unless that very dataset is already there.

    Raw data is immutable: a dataset of the same simulator config is kept as is (the simulator
    is deterministic: it would be the same bytes); a different one is replaced only with `force`.

    Raises:
        DatasetExistsError: a different dataset is in the way and `force` is false.
        InvalidInputError: unknown preset or invalid overrides.
    """
    from reference_impl import data, simulate

    start = time.perf_counter()
    d, target = params.data, settings.raw_dir
    cfg = simulate.config_for(d.preset, **{"seed": d.seed, **d.overrides})
    manifest = data.read_manifest(target) if target.is_dir() and any(target.iterdir()) else {}
    keep = bool(manifest) and manifest.get("config") == cfg.model_dump(mode="json") and not force
    if keep:
        progress(f"{target} already holds this dataset: kept")
    elif target.is_dir() and any(target.iterdir()) and not force:
        raise DatasetExistsError(
            f"{target} already holds another dataset; raw data is immutable (use --force, "
            "or `fraud pipeline --fresh`)"
        )
    else:
        progress(f"simulating {d.preset} (seed {d.seed}) …")
        manifest = data.write_raw(simulate.simulate(cfg), target, force=force)
    return SimulateResult(
        seconds=_since(start),
        path=target,
        preset=d.preset,
        seed=d.seed,
        n_days=int(manifest["n_days"]),
        n_transactions=int(manifest["n_transactions"]),
        n_frauds=int(manifest["n_frauds"]),
        dataset_hash=str(manifest["dataset_hash"]),
        written=not keep,
    )


@dataclass(frozen=True)
class ValidateResult(StageResult):
    """The data contract's report and where it was written."""

    report_path: Path
    report: dict[str, Any]
    text: str


def run_validate(
    *, settings: Settings, params: Params, progress: Progress = quiet
) -> ValidateResult:
    """Check the raw data against the contract; write reports/validation.json either way.

    Raises:
        DataContractError: the data breaks the contract (the report is written first).
        MissingInputError: no raw dataset.
    """
    from reference_impl import atomic
    from reference_impl.validate import DataContractError, validate

    start = time.perf_counter()
    report = validate(settings.raw_dir, params.validate_.bands)
    path = atomic.write_text(settings.reports_dir / VALIDATION_REPORT, report.to_json() + "\n")
    progress(f"{len(report.checks)} checks, {len(report.violations)} violation(s) -> {path}")
    if not report.ok:
        raise DataContractError(report)
    return ValidateResult(
        seconds=_since(start), report_path=path, report=report.to_dict(), text=report.to_text()
    )


@dataclass(frozen=True)
class FeaturesResult(StageResult):
    """The feature table written."""

    path: Path
    n_rows: int
    dataset_hash: str
    delay_days: int


def run_features(
    *, settings: Settings, params: Params, progress: Progress = quiet
) -> FeaturesResult:
    """Validate the raw data, then write its 15 point-in-time features (nothing on bad data).

    Raises:
        DataContractError: the raw data breaks the contract.
        MissingInputError: no raw dataset.
    """
    from reference_impl.features import featurize

    start = time.perf_counter()
    delay = params.features.delay_days
    res = featurize(settings.raw_dir, settings.features_dir, delay_days=delay)
    progress(f"features with a label delay of {delay} days -> {res.path}")
    return FeaturesResult(
        seconds=_since(start),
        path=res.path,
        n_rows=res.n_rows,
        dataset_hash=res.dataset_hash,
        delay_days=delay,
    )


@dataclass(frozen=True)
class TrainResult(StageResult):
    """The release candidate: how it was chosen and where it was written."""

    candidate_dir: Path
    family: str
    params: dict[str, Any]
    train_days: tuple[int, int]
    threshold: float
    threshold_policy: str
    validation_average_precision: dict[str, float]  # family -> mean over the validation folds
    run_id: str | None


def run_train(*, settings: Settings, params: Params, progress: Progress = quiet) -> TrainResult:
    """Select a family prequentially, fit the candidate, save it (and track the run).

    Raises:
        MissingInputError: no feature table.
        InvalidInputError: missing columns, or too few days for the folds.
    """
    from reference_impl import data, registry, train

    start = time.perf_counter()
    frame = data.load_features(settings.features_dir)
    digest = data.read_features_metadata(settings.features_dir).get("dataset_hash", "unknown")
    cand = train.train(
        frame, params=params, data_hash=digest, tracking_uri=settings.tracking, progress=progress
    )
    registry.save_candidate(cand.model, cand.to_dict(), settings.candidate_dir)
    return TrainResult(
        seconds=_since(start),
        candidate_dir=settings.candidate_dir,
        family=cand.family,
        params=cand.params,
        train_days=cand.train_days,
        threshold=cand.threshold,
        threshold_policy=cand.threshold_policy,
        validation_average_precision={
            r.family: r.mean("average_precision") for r in cand.selection
        },
        run_id=cand.run_id,
    )


@dataclass(frozen=True)
class EvaluateResult(StageResult):
    """Headline metrics, the floors' outcome and where the reports went."""

    out_dir: Path
    headline: dict[str, float]
    gate_passed: bool
    gate_reasons: list[str]


def run_evaluate(
    *, settings: Settings, params: Params, progress: Progress = quiet
) -> EvaluateResult:
    """Score the candidate, write evaluation.json, metrics.json, the KPI curve and the plots.

    Raises:
        GateFailed: a floor failed (the reports are written first).
        MissingInputError: no candidate or no feature table.
    """
    from reference_impl import data, evaluate, registry

    start = time.perf_counter()
    model, meta = registry.load_candidate(settings.candidate_dir)
    res = evaluate.evaluate(
        data.load_features(settings.features_dir),
        model,
        meta,
        params=params,
        out_dir=settings.evaluation_dir,
        tracking_uri=settings.tracking,
        progress=progress,
    )
    if not res.gate.passed:
        raise GateFailed("gate failed: " + "; ".join(res.gate.reasons))
    return EvaluateResult(
        seconds=_since(start),
        out_dir=settings.evaluation_dir,
        headline=res.headline,
        gate_passed=res.gate.passed,
        gate_reasons=res.gate.reasons,
    )


@dataclass(frozen=True)
class RegisterResult(StageResult):
    """The version published, the release decision, and the champion afterwards."""

    version: str
    directory: Path
    decision: str
    reasons: list[str]
    champion: str | None
    mlflow_version: str | None
    report_path: Path


def release_decision(
    *, settings: Settings, params: Params, model: Any, evaluation: dict[str, Any]
) -> ReleaseDecision:
    """Floors (from the evaluation), then candidate vs champion on the candidate's test week."""
    from reference_impl import data, evaluate, registry, release, schemas
    from reference_impl.train import fraud_score

    gate = evaluation.get("gate", {})
    comparison = None
    champion = registry.champion_version(settings.models_dir)
    if champion is not None and gate.get("passed"):
        champ_model, champ_meta = registry.load_registered(settings.models_dir / champion)
        if list(champ_meta["features"]) != list(schemas.FEATURE_COLUMNS):
            raise InvalidInputError(f"champion {champion} uses other features: cannot compare")
        frame = data.load_features(settings.features_dir)
        rows = frame.iloc[evaluate.test_folds(frame, params.split)[-1].test_idx]
        comparison = release.compare(
            rows[schemas.LABEL].to_numpy(),
            fraud_score(model, rows),
            fraud_score(champ_model, rows),
            rows[schemas.CUSTOMER_ID].to_numpy(),
            rows[schemas.TERMINAL_ID].to_numpy(),
            champion=champion,
            n_replicates=params.registry.n_replicates,
        )
    return release.decide(
        gate_passed=bool(gate.get("passed")),
        gate_reasons=list(gate.get("reasons", ["no gate result in the evaluation"])),
        comparison=comparison,
        z=params.registry.noise_z,
        max_regression=params.registry.max_regression,
    )


def run_register(
    *, settings: Settings, params: Params, progress: Progress = quiet
) -> RegisterResult:
    """Decide promote / challenger / reject against the champion, then publish the version.

    Raises:
        GateFailed: the candidate is rejected (reports/release.json says why; nothing published).
        MissingInputError: no candidate or no evaluation.
    """
    from reference_impl import atomic, evaluate, registry
    from reference_impl.release import Decision

    start = time.perf_counter()
    model, _ = registry.load_candidate(settings.candidate_dir)
    evaluation = evaluate.load_evaluation(settings.evaluation_dir)
    decision = release_decision(
        settings=settings, params=params, model=model, evaluation=evaluation
    )
    report = atomic.write_json(settings.reports_dir / RELEASE_REPORT, decision.to_dict())
    for reason in decision.reasons:
        progress(f"{decision.decision.value}: {reason}")
    if decision.decision is Decision.REJECT:
        raise GateFailed("refusing to register: " + "; ".join(decision.reasons))
    reg = registry.register(
        settings.candidate_dir,
        evaluation,
        decision.to_dict(),
        models_dir=settings.models_dir,
        tracking_uri=settings.tracking,
        model_name=params.registry.model_name,
    )
    return RegisterResult(
        seconds=_since(start),
        version=reg.version,
        directory=reg.directory,
        decision=decision.decision.value,
        reasons=decision.reasons,
        champion=reg.champion,
        mlflow_version=reg.mlflow_version,
        report_path=report,
    )
