"""The whole pipeline on the tiny preset through the CLI: artifacts, registry, gate, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from reference_impl.cli import app
from reference_impl.config import get_settings

pytestmark = pytest.mark.slow

# Tiny has 60 days: one fold; the tiny test week is too noisy for a real gate (smoke only).
LENIENT = {
    "split": {"n_folds": 1},
    "train": {
        "families": ["logreg", "random_forest"],
        "grids": {"random_forest": {"model__n_estimators": [20]}},
    },
    "evaluate": {"min_average_precision": 0.0, "max_residual_fraud": 1.0},
}


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FRAUD_ROOT", str(tmp_path / "build"))
    get_settings.cache_clear()
    yield tmp_path / "build"
    get_settings.cache_clear()


def _params(tmp_path: Path, **overrides: dict) -> Path:
    data = {k: {**v, **overrides.get(k, {})} for k, v in LENIENT.items()}
    path = tmp_path / f"params-{len(list(tmp_path.glob('params-*')))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_pipeline_registers_a_servable_model_and_the_gate_blocks_a_bad_one(root: Path) -> None:
    """Does `fraud pipeline` end with a servable, verified version; does a gate stop register?"""
    runner = CliRunner()
    res = runner.invoke(
        app, ["pipeline", "--preset", "tiny", "--fresh", "--params", str(_params(root.parent))]
    )
    assert res.exit_code == 0, res.output
    assert "registered v001" in res.output

    version = root / "models" / "v001"
    meta = json.loads((version / "metadata.json").read_text())
    from reference_impl.artifacts import sha256_of
    from reference_impl.registry import load_registered
    from reference_impl.serve.bundle import load_bundle

    assert meta["sha256"] == sha256_of(version / "model.skops")
    assert len(meta["data_hash"]) == 64 and meta["library_versions"]["scikit-learn"]
    load_registered(version)
    assert load_bundle(version).version == "v001"
    card = (version / "model_card.md").read_text()
    assert "# Model card: fraud-detector v001" in card
    for band in ("low spender", "middle spender", "high spender"):  # module 8's subgroup audit
        assert f"| {band} | false-alert rate |" in card and f"| {band} | recall |" in card
    for png in ("pr_curve", "reliability", "kpi_vs_alerts"):
        assert (root / "reports" / "evaluation" / f"{png}.png").read_bytes()[:4] == b"\x89PNG"

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    (mv,) = mlflow.MlflowClient().search_model_versions("name='fraud-detector'")
    assert mv.tags["data_hash"] == meta["data_hash"]

    strict = _params(root.parent, evaluate={"min_average_precision": 0.999})
    res = runner.invoke(app, ["evaluate", "--params", str(strict), "--no-track"])
    assert res.exit_code == 1
    assert "gate failed: average precision" in res.output
    res = runner.invoke(app, ["register", "--no-track"])
    assert res.exit_code == 1 and "refusing to register" in res.output
    assert not (root / "models" / "v002").exists()


def test_bad_inputs_fail_with_one_line(root: Path, tmp_path: Path) -> None:
    """Do a missing feature table and a bad parameter file exit 1 with a readable line?"""
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--no-track"])
    assert res.exit_code == 1 and "run `fraud features` first" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  families: [svm]\n")
    res = runner.invoke(app, ["train", "--params", str(bad)])
    assert res.exit_code == 1 and "unknown model families" in res.output
    res = runner.invoke(app, ["evaluate", "--params", str(tmp_path / "none.yaml")])
    assert res.exit_code == 1 and "no parameter file" in res.output
