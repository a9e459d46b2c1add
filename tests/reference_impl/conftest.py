"""Simulated datasets shared by the reference_impl data-side suites (tiny preset, built once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_impl.simulate import Simulation, config_for, simulate, write_raw


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
