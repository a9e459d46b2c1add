"""Runners of the lesion system's data stages: simulate → validate → features.

Same shape as `reference_impl.runner`: `run_<stage>(*, settings, params, progress) ->
<Stage>Result`, a frozen result whose `to_dict()` is what `--json` prints, inputs checked,
outputs written atomically, expected failures as `errors.DomainError` subclasses. The model
stages (train, evaluate) are in `lesion.model_runner`, register in `lesion.registration`;
`STAGES` lists all six in order, for `pipeline.run_pipeline(stages=...)`.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reference_impl.errors import DatasetExistsError
from reference_impl.lesion import schemas as s
from reference_impl.lesion.config import LesionSettings
from reference_impl.lesion.model_runner import run_evaluate, run_train
from reference_impl.lesion.params import LesionParams
from reference_impl.lesion.registration import run_register
from reference_impl.runner import Progress, StageResult, ValidateResult, quiet

VALIDATION_REPORT = "validation.json"
FEATURES_FILE = "features.parquet"
FEATURES_META = "features.json"
# What the feature table carries besides the features: ids, label, and the audit's subgroups.
KEEP_COLUMNS = (
    s.IMAGE_ID,
    s.LESION_ID,
    s.PATIENT_ID,
    s.LABEL,
    s.DX,
    s.SKIN_TONE,
    s.DEVICE,
    s.AGE,
    s.SEX,
)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


@dataclass(frozen=True)
class LesionSimulateResult(StageResult):
    """The generated dataset: where, what, and whether this run wrote it."""

    path: Path
    preset: str
    prevalence: str
    seed: int
    n_images: int
    n_lesions: int
    n_patients: int
    n_malignant: int
    dataset_hash: str
    written: bool  # False: this very dataset was already there and was kept


def run_simulate(
    *,
    settings: LesionSettings,
    params: LesionParams,
    force: bool = False,
    progress: Progress = quiet,
) -> LesionSimulateResult:
    """Generate `params.data` into `settings.raw_dir`, unless that very dataset is there.

    Raises:
        DatasetExistsError: another dataset is in the way and `force` is false.
        InvalidInputError: unknown preset or invalid overrides.
    """
    from reference_impl.lesion.data import read_manifest, write_dataset
    from reference_impl.lesion.simulate import config_for, simulate

    start = time.perf_counter()
    d, target = params.data, settings.raw_dir
    cfg = config_for(d.preset, d.prevalence, **{"seed": d.seed, **d.overrides})
    occupied = target.is_dir() and any(target.iterdir())
    manifest = read_manifest(target) if occupied else {}
    keep = bool(manifest) and manifest.get("config") == cfg.model_dump(mode="json") and not force
    if keep:
        progress(f"{target} already holds this dataset: kept")
    elif occupied and not force:
        raise DatasetExistsError(
            f"{target} already holds another dataset; raw data is immutable (use --force)"
        )
    else:
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            if done[0] % 1000 < n or done[0] == cfg.n_images:
                progress(f"rendered {done[0]:,}/{cfg.n_images:,} images")

        progress(f"generating {d.preset} ({cfg.n_images:,} images, {d.prevalence}, seed {d.seed})")
        manifest = write_dataset(simulate(cfg, n_jobs=d.n_jobs, progress=step), target, force=force)
    return LesionSimulateResult(
        seconds=_since(start),
        path=target,
        preset=d.preset,
        prevalence=d.prevalence,
        seed=d.seed,
        n_images=int(manifest["n_images"]),
        n_lesions=int(manifest["n_lesions"]),
        n_patients=int(manifest["n_patients"]),
        n_malignant=int(manifest["n_malignant"]),
        dataset_hash=str(manifest["dataset_hash"]),
        written=not keep,
    )


def run_validate(
    *, settings: LesionSettings, params: LesionParams, progress: Progress = quiet
) -> ValidateResult:
    """Check the dataset against the contract; write reports/validation.json either way.

    Raises:
        DataContractError: the data breaks the contract (the report is written first).
        MissingInputError: no dataset.
    """
    from reference_impl import atomic
    from reference_impl.lesion.validate import validate
    from reference_impl.validate import DataContractError

    start = time.perf_counter()
    report = validate(settings.raw_dir)
    path = atomic.write_text(settings.reports_dir / VALIDATION_REPORT, report.to_json() + "\n")
    progress(f"{len(report.checks)} checks, {len(report.violations)} violation(s) -> {path}")
    if not report.ok:
        raise DataContractError(report)
    return ValidateResult(
        seconds=_since(start), report_path=path, report=report.to_dict(), text=report.to_text()
    )


@dataclass(frozen=True)
class LesionFeaturesResult(StageResult):
    """The feature table written."""

    path: Path
    n_rows: int
    n_features: int
    dataset_hash: str


def _abcd(images: np.ndarray) -> np.ndarray:
    from reference_impl.lesion.features import ABCDFeatures

    return ABCDFeatures().transform(images)


def compute_features(
    images: np.ndarray, *, n_jobs: int = 1, progress: Progress = quiet
) -> np.ndarray:
    """ABCD features of many images, in chunks over `n_jobs` processes (same result for any)."""
    chunks = [images[i : i + 500] for i in range(0, len(images), 500)]
    parts: list[np.ndarray] = []
    if n_jobs > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            for part in pool.map(_abcd, chunks):
                parts.append(part)
                progress(f"features of {sum(len(p) for p in parts):,}/{len(images):,} images")
    else:
        for chunk in chunks:
            parts.append(_abcd(chunk))
            progress(f"features of {sum(len(p) for p in parts):,}/{len(images):,} images")
    return np.concatenate(parts) if parts else _abcd(images)


def run_features(
    *, settings: LesionSettings, params: LesionParams, progress: Progress = quiet
) -> LesionFeaturesResult:
    """Validate the dataset, then write its ABCD feature table (nothing on bad data).

    Writes `features.parquet` (ids, label, subgroups, then one column per feature) and
    `features.json` (feature names, dataset hash) into `settings.features_dir`, atomically.

    Raises:
        DataContractError: the dataset breaks the contract.
        MissingInputError: no dataset.
    """
    from reference_impl.atomic import atomic_directory, write_json
    from reference_impl.lesion.data import dataset_hash, load_dataset, read_manifest
    from reference_impl.lesion.features import FEATURE_NAMES
    from reference_impl.lesion.validate import validate

    start = time.perf_counter()
    validate(settings.raw_dir, raise_on_error=True)
    ds = load_dataset(settings.raw_dir)
    digest = read_manifest(settings.raw_dir).get("dataset_hash") or dataset_hash(settings.raw_dir)
    X = compute_features(ds.images, n_jobs=params.features.n_jobs, progress=progress)
    table = pd.concat(
        [
            ds.metadata[list(KEEP_COLUMNS)].reset_index(drop=True),
            pd.DataFrame(X, columns=list(FEATURE_NAMES)),
        ],
        axis=1,
    )
    meta = {"feature_names": list(FEATURE_NAMES), "dataset_hash": digest, "n_rows": len(table)}
    with atomic_directory(settings.features_dir, mode=0o755) as tmp:
        table.to_parquet(tmp / FEATURES_FILE, index=False)
        write_json(tmp / FEATURES_META, meta)
    path = settings.features_dir / FEATURES_FILE
    progress(f"{len(table):,} rows x {len(FEATURE_NAMES)} features -> {path}")
    return LesionFeaturesResult(
        seconds=_since(start),
        path=path,
        n_rows=len(table),
        n_features=len(FEATURE_NAMES),
        dataset_hash=digest,
    )


# Order matters: each stage reads what the previous one wrote (the same deps as dvc.yaml).
STAGES = (run_simulate, run_validate, run_features, run_train, run_evaluate, run_register)
