"""The tiny lesion dataset shared by the lesion suites (500 images, seed 0, built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_impl.lesion.data import write_dataset
from reference_impl.lesion.simulate import Simulation, config_for, simulate


@pytest.fixture(scope="session")
def lesion_sim() -> Simulation:
    """The tiny preset, seed 0."""
    return simulate(config_for("tiny", seed=0))


@pytest.fixture(scope="session")
def lesion_raw(lesion_sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset written in the HAM10000 layout (read-only: copy before corrupting)."""
    out = tmp_path_factory.mktemp("lesion") / "raw"
    write_dataset(lesion_sim, out)
    return out
