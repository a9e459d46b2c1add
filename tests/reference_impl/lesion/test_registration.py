"""The lesion model through the shared registry: what a registered version records, the verbs
`lesion register` / `lesion promote`, and the refusal of a model that failed its gate."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reference_impl import registry
from reference_impl.artifacts import sha256_of
from reference_impl.errors import GateFailed
from reference_impl.lesion.cli import app
from reference_impl.lesion.config import LesionSettings, get_settings
from reference_impl.lesion.model_runner import run_evaluate
from reference_impl.lesion.params import parse_params


def test_registered_version_records_gate_screening_and_schema(
    lesion_registered: LesionSettings, lesion_model_blocks: dict[str, Any]
) -> None:
    """Does v001's metadata hold what a reviewer and the service need, from the evaluation?"""
    models = lesion_registered.models_dir
    assert registry.champion_version(models) == "v001"
    meta = json.loads((models / "v001" / "metadata.json").read_text())
    evaluation = json.loads((lesion_registered.evaluation_dir / "evaluation.json").read_text())
    train = json.loads((lesion_registered.candidate_dir / "train.json").read_text())
    assert meta["system"] == "lesion" and meta["featurizer"] == "ABCDFeatures"
    assert meta["sha256"] == sha256_of(models / "v001" / "model.skops")
    assert meta["features"] == train["feature_columns"]
    assert meta["threshold"] == train["threshold"]
    assert meta["train_prevalence"] == train["train_prevalence"]
    assert meta["data_hash"] == train["data_hash"]
    assert {"scikit-learn", "numpy", "skops"} <= set(meta["library_versions"])
    gate = meta["gate"]
    assert gate["passed"] and gate["floor"] == lesion_model_blocks["evaluate"]["sensitivity_floor"]
    judged = {s["subgroup"]: s for s in gate["subgroups"]}
    assert set(judged) == set(evaluation["gate"]["judged"]) and judged
    for row in evaluation["audit"]["subgroups"]:
        label = f"{row['attribute']}={row['group']}"
        if label in judged:
            assert judged[label]["sensitivity"] == row["sensitivity"]
            assert judged[label]["low"] <= row["sensitivity"] <= judged[label]["high"]
    assert meta["metrics"]["sensitivity"] == evaluation["headline"]["sensitivity"]
    assert meta["screening"]["at_threshold"] == evaluation["report"]["at_threshold"]
    band = meta["refer_band"]  # the abstention point at 90 % coverage
    point = next(p for p in evaluation["report"]["abstention"] if p["coverage"] == band["coverage"])
    assert (band["low"], band["high"]) == (point["low"], point["high"])
    assert abs(band["coverage"] - 0.9) < 0.01 and band["low"] <= meta["threshold"] <= band["high"]
    card = (models / "v001" / "model_card.md").read_text()
    assert f"{meta['threshold']:.4f}" in card and "referred to a dermatologist" in card
    assert all(label in card for label in judged)


@pytest.fixture()
def root(lesion_registered: LesionSettings, tmp_path: Path) -> Iterator[Path]:
    """A copy of the registered root, as LESION_ROOT (the CLI's settings)."""
    copy = tmp_path / "root"
    shutil.copytree(lesion_registered.root, copy)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LESION_ROOT", str(copy))
        mp.setenv("LESION_FEATURES_PATH", str(lesion_registered.features_dir))
        mp.setenv("LESION_TRACK", "false")
        get_settings.cache_clear()
        yield copy
    get_settings.cache_clear()


def test_cli_registers_a_challenger_then_promotes_it(root: Path) -> None:
    """With a champion in place, is a second version a challenger until `lesion promote`?"""
    cli = CliRunner()
    done = cli.invoke(app, ["register"])
    assert done.exit_code == 0, done.output
    assert "registered v002 as challenger (champion: v001)" in done.output
    assert registry.champion_version(root / "models") == "v001"
    done = cli.invoke(app, ["promote", "v002", "--reason", "same patients, more specific"])
    assert done.exit_code == 0 and "champion: v002 (was v001)" in done.output
    events = [e["event"] for e in registry.history(root / "models")]
    assert events == ["registered", "promoted", "registered", "promoted"]


def test_with_tracking_on_the_card_goes_to_the_lesion_run_and_mlflow_has_the_version(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lesion train/evaluate/register` with MLflow on (as `dvc repro` runs them): does register
    add the model card to the lesion run and register the version, instead of failing on the
    fraud experiment (and leaving a version behind)?"""
    import mlflow

    monkeypatch.setenv("LESION_TRACK", "true")
    get_settings.cache_clear()
    cli = CliRunner()
    for verb in ("train", "evaluate", "register"):
        done = cli.invoke(app, [verb])
        assert done.exit_code == 0, f"{verb}: {done.output}"
    assert "registered v002 as challenger (champion: v001)" in done.output
    meta = json.loads((root / "models" / "v002" / "metadata.json").read_text())
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    run = mlflow.get_run(meta["mlflow"]["run_id"])
    assert mlflow.get_experiment(run.info.experiment_id).name == "lesion-reference"
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
    assert "model_card.md" in artifacts
    assert meta["mlflow"]["registered_version"] == "1"


def test_a_model_below_the_floor_is_refused_naming_the_subgroup(
    root: Path, lesion_model_blocks: dict[str, Any]
) -> None:
    """Does `lesion register` exit 1 with one line naming each subgroup under the floor, and
    publish nothing?"""
    settings = get_settings()
    strict = {**lesion_model_blocks["evaluate"], "sensitivity_floor": 0.99}
    with pytest.raises(GateFailed, match="gate failed"):
        run_evaluate(
            settings=settings, params=parse_params({**lesion_model_blocks, "evaluate": strict})
        )
    saved = json.loads((settings.evaluation_dir / "evaluation.json").read_text())
    failing = [r.split(":")[0] for r in saved["gate"]["reasons"] if "=" in r.split(":")[0]]
    assert failing, "the tiny model should miss some cancer in a judged subgroup at 0.99"
    done = CliRunner().invoke(app, ["register"])
    assert done.exit_code == 1
    line = done.output.strip().splitlines()[-1]
    assert "refusing to register a model that failed its gate" in line
    assert all(f"{label}: sensitivity" in line for label in failing)
    assert sorted(p.name for p in (root / "models").glob("v*")) == ["v001"]


def test_register_and_evaluate_name_the_missing_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On an empty root, does each verb exit 1 naming the lesion command to run first?"""
    monkeypatch.setenv("LESION_ROOT", str(tmp_path))
    monkeypatch.setenv("LESION_TRACK", "false")
    get_settings.cache_clear()
    try:
        cli = CliRunner()
        done = cli.invoke(app, ["register"])
        assert done.exit_code == 1 and "(run `lesion evaluate` first)" in done.output
        done = cli.invoke(app, ["evaluate"])
        assert done.exit_code == 1 and "(run `lesion train` first)" in done.output
        done = cli.invoke(app, ["promote", "v001", "--reason", "x"])
        assert done.exit_code == 1 and "no registered version 'v001'" in done.output
    finally:
        get_settings.cache_clear()
