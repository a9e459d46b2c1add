"""The online path: raw transactions scored from the service's rolling feature state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from reference_impl import schemas as s
from reference_impl.data import write_raw
from reference_impl.features import build_features
from reference_impl.serve.app import create_app
from reference_impl.serve.settings import ServeSettings
from reference_impl.simulate import Simulation, config_for, simulate

HISTORY_DAYS = 40


# The simulation and the raw folders written from it are made once for the module: the service
# only reads its history folder, and no test changes the frames.
@pytest.fixture(scope="module")
def tiny_sim() -> Simulation:
    return simulate(config_for("tiny", seed=5, n_days=HISTORY_DAYS + 3))


@pytest.fixture(scope="module")
def tiny(tiny_sim: Simulation) -> pd.DataFrame:
    return tiny_sim.transactions


@pytest.fixture(scope="module")
def history_raw(tiny_sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The days before HISTORY_DAYS, written as a raw dataset (read-only)."""
    sim = tiny_sim
    history = sim.transactions[sim.transactions[s.TX_TIME_DAYS] < HISTORY_DAYS]
    out = tmp_path_factory.mktemp("history") / "raw"
    write_raw(type(sim)(sim.config, history, sim.customers, sim.terminals), out)
    return out


@pytest.fixture(scope="module")
def whole_raw(tiny_sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every simulated day, written as a raw dataset (read-only)."""
    out = tmp_path_factory.mktemp("whole") / "raw"
    write_raw(tiny_sim, out)
    return out


@pytest.fixture()
def online_client(registry: Path, history_raw: Path) -> Iterator[TestClient]:
    settings = ServeSettings(
        models_dir=registry, model_version="v1", history_dir=history_raw, log_requests=False
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _payload(row: pd.Series) -> dict[str, Any]:
    return {
        s.TRANSACTION_ID: int(row[s.TRANSACTION_ID]),
        s.TX_DATETIME: row[s.TX_DATETIME].isoformat(),
        s.CUSTOMER_ID: int(row[s.CUSTOMER_ID]),
        s.TERMINAL_ID: int(row[s.TERMINAL_ID]),
        s.TX_AMOUNT: float(row[s.TX_AMOUNT]),
    }


def test_online_scores_equal_batch_feature_scores(
    online_client: TestClient, tiny: pd.DataFrame, demo_model: Any
) -> None:
    """Does a raw transaction get the score of its batch-computed features (no serving skew)?"""
    batch = build_features(tiny)
    upcoming = tiny.index[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS][:60]
    expected = demo_model.predict_proba(batch.loc[upcoming, list(s.FEATURE_COLUMNS)])[:, 1]
    got = []
    for i in upcoming:
        response = online_client.post("/v1/transactions/score", json=_payload(tiny.loc[i]))
        assert response.status_code == 200, response.text
        assert response.json()["transaction_id"] == int(tiny.loc[i, s.TRANSACTION_ID])
        got.append(response.json()["score"])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_a_batch_of_raw_transactions_scores_as_one_by_one(
    online_client: TestClient, tiny: pd.DataFrame, demo_model: Any
) -> None:
    """Does /batch give each transaction the score of its features, earlier ones of the same
    batch included (a card seen twice in the batch), as one-by-one requests would?"""
    batch = build_features(tiny)
    day = tiny.index[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS]
    assert tiny.loc[day, s.CUSTOMER_ID].duplicated().any()  # the batch's own history matters
    expected = demo_model.predict_proba(batch.loc[day, list(s.FEATURE_COLUMNS)])[:, 1]
    body = {"transactions": [_payload(tiny.loc[i]) for i in day]}
    response = online_client.post("/v1/transactions/score/batch", json=body)
    assert response.status_code == 200, response.text
    np.testing.assert_allclose(response.json()["scores"], expected, atol=1e-9)


def test_a_batch_with_a_refused_time_records_none_of_it(
    online_client: TestClient, tiny: pd.DataFrame, demo_model: Any
) -> None:
    """A far-future time in a batch: 409 naming it, and its good transactions not recorded?"""
    first = tiny.index[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS][0]
    good = _payload(tiny.loc[first])
    body = {"transactions": [good, {**good, s.TX_DATETIME: "2018-12-31T12:00:00"}]}
    response = online_client.post("/v1/transactions/score/batch", json=body)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("TX_DATETIME: transactions[1]: more than 7 days")
    # Had the first been recorded, its card's windows would now count it twice.
    expected = demo_model.predict_proba(build_features(tiny).loc[[first], list(s.FEATURE_COLUMNS)])[
        :, 1
    ]
    again = online_client.post("/v1/transactions/score/batch", json={"transactions": [good]})
    np.testing.assert_allclose(again.json()["scores"], expected, atol=1e-9)


def test_labels_in_a_batch_are_recorded_in_order(
    online_client: TestClient, tiny: pd.DataFrame
) -> None:
    """Does /v1/labels/batch say, per label, whether its transaction was still held?"""
    row = tiny[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS - 1].iloc[0]
    held = {s.TRANSACTION_ID: int(row[s.TRANSACTION_ID]), s.TERMINAL_ID: int(row[s.TERMINAL_ID])}
    body = {"labels": [{**held, s.TX_FRAUD: 1}, {**held, s.TRANSACTION_ID: 10**12, s.TX_FRAUD: 0}]}
    response = online_client.post("/v1/labels/batch", json=body)
    assert response.json() == {"recorded": [True, False]}


def test_delayed_label_is_recorded(online_client: TestClient, tiny: pd.DataFrame) -> None:
    """Is a label for a held transaction recorded, and an unknown one reported as not held?"""
    row = tiny[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS - 1].iloc[0]
    body = {s.TRANSACTION_ID: int(row[s.TRANSACTION_ID]), s.TERMINAL_ID: int(row[s.TERMINAL_ID])}
    assert online_client.post("/v1/labels", json={**body, s.TX_FRAUD: 1}).json() == {
        "recorded": True
    }
    unknown = {**body, s.TRANSACTION_ID: 10**12, s.TX_FRAUD: 0}
    assert online_client.post("/v1/labels", json=unknown).json() == {"recorded": False}


def test_far_future_transaction_cannot_wipe_the_state(
    online_client: TestClient, tiny: pd.DataFrame
) -> None:
    """Is a transaction dated far after the state's clock refused (it would prune everything)?"""
    good = _payload(tiny[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS].iloc[0])
    for when in ("2018-12-31T12:00:00", "2018-01-01T12:00:00"):
        response = online_client.post("/v1/transactions/score", json={**good, s.TX_DATETIME: when})
        assert response.status_code == 409
        assert response.json()["detail"].startswith("TX_DATETIME: more than 7 days")
    assert online_client.post("/v1/transactions/score", json=good).status_code == 200


def test_raw_transaction_validation(online_client: TestClient, tiny: pd.DataFrame) -> None:
    """Are a bad date-time and a negative id refused with 422 naming the field?"""
    good = _payload(tiny.iloc[-1])
    bad = (
        (s.TX_DATETIME, "yesterday"),
        (s.TX_DATETIME, 1234),
        (s.TX_DATETIME, "9999-01-01T00:00:00"),
    )
    for field, value in (*bad, (s.CUSTOMER_ID, -3)):
        response = online_client.post("/v1/transactions/score", json={**good, field: value})
        assert response.status_code == 422
        assert response.json()["detail"].startswith(field)


DAY = pd.Timedelta(days=1)


def _history_settings(
    raw: Path, registry: Path, tiny: pd.DataFrame, end: Callable[[pd.Timestamp], pd.Timestamp]
) -> ServeSettings:
    """Settings serving v1 with simulated history up to ``end(first transaction time)``."""
    return ServeSettings(
        models_dir=registry,
        model_version="v1",
        history_dir=raw,
        history_end=end(tiny[s.TX_DATETIME].min()).date(),
        log_requests=False,
    )


def test_history_end_sets_the_online_clock(
    whole_raw: Path, registry: Path, tiny: pd.DataFrame
) -> None:
    """With history loaded up to day 20 only, is a day-40 transaction a 409 clock jump?"""
    settings = _history_settings(
        whole_raw, registry, tiny, lambda first: first.normalize() + DAY * 20
    )
    with TestClient(create_app(settings)) as client:
        late = _payload(tiny[tiny[s.TX_TIME_DAYS] == HISTORY_DAYS].iloc[0])
        assert client.post("/v1/transactions/score", json=late).status_code == 409
        early = _payload(tiny[tiny[s.TX_TIME_DAYS] == 21].iloc[0])
        assert client.post("/v1/transactions/score", json=early).status_code == 200


def test_empty_history_warms_an_empty_state(
    whole_raw: Path, registry: Path, tiny: pd.DataFrame
) -> None:
    """History that ends before the first transaction: does the service start and score?"""
    settings = _history_settings(whole_raw, registry, tiny, lambda first: first - DAY)
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/transactions/score", json=_payload(tiny.iloc[0]))
        assert response.status_code == 200, response.text
        assert 0.0 <= response.json()["score"] <= 1.0


def test_state_from_an_empty_table_is_empty(tiny: pd.DataFrame) -> None:
    """Does `OnlineFeatureState.from_history` accept a table with no rows (no crash)?"""
    from reference_impl.online import OnlineFeatureState

    state = OnlineFeatureState.from_history(tiny.iloc[:0])
    assert len(state) == 0
    row = state.features_for(tiny.iloc[0].to_dict())
    assert row[s.customer_nb_tx(1)] == 1  # only the transaction itself


@pytest.mark.parametrize(
    ("when", "valid"),
    [
        ("2018-04-01T10:00:00", True),
        ("2018-04-01T10:00:00.123456789", True),
        ("2018-04-02T10:00:00Z", True),
        ("2018-04-02T10:00:00+05:30", True),
        ("2020-02-29T00:00:00", True),  # a leap day (409 here: far from the first request)
        ("2021-02-29T00:00:00", False),
        ("2018-04-31T00:00:00", False),
        ("2018-04-01", False),
        ("2018-04-01 10:00:00", False),
        ("1600000000", False),  # a Unix time pydantic would have read as 2020-09-13
        ("2018-04-01T10:00:00\n", False),
        ("2100-01-01T00:00:00", False),
    ],
)
def test_transaction_time_accepted_is_the_documented_pattern(
    client: TestClient, when: str, valid: bool
) -> None:
    """Does the service accept exactly the date-times its OpenAPI pattern allows?"""
    import re

    schema = client.get("/openapi.json").json()["components"]["schemas"]["TransactionRequest"]
    pattern = schema["properties"][s.TX_DATETIME]["pattern"]
    # Read as JSON Schema does (ECMA 262): a closing `$` is the end of the string, no newline.
    documented = re.search(pattern.removesuffix("$") + r"\Z", when) is not None
    body = {"TRANSACTION_ID": 1, "TX_DATETIME": when, "CUSTOMER_ID": 7, "TERMINAL_ID": 3}
    response = client.post("/v1/transactions/score", json={**body, "TX_AMOUNT": 42.5})
    assert documented == valid
    assert (response.status_code != 422) == valid, response.text
