"""Model storage and registration: safe loading, hashes, refusals, champion and challengers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from reference_impl import artifacts, registry, schemas, train
from reference_impl.errors import GateFailed, InvalidInputError, MissingInputError


def _double(x: np.ndarray) -> np.ndarray:
    return x * 2


def _fitted() -> Pipeline:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((200, 15)), columns=list(schemas.FEATURE_COLUMNS))
    y = (x[schemas.TX_AMOUNT] > 0.7).astype(int)
    return train.make_model("logreg").fit(x, y)


def test_saved_model_loads_back_with_the_same_scores(tmp_path: Path) -> None:
    """Does a skops round trip keep the predictions, and is the sha256 the file's?"""
    model = _fitted()
    sha = artifacts.save_model(model, tmp_path / "m.skops")
    assert sha == artifacts.sha256_of(tmp_path / "m.skops")
    loaded = artifacts.load_model(tmp_path / "m.skops", sha256=sha)
    x = pd.DataFrame(np.ones((3, 15)), columns=list(schemas.FEATURE_COLUMNS))
    np.testing.assert_array_equal(model.predict_proba(x), loaded.predict_proba(x))


def test_a_tampered_file_is_refused(tmp_path: Path) -> None:
    """Is a model whose bytes no longer match the recorded hash refused?"""
    sha = artifacts.save_model(_fitted(), tmp_path / "m.skops")
    with (tmp_path / "m.skops").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(artifacts.UntrustedModelError, match="sha256"):
        artifacts.load_model(tmp_path / "m.skops", sha256=sha)


def test_a_model_with_foreign_code_is_refused(tmp_path: Path) -> None:
    """Is a model that references a function outside sklearn/numpy refused at load?"""
    model = Pipeline([("f", FunctionTransformer(_double))])
    artifacts.save_model(model, tmp_path / "m.skops")
    with pytest.raises(artifacts.UntrustedModelError, match="untrusted types"):
        artifacts.load_model(tmp_path / "m.skops")


def _candidate(tmp_path: Path) -> Path:
    meta = {
        "family": "logreg",
        "params": {},
        "scoring": "average_precision",
        "train_days": [0, 6],
        "threshold": 0.5,
        "threshold_policy": "budget",
        "data_hash": "x" * 64,
        "run_id": None,
        "split": {"delay_days": 7},
        "feature_columns": list(schemas.FEATURE_COLUMNS),
    }
    return registry.save_candidate(_fitted(), meta, tmp_path / "candidate")


def _evaluation(candidate: Path, *, passed: bool = True) -> dict[str, Any]:
    """A minimal evaluation.json of `candidate` (what the model card reads)."""
    _, meta = registry.load_candidate(candidate)
    week = {"roc_auc": 0.9, "average_precision": 0.6, "card_precision_100": 0.3, "brier": 0.01}
    preq = {"folds": ["f"], "mean": dict.fromkeys(week, 0.5), "std": dict.fromkeys(week, 0.01)}
    residual = {"by_count": 0.004, "by_amount": 0.004, "alerts_per_day": 50, "recall": 0.5}
    return {
        "model_sha256": meta["model_sha256"],
        "gate": {"passed": passed, "reasons": [] if passed else ["AP too low"]},
        "headline": {"test_average_precision": 0.6},
        "test_week": {**week, "days": [14, 20]},
        "prequential": preq,
        "operating_point": {
            "threshold": 0.5,
            "threshold_policy": "budget",
            "alerts_per_day": 50,
            "residual_fraud": residual,
            "recall_per_scenario": {"S1": 1.0},
        },
    }


PROMOTE = {"decision": "promote", "reasons": ["no champion yet: the first model"]}
CHALLENGER = {"decision": "challenger", "reasons": ["within noise of the champion"]}


def test_register_refuses_a_gated_rejected_or_foreign_evaluation(tmp_path: Path) -> None:
    """Does register refuse a failed gate, a rejected candidate and another candidate's report?"""
    cand = _candidate(tmp_path)
    with pytest.raises(GateFailed, match="failed its gate: AP too low"):
        registry.register(cand, _evaluation(cand, passed=False), PROMOTE, models_dir=tmp_path / "m")
    reject = {"decision": "reject", "reasons": ["worse beyond noise"]}
    with pytest.raises(GateFailed, match="rejected candidate"):
        registry.register(cand, _evaluation(cand), reject, models_dir=tmp_path / "m")
    foreign = {**_evaluation(cand), "model_sha256": "0" * 64}
    with pytest.raises(InvalidInputError, match="another candidate"):
        registry.register(cand, foreign, PROMOTE, models_dir=tmp_path / "m")
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_challenger_waits_and_promotion_is_explicit_and_recorded(tmp_path: Path) -> None:
    """Is the first model the champion, a challenger not served, and a promotion recorded?"""
    cand, models = _candidate(tmp_path), tmp_path / "models"
    first = registry.register(cand, _evaluation(cand), PROMOTE, models_dir=models)
    assert first.promoted and registry.champion_version(models) == "v001"
    second = registry.register(cand, _evaluation(cand), CHALLENGER, models_dir=models)
    assert second.version == "v002" and not second.promoted
    assert registry.champion_version(models) == "v001"
    meta = json.loads((models / "v002" / registry.METADATA_FILE).read_text())
    assert meta["release"]["decision"] == "challenger"
    assert "Release decision: **challenger**" in (models / "v002" / registry.CARD_FILE).read_text()
    with pytest.raises(InvalidInputError, match="reason"):
        registry.promote(models, "v002", reason=" ")
    with pytest.raises(MissingInputError, match="v009"):
        registry.promote(models, "v009", reason="typo")
    done = registry.promote(models, "v002", reason="two weeks of shadow traffic")
    assert (done.version, done.previous) == ("v002", "v001")
    assert registry.champion_version(models) == "v002"
    events = [(e["event"], e["version"], e.get("previous")) for e in registry.history(models)]
    assert events == [
        ("registered", "v001", None),
        ("promoted", "v001", None),
        ("registered", "v002", None),
        ("promoted", "v002", "v001"),
    ]
    assert registry.history(models)[-1]["reason"] == "two weeks of shadow traffic"


def test_missing_candidate_is_a_clear_error(tmp_path: Path) -> None:
    """Does a missing candidate say which command to run?"""
    with pytest.raises(MissingInputError, match="fraud train"):
        registry.load_candidate(tmp_path / "nothing")
