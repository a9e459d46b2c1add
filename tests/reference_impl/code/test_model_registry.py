"""Model storage and registration: safe loading, hashes, refusal of gated candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from reference_impl import registry, schemas, train


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
    sha = registry.save_model(model, tmp_path / "m.skops")
    assert sha == registry.sha256_of(tmp_path / "m.skops")
    loaded = registry.load_model(tmp_path / "m.skops", sha256=sha)
    x = pd.DataFrame(np.ones((3, 15)), columns=list(schemas.FEATURE_COLUMNS))
    np.testing.assert_array_equal(model.predict_proba(x), loaded.predict_proba(x))


def test_a_tampered_file_is_refused(tmp_path: Path) -> None:
    """Is a model whose bytes no longer match the recorded hash refused?"""
    sha = registry.save_model(_fitted(), tmp_path / "m.skops")
    with (tmp_path / "m.skops").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(registry.UntrustedModelError, match="sha256"):
        registry.load_model(tmp_path / "m.skops", sha256=sha)


def test_a_model_with_foreign_code_is_refused(tmp_path: Path) -> None:
    """Is a model that references a function outside sklearn/numpy refused at load?"""
    model = Pipeline([("f", FunctionTransformer(_double))])
    registry.save_model(model, tmp_path / "m.skops")
    with pytest.raises(registry.UntrustedModelError, match="untrusted types"):
        registry.load_model(tmp_path / "m.skops")


def test_register_refuses_a_gated_or_foreign_evaluation(tmp_path: Path) -> None:
    """Does register refuse a failed gate and an evaluation of another candidate?"""
    result = train.TrainResult(
        model=_fitted(),
        family="logreg",
        params={},
        selection=[],
        scoring="average_precision",
        train_days=(0, 6),
        threshold=0.5,
        threshold_policy="budget",
        data_hash="x",
        run_id=None,
    )
    cand = train.save_candidate(result, tmp_path / "candidate")
    _, meta = train.load_candidate(cand)
    failed = {
        "gate": {"passed": False, "reasons": ["AP too low"]},
        "model_sha256": meta["model_sha256"],
    }
    with pytest.raises(ValueError, match="failed its gate: AP too low"):
        registry.register(cand, failed, models_dir=tmp_path / "models")
    foreign = {"gate": {"passed": True, "reasons": []}, "model_sha256": "0" * 64}
    with pytest.raises(ValueError, match="another candidate"):
        registry.register(cand, foreign, models_dir=tmp_path / "models")
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_missing_candidate_is_a_clear_error(tmp_path: Path) -> None:
    """Does a missing candidate say which command to run?"""
    with pytest.raises(FileNotFoundError, match="fraud train"):
        train.load_candidate(tmp_path / "nothing")
