"""Finite, schema-valid input never gets a 500: what the model derives from it is checked too.

Issue 26's two reproductions: a subnormal average amount (5e-324) next to an amount near 10^6
overflowed the model's amount ratio to inf, and scikit-learn raised inside /v1/score/batch and
/v1/score/rows. The schema now states what an average of amounts in cents is (0 or at least a
cent), so those rows are a 422 naming the field for any model; the reference model's ratios are
bounded anyway; and a model that still overflows on valid input (an unguarded exp of the amount)
gets a 422 naming the input that caused it, for that request only.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from reference_impl.schemas import FEATURE_COLUMNS
from reference_impl.serve.app import create_app
from reference_impl.serve.batcher import MicroBatcher
from reference_impl.serve.bundle import ModelBundle
from reference_impl.serve.guard import NonFiniteError
from reference_impl.serve.schemas import AVG_RULE, MAX_AMOUNT, MAX_COUNT
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import random_features, train_demo_model, write_bundle

AVG_1DAY = "CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"
_AMOUNT, _AVG = FEATURE_COLUMNS.index("TX_AMOUNT"), FEATURE_COLUMNS.index(AVG_1DAY)


class RawExp(TransformerMixin, BaseEstimator):
    """Appends exp(amount / 1000) with no guard: a derived feature that overflows on valid input
    (any amount above ~709,783), as the unbounded ratio of issue 26 did."""

    def fit(self, X: Any, y: Any = None) -> RawExp:  # noqa: N803
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        values = np.asarray(X, dtype=np.float64)
        with np.errstate(over="ignore"):
            grown = np.exp(values[:, [_AMOUNT]] / 1000)
        return np.hstack([values, grown])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([*FEATURE_COLUMNS, "EXP_AMOUNT"], dtype=object)


def _row(**values: float) -> dict[str, float]:
    row = {name: 1.0 for name in FEATURE_COLUMNS}
    return {**row, **values}


# The reproduction: finite, inside every bound the schema had then.
REPRODUCTION = _row(TX_AMOUNT=999_999.5, **{AVG_1DAY: 5e-324})
# Valid today, and the unguarded exp of `RawExp` overflows on it.
OVERFLOWING = _row(TX_AMOUNT=999_999.5, **{AVG_1DAY: 40.0})
ORDINARY = _row(TX_AMOUNT=42.0, **{AVG_1DAY: 40.0})


@pytest.fixture(scope="module")
def unsafe_model() -> Any:
    X = random_features(500, seed=5)  # noqa: N806
    y = np.asarray(X["TX_AMOUNT"] > 60)
    return make_pipeline(RawExp(), StandardScaler(), LogisticRegression()).fit(X, y)


@pytest.fixture(scope="module")
def boosting_model() -> Any:
    return train_demo_model("boosting", n=1000)


def _client(tmp_path: Path, model: Any) -> Iterator[TestClient]:
    write_bundle(tmp_path / "models", "v1", model)
    app = create_app(ServeSettings(models_dir=tmp_path / "models", log_requests=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture()
def unsafe_client(tmp_path: Path, unsafe_model: Any) -> Iterator[TestClient]:
    yield from _client(tmp_path, unsafe_model)


@pytest.fixture()
def boosting_client(tmp_path: Path, boosting_model: Any) -> Iterator[TestClient]:
    yield from _client(tmp_path, boosting_model)


def _rows_body(*rows: dict[str, float]) -> dict[str, Any]:
    return {
        "columns": list(FEATURE_COLUMNS),
        "rows": [[r[n] for n in FEATURE_COLUMNS] for r in rows],
    }


def test_overflowing_batch_gets_422_naming_the_field(unsafe_client: TestClient) -> None:
    """Issue 26, first 500: does /v1/score/batch name the row and the field that overflowed?"""
    response = unsafe_client.post("/v1/score/batch", json={"transactions": [ORDINARY, OVERFLOWING]})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith("transactions.1.TX_AMOUNT: ")
    assert "EXP_AMOUNT" in body["detail"] and "not finite" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["transactions.1.TX_AMOUNT"]


def test_overflowing_rows_get_422_naming_the_column(unsafe_client: TestClient) -> None:
    """Issue 26, second 500: does /v1/score/rows name the row, the column index and its name?"""
    response = unsafe_client.post("/v1/score/rows", json=_rows_body(OVERFLOWING, ORDINARY))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith(f"rows.0.{_AMOUNT}: TX_AMOUNT makes the model's EXP_AMOUNT")


def test_overflowing_single_request_gets_422(unsafe_client: TestClient) -> None:
    """Does the micro-batched /v1/score answer the same 422, and keep serving afterwards?"""
    response = unsafe_client.post("/v1/score", json=OVERFLOWING)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "TX_AMOUNT"
    assert unsafe_client.post("/v1/score", json=ORDINARY).status_code == 200


def test_only_the_overflowing_request_fails_in_a_shared_model_call(unsafe_model: Any) -> None:
    """Do requests scored in the same micro-batch as an overflowing one still get their score?"""
    bundle = ModelBundle("t", Path("."), unsafe_model, FEATURE_COLUMNS, "0" * 64, {})
    rows = [[r[n] for n in FEATURE_COLUMNS] for r in (ORDINARY, OVERFLOWING, ORDINARY)]
    calls: list[int] = []
    score_rows = bundle.score_rows
    object.__setattr__(bundle, "score_rows", lambda X: calls.append(len(X)) or score_rows(X))

    async def scenario() -> list[Any]:
        batcher = MicroBatcher(lambda: bundle, max_batch=8, on_batch=lambda b, s: None)
        batcher.start()
        results = await asyncio.gather(*(batcher.score(r) for r in rows), return_exceptions=True)
        await batcher.stop()
        return results

    good, bad, again = asyncio.run(scenario())
    assert calls == [3]  # one model call for the three requests
    expected = unsafe_model.predict_proba(np.array([rows[0]]))[0, 1]
    assert isinstance(bad, NonFiniteError) and bad.problems[0].inputs == ("TX_AMOUNT",)
    assert good[0] == pytest.approx(expected) and again[0] == pytest.approx(expected)


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch", "/v1/score/rows"])
def test_the_reproductions_get_422_naming_the_field(boosting_client: TestClient, path: str) -> None:
    """Issue 26's rows (a sub-cent average next to an amount near 10^6) break the schema now:
    a 422 that names the average and says what it may be, on every route, for any model."""
    body: Any = {
        "/v1/score": REPRODUCTION,
        "/v1/score/batch": {"transactions": [ORDINARY, REPRODUCTION]},
        "/v1/score/rows": _rows_body(ORDINARY, REPRODUCTION),
    }[path]
    response = boosting_client.post(path, json=body)
    assert response.status_code == 422, response.text
    field = {
        "/v1/score": AVG_1DAY,
        "/v1/score/batch": f"transactions.1.{AVG_1DAY}",
        "/v1/score/rows": f"rows.1.{_AVG}",
    }[path]
    error = response.json()["errors"][0]
    assert error["field"] == field and AVG_RULE in error["message"]
    fine = {**REPRODUCTION, AVG_1DAY: 0.01}  # the smallest average the schema allows
    assert boosting_client.post("/v1/score", json=fine).status_code == 200


# Schema-valid values at the edges of float64: subnormals, the bounds, signed zero.
def _amounts() -> st.SearchStrategy[float]:
    edges = st.sampled_from([0.0, -0.0, 5e-324, 2.2e-311, 2.2250738585072014e-308, MAX_AMOUNT])
    return edges | st.floats(0, MAX_AMOUNT, allow_subnormal=True)


def _averages() -> st.SearchStrategy[float]:
    edges = st.sampled_from([0.0, -0.0, 0.01, MAX_AMOUNT])
    return edges | st.floats(0.01, MAX_AMOUNT)


def _column(name: str) -> st.SearchStrategy[float]:
    if "AVG_AMOUNT" in name:
        return _averages()
    if "AMOUNT" in name:
        return _amounts()
    if "NB_TX" in name:
        return st.integers(0, MAX_COUNT).map(float)
    if name in ("TX_DURING_WEEKEND", "TX_DURING_NIGHT"):
        return st.sampled_from([0.0, 1.0, -0.0])
    return st.floats(0, 1, allow_subnormal=True)


ROWS = st.lists(st.tuples(*(_column(n) for n in FEATURE_COLUMNS)), min_size=1, max_size=32)


@settings(max_examples=40, deadline=None)
@given(rows=ROWS)
def test_every_schema_valid_row_gets_a_probability(boosting_model: Any, rows: list[Any]) -> None:
    """Does the reference model give every schema-valid row (float edges included) a score?"""
    bundle = ModelBundle("t", Path("."), boosting_model, FEATURE_COLUMNS, "0" * 64, {})
    scores = bundle.score(np.array(rows, dtype=np.float64))
    assert all(0.0 <= s <= 1.0 and not math.isnan(s) for s in scores)
