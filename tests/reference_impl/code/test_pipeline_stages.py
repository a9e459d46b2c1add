"""`pipeline.STAGES`, the `fraud` commands and dvc.yaml name the same stages, in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reference_impl import pipeline, runner
from reference_impl.cli import app
from reference_impl.config import Settings
from reference_impl.errors import GateFailed
from reference_impl.params import Params

ROOT = Path(__file__).resolve().parents[3]


def test_dvc_yaml_runs_each_stage_through_its_fraud_command() -> None:
    """Is each DVC stage `fraud <stage> --params params.yaml`, in the pipeline's order?"""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    names = [pipeline.stage_name(s) for s in pipeline.STAGES]
    assert list(stages) == names
    assert all(
        stages[n]["cmd"].split("#")[0].split() == ["fraud", n, "--params", "params.yaml"]
        for n in names
    )
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    assert set(names) <= commands
    assert all(
        getattr(runner, f"run_{n}") is s for n, s in zip(names, pipeline.STAGES, strict=True)
    )


def test_pipeline_stops_at_the_first_failure(tmp_path: Path) -> None:
    """Does a failing stage propagate its error and keep the later stages from running?"""
    ran: list[str] = []

    def ok(**_: object) -> runner.StageResult:
        ran.append("ok")
        return runner.StageResult(seconds=0.0)

    def gated(**_: object) -> runner.StageResult:
        raise GateFailed("gate failed: AP 0.3 < floor 0.45")

    ok.__name__, gated.__name__ = "run_first", "run_second"
    with pytest.raises(GateFailed):
        pipeline.run_pipeline(
            settings=Settings(root=tmp_path), params=Params(), stages=(ok, gated, ok)
        )
    assert ran == ["ok"]
