"""The lesion data stages as runners: through the shared pipeline seam, immutable raw data,
nothing written on bad data, the `lesion:` section of params.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reference_impl.errors import DatasetExistsError, InvalidInputError
from reference_impl.lesion import schemas as s
from reference_impl.lesion.config import LesionSettings
from reference_impl.lesion.features import FEATURE_NAMES
from reference_impl.lesion.model_runner import load_features
from reference_impl.lesion.params import LesionParams, load_params, parse_params
from reference_impl.lesion.runner import STAGES, run_features, run_simulate
from reference_impl.params import load_params as load_fraud_params
from reference_impl.pipeline import run_pipeline
from reference_impl.validate import DataContractError

PARAMS = parse_params({"data": {"preset": "tiny", "overrides": {"n_images": 150}, "n_jobs": 1}})


def test_data_stages_through_the_pipeline_seam(tmp_path: Path) -> None:
    """Do simulate -> validate -> features run as pipeline stages and write the table the model
    stages read (ids, label, subgroups, every feature, no NaN)?"""
    settings = LesionSettings(root=tmp_path, track=False)
    lines: list[str] = []
    result = run_pipeline(
        settings=settings, params=PARAMS, stages=STAGES[:3], progress=lines.append
    )
    assert list(result.results) == ["simulate", "validate", "features"]
    sim = result.results["simulate"].to_dict()
    assert sim["n_images"] == 150 and sim["written"] and sim["n_patients"] < sim["n_lesions"]
    assert result.results["validate"].to_dict()["report"]["ok"]
    frame, names, digest = load_features(settings.features_dir)
    assert names == list(FEATURE_NAMES) and digest == sim["dataset_hash"]
    assert len(frame) == 150 and np.isfinite(frame[names].to_numpy()).all()
    assert {s.LABEL, s.PATIENT_ID, s.SKIN_TONE, s.DEVICE} <= set(frame.columns)
    assert any("features of 150/150" in line for line in lines)

    again = run_simulate(settings=settings, params=PARAMS)
    assert not again.written  # the same dataset is kept, not rewritten
    other = parse_params({"data": {**PARAMS.data.model_dump(), "seed": 1}})
    with pytest.raises(DatasetExistsError, match="immutable"):
        run_simulate(settings=settings, params=other)


def test_features_refuse_bad_data(tmp_path: Path) -> None:
    """Is no feature table written from a dataset that breaks the contract?"""
    good = LesionSettings(root=tmp_path / "a", track=False)
    run_simulate(settings=good, params=PARAMS)
    bad = LesionSettings(root=tmp_path / "b", track=False)
    shutil.copytree(good.raw_dir, bad.raw_dir)
    meta = pd.read_csv(bad.raw_dir / s.METADATA_FILE, dtype=str)
    meta.loc[0, s.DX] = "mole"
    meta.to_csv(bad.raw_dir / s.METADATA_FILE, index=False)
    with pytest.raises(DataContractError, match="dx has unknown value"):
        run_features(settings=bad, params=PARAMS)
    assert not bad.features_dir.exists()


def test_params_yaml_section(tmp_path: Path) -> None:
    """Does the `lesion:` section configure the lesion stages and leave the fraud ones alone?"""
    path = tmp_path / "params.yaml"
    path.write_text(
        "data: {preset: tiny}\nlesion:\n  data: {preset: full, prevalence: screening}\n"
    )
    assert load_params(path).data.prevalence == "screening"
    assert load_fraud_params(path).data.preset == "tiny"
    assert load_params(None) == LesionParams()
    path.write_text("lesion:\n  data: {preset: huge}\n")
    with pytest.raises(InvalidInputError, match="data.preset"):
        load_params(path)


def test_dvc_yaml_runs_each_stage_through_its_lesion_command() -> None:
    """Is each DVC stage `lesion <stage> --params params.yaml`, in STAGES' order, with a CLI
    command of that name, and do its params keys exist in the repository's params.yaml?"""
    import yaml

    from reference_impl.lesion.cli import app
    from reference_impl.pipeline import stage_name

    root = Path(__file__).resolve().parents[3]
    stages = yaml.safe_load((root / "reference_impl/lesion/dvc.yaml").read_text())["stages"]
    names = [stage_name(stage) for stage in STAGES]
    assert list(stages) == names
    for name in names:
        assert stages[name]["cmd"].split("#")[0].split() == [
            "lesion",
            name,
            "--params",
            "params.yaml",
        ]
    commands = {
        c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands
    }
    assert set(names) <= commands
    section = yaml.safe_load((root / "params.yaml").read_text())["lesion"]
    keys = {k for st in stages.values() for k in st.get("params", [])}
    assert all(k.split(".")[1] in section for k in keys)
    assert load_params(root / "params.yaml") is not None
