"""One implementation per stage: `fraud <stage>`, `fraud pipeline` and `dvc repro` write the same.

The three run the tiny preset from scratch in three roots; every output a stage declares in
dvc.yaml is compared. Compared on their deterministic parts only:

* paths (`raw_dir` in validation.json and features.json, `plots` in evaluation.json): the CLI
  and the pipeline spell an absolute root, DVC a relative one;
* timings (`seconds`) and timestamps (`at` in models/history.jsonl);
* the model files' bytes and sha256 (train.json, evaluation.json, metadata.json, the model card):
  skops writes zip entries with the current time, so each save hashes differently. The models
  are compared by their scores on the test week instead, which must be identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from reference_impl.cli import app
from reference_impl.config import Settings, get_settings
from reference_impl.params import parse_params

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]
STAGES = ("simulate", "validate", "features", "train", "evaluate", "register")
# What each stage writes (dvc.yaml's outs, plus the version folder register exports).
OUTPUTS = {
    "simulate": ["data/raw"],
    "validate": ["reports/validation.json"],
    "features": ["data/features"],
    "train": ["models/candidate"],
    "evaluate": ["reports/evaluation"],
    "register": ["reports/release.json", "models/CHAMPION", "models/history.jsonl", "models/v001"],
}
VOLATILE = {"raw_dir", "plots", "seconds", "at", "model_sha256", "sha256", "run_id", "model_uri"}
TINY = {
    "data": {"preset": "tiny"},
    "split": {"n_folds": 1},
    "train": {
        "families": ["logreg", "random_forest"],
        "grids": {"random_forest": {"model__n_estimators": [20]}},
    },
    "evaluate": {"min_average_precision": 0.0, "max_residual_fraud": 1.0},
}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _scores(model_file: Path, root: Path) -> str:
    """Hash of the model's scores on the feature table (rounded to 12 digits)."""
    import numpy as np

    from reference_impl import artifacts, data
    from reference_impl.train import fraud_score

    frame = data.load_features(root / "data" / "features").iloc[::7]
    score = fraud_score(artifacts.load_model(model_file), frame)
    return hashlib.sha256(np.round(score, 12).tobytes()).hexdigest()


def fingerprint(root: Path, stage: str) -> dict[str, Any]:
    """Each output file of `stage` under `root`, reduced to its deterministic content."""
    out: dict[str, Any] = {}
    for rel in OUTPUTS[stage]:
        base = root / rel
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            key = path.relative_to(root).as_posix()
            if path.suffix == ".json":
                out[key] = _strip(json.loads(path.read_text()))
            elif path.suffix == ".jsonl":
                out[key] = [_strip(json.loads(line)) for line in path.read_text().splitlines()]
            elif path.suffix == ".skops":
                out[key] = _scores(path, root)
            elif path.suffix == ".md":
                out[key] = [line for line in path.read_text().splitlines() if "sha256" not in line]
            else:
                out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def params_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny preset's parameters, every section spelled out (DVC reads keys it declares)."""
    params = parse_params(TINY).model_dump(by_alias=True, mode="json")
    path = tmp_path_factory.mktemp("params") / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def _cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("FRAUD_ROOT", str(root))
    monkeypatch.setenv("FRAUD_TRACK", "false")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def roots(params_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny pipeline run three ways: stage by stage (CLI), `fraud pipeline`, `dvc repro`.

    `dvc repro` runs in its own processes and folder: it starts first and runs while the other
    two run here (one after the other, as they share this process's environment)."""
    work = tmp_path_factory.mktemp("dvc")
    shutil.copytree(REPO / "reference_impl", work / "reference_impl")
    shutil.copy(REPO / "dvc.yaml", work / "dvc.yaml")
    shutil.copy(params_file, work / "params.yaml")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "FRAUD_TRACK": "false",
    }
    env.pop("FRAUD_ROOT", None)
    init = ["dvc", "init", "--no-scm", "-q"]
    done = subprocess.run(init, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    log = (work.parent / "dvc-repro.log").open("w+")
    dvc = subprocess.Popen(
        ["dvc", "repro"], cwd=work, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        with pytest.MonkeyPatch.context() as mp:
            cli = tmp_path_factory.mktemp("cli") / "build"
            for stage in STAGES:
                _cli(cli, mp, stage, "--params", str(params_file))
            pipe = tmp_path_factory.mktemp("pipeline") / "build"
            _cli(pipe, mp, "pipeline", "--params", str(params_file))
        code = dvc.wait(timeout=900)
    finally:
        if dvc.poll() is None:  # this fixture failed: stop dvc and the stage it runs
            os.killpg(dvc.pid, signal.SIGKILL)
            dvc.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert code == 0, output[-4000:]
    return {"cli": cli, "pipeline": pipe, "dvc": work / "build"}


@pytest.mark.parametrize("stage", STAGES)
def test_cli_pipeline_and_dvc_write_the_same(roots: dict[str, Path], stage: str) -> None:
    """Does each stage write the same outputs whichever way the pipeline was run?"""
    prints = {way: fingerprint(root, stage) for way, root in roots.items()}
    assert prints["cli"], f"{stage} wrote nothing"
    assert prints["cli"] == prints["pipeline"], f"{stage}: CLI and pipeline differ"
    assert prints["cli"] == prints["dvc"], f"{stage}: CLI and dvc repro differ"


def test_rerun_keeps_raw_data_and_the_champion(
    roots: dict[str, Path], params_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does a second run keep the dataset and register the same model as a challenger only?"""
    root = roots["pipeline"]
    manifest = (root / "data/raw/manifest.json").stat().st_mtime_ns
    out = _cli(root, monkeypatch, "pipeline", "--params", str(params_file))
    assert "already holds this dataset: kept" in out
    assert (root / "data/raw/manifest.json").stat().st_mtime_ns == manifest
    assert "registered v002 as challenger (champion: v001)" in out
    assert (root / "models/CHAMPION").read_text().strip() == "v001"
    release = json.loads((root / "reports/release.json").read_text())
    assert release["decision"] == "challenger" and release["comparison"]["difference"] == 0.0


def _install_champion(settings: Settings, model: Any) -> str:
    """Register `model` as the champion, with the run's own train.json and evaluation."""
    from reference_impl import evaluate, registry

    _, meta = registry.load_candidate(settings.candidate_dir)
    other = registry.save_candidate(model, meta, settings.models_dir / "other")
    _, other_meta = registry.load_candidate(other)
    evaluation = evaluate.load_evaluation(settings.evaluation_dir)
    evaluation["model_sha256"] = other_meta["model_sha256"]
    first = {"decision": "promote", "reasons": ["planted for the test"]}
    reg = registry.register(other, evaluation, first, models_dir=settings.models_dir)
    assert reg.promoted
    return reg.version


def test_register_promotes_better_and_rejects_worse_than_the_champion(
    roots: dict[str, Path], params_file: Path, tmp_path: Path
) -> None:
    """Against a weak champion, is the candidate promoted; against a leaky one, rejected?"""
    from sklearn.ensemble import RandomForestClassifier

    from reference_impl import data, evaluate, runner, schemas
    from reference_impl.errors import GateFailed
    from reference_impl.params import load_params
    from reference_impl.train import make_model

    shutil.copytree(roots["cli"], tmp_path / "build")
    settings, params = Settings(root=tmp_path / "build", track=False), load_params(params_file)
    frame = data.load_features(settings.features_dir)
    fold = evaluate.test_folds(frame, params.split)[-1]
    features = list(schemas.FEATURE_COLUMNS)
    train_rows, test_rows = frame.iloc[fold.train_idx], frame.iloc[fold.test_idx]
    shuffled = train_rows[schemas.LABEL].sample(frac=1.0, random_state=0).to_numpy()
    weak = make_model("logreg").fit(train_rows[features], shuffled)  # labels shuffled: no signal
    weak_version = _install_champion(settings, weak)
    res = runner.run_register(settings=settings, params=params)
    assert res.decision == "promote" and res.champion == res.version != weak_version
    assert "better beyond noise" in res.reasons[0]

    # A champion fitted on the test week itself (AP 1.0) beats the candidate (0.63). On tiny the
    # gap's standard error is large (about 0.19: 42 frauds from a handful of cards and
    # terminals), so at z = 2 this is "within noise"; at z = 1 it is worse beyond noise.
    leaky = RandomForestClassifier(n_estimators=50, random_state=0)
    leaky_version = _install_champion(
        settings, leaky.fit(test_rows[features], test_rows[schemas.LABEL])
    )
    assert runner.run_register(settings=settings, params=params).decision == "challenger"
    assert (settings.models_dir / "CHAMPION").read_text().strip() == leaky_version
    narrow = params.model_copy(
        update={"registry": params.registry.model_copy(update={"noise_z": 1.0})}
    )
    with pytest.raises(GateFailed, match="worse beyond noise"):
        runner.run_register(settings=settings, params=narrow)
    assert (settings.models_dir / "CHAMPION").read_text().strip() == leaky_version
    release = json.loads((settings.reports_dir / "release.json").read_text())
    assert release["decision"] == "reject" and release["comparison"]["difference"] < 0
