"""Simulated datasets shared by the reference_impl suites (tiny presets, built once), and the tiny
registered lesion model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from reference_impl.simulate import Simulation, config_for, simulate, write_raw

if TYPE_CHECKING:
    from reference_impl.lesion.config import LesionSettings
    from reference_impl.lesion.simulate import Simulation as LesionSimulation


@pytest.fixture(autouse=True)
def _apps_leave_the_heap_unfrozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps started by a test do not collect and freeze the heap (FRAUD_SERVE_FREEZE_HEAP).

    A service collects once at startup and freezes what survives; in a test run each app start
    would walk the whole pytest process instead (0.1-0.2 s each, ~14 s over the serve suite's
    ~110 app starts). test_serve_overhead.py checks the freeze with the setting on.
    """
    monkeypatch.setenv("FRAUD_SERVE_FREEZE_HEAP", "false")


@pytest.fixture(scope="session")
def tiny_sim() -> Simulation:
    """The tiny preset, seed 0 (about 55k transactions over 60 days)."""
    return simulate(config_for("tiny", seed=0))


@pytest.fixture(scope="session")
def tiny_raw(tiny_sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset written as a raw dataset (treat as read-only: copy before corrupting)."""
    out = tmp_path_factory.mktemp("raw") / "raw"
    write_raw(tiny_sim, out)
    return out


# The lesion system (issue 20): one tiny dataset, one feature table and one registered model for
# every suite that needs them (lesion stages, the registry hook, the image route).
LESION_MODEL_BLOCKS: dict[str, Any] = {
    "data": {"preset": "tiny"},
    "features": {"n_jobs": 1},
    # Half the patients held out so that subgroups have cancers to judge; the enough-data rule
    # scaled down to match (tests/reference_impl/lesion/test_train.py says why).
    "train": {"families": ["logreg"], "test_share": 0.5, "n_folds": 4},
    "evaluate": {"n_boot": 200, "min_malignant": 8, "min_patients": 5, "sensitivity_floor": 0.5},
}


@pytest.fixture(scope="session")
def lesion_model_blocks() -> dict[str, Any]:
    """The `lesion:` parameter blocks `lesion_registered` was trained, evaluated and gated with."""
    return LESION_MODEL_BLOCKS


@pytest.fixture(scope="session")
def lesion_sim() -> LesionSimulation:
    """The tiny lesion preset, seed 0."""
    from reference_impl.lesion.simulate import config_for as lesion_config_for
    from reference_impl.lesion.simulate import simulate as simulate_lesions

    return simulate_lesions(lesion_config_for("tiny", seed=0))


@pytest.fixture(scope="session")
def lesion_raw(lesion_sim: LesionSimulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset written in the HAM10000 layout (read-only: copy before corrupting)."""
    from reference_impl.lesion.data import write_dataset

    out = tmp_path_factory.mktemp("lesion") / "raw"
    write_dataset(lesion_sim, out)
    return out


@pytest.fixture(scope="session")
def lesion_features_dir(lesion_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset's feature table, written by the features stage (read-only)."""
    from reference_impl.lesion.config import LesionSettings
    from reference_impl.lesion.params import parse_params
    from reference_impl.lesion.runner import run_features

    settings = LesionSettings(root=tmp_path_factory.mktemp("lesion_features"), raw_path=lesion_raw)
    params = parse_params({"data": {"preset": "tiny"}, "features": {"n_jobs": 1}})
    return run_features(settings=settings, params=params).path.parent


@pytest.fixture(scope="session")
def lesion_registered(
    lesion_raw: Path, lesion_features_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> LesionSettings:
    """train → evaluate → register on the tiny preset: `models_dir` holds v001, the champion
    (read-only: copy the root before registering more)."""
    from reference_impl.lesion.config import LesionSettings
    from reference_impl.lesion.model_runner import run_evaluate, run_train
    from reference_impl.lesion.params import parse_params
    from reference_impl.lesion.registration import run_register

    settings = LesionSettings(
        root=tmp_path_factory.mktemp("lesion_registered"),
        raw_path=lesion_raw,
        features_path=lesion_features_dir,
        track=False,
    )
    params = parse_params(LESION_MODEL_BLOCKS)
    run_train(settings=settings, params=params)
    run_evaluate(settings=settings, params=params)
    run_register(settings=settings, params=params)
    return settings
