"""The scoring API: what a client sees for good input, bad input, and model operations."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reference_impl.schemas import FEATURE_COLUMNS
from reference_impl.serve.schemas import MAX_BATCH, FeaturesRequest


def test_request_schema_is_the_feature_contract() -> None:
    """Does the API accept exactly the 15 model features, in the training order?"""
    assert tuple(FeaturesRequest.model_fields) == FEATURE_COLUMNS


def test_score_one(client: TestClient, features: dict[str, Any]) -> None:
    """Does a valid transaction get a probability, an alert flag and the model version?"""
    response = client.post("/v1/score", json=features)
    assert response.status_code == 200, response.text
    body = response.json()
    assert 0.0 <= body["score"] <= 1.0
    assert body["alert"] == (body["score"] >= 0.5)
    assert body["model_version"] == "v1"
    assert response.headers["x-request-id"]


def test_batch_scores_match_single_scores(client: TestClient, features: dict[str, Any]) -> None:
    """Does a batch return, in order, the same scores as one-by-one requests?"""
    rows = [features, {**features, "TX_AMOUNT": 900.0}, {**features, "TX_AMOUNT": 1.0}]
    batch = client.post("/v1/score/batch", json={"transactions": rows}).json()
    singles = [client.post("/v1/score", json=row).json()["score"] for row in rows]
    assert batch["scores"] == pytest.approx(singles, abs=1e-12)
    assert batch["scores"][1] > batch["scores"][2]  # the demo model likes large amounts


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("TX_AMOUNT", -1.0, "greater_than_equal"),
        ("TX_AMOUNT", "12", "float_type"),
        ("TX_AMOUNT", True, "float_type"),
        ("TX_AMOUNT", None, "float_type"),
        ("TX_DURING_NIGHT", 2, "less_than_equal"),
        ("TX_DURING_NIGHT", False, "float_type"),
        ("CUSTOMER_ID_NB_TX_1DAY_WINDOW", 2.5, "multiple_of"),
        ("TERMINAL_ID_RISK_7DAY_WINDOW", 1.5, "less_than_equal"),
    ],
)
def test_bad_values_get_422_naming_the_field(
    client: TestClient, features: dict[str, Any], field: str, value: Any, kind: str
) -> None:
    """Is a wrong type or out-of-range value refused with 422 naming the field?"""
    response = client.post("/v1/score", json={**features, field: value})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith(field)
    assert body["errors"][0] == {
        "field": field,
        "message": body["errors"][0]["message"],
        "type": kind,
    }


def test_integral_float_is_an_integer(client: TestClient, features: dict[str, Any]) -> None:
    """Is 8.0 accepted where the schema says integer (JSON Schema counts it as one)?"""
    response = client.post("/v1/score", json={**features, "CUSTOMER_ID_NB_TX_7DAY_WINDOW": 8.0})
    assert response.status_code == 200, response.text


def test_unknown_and_missing_fields(client: TestClient, features: dict[str, Any]) -> None:
    """Are unknown fields refused and missing ones named?"""
    extra = client.post("/v1/score", json={**features, "IS_FRAUD": 1})
    assert extra.status_code == 422 and extra.json()["detail"].startswith("IS_FRAUD")
    missing = {k: v for k, v in features.items() if k != "TX_AMOUNT"}
    response = client.post("/v1/score", json=missing)
    assert response.status_code == 422 and response.json()["detail"].startswith("TX_AMOUNT")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_get_422_not_500(
    client: TestClient, features: dict[str, Any], token: str
) -> None:
    """Does a NaN/Inf in the body give a clean 422 (the default handler would echo it → 500)?"""
    raw = json.dumps({**features, "TX_AMOUNT": 1.5}).replace("1.5", token)
    response = client.post("/v1/score", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("TX_AMOUNT")
    assert token not in response.text


@pytest.mark.parametrize("token", ["NaN", "Infinity", "1e999"])
def test_non_finite_numbers_in_a_batch_get_422(
    client: TestClient, features: dict[str, Any], token: str
) -> None:
    """Is a NaN deep in a batch refused with 422 naming its row and field?"""
    rows = [features, {**features, "TX_AMOUNT": 1.5}]
    raw = json.dumps({"transactions": rows}).replace("1.5", token)
    response = client.post(
        "/v1/score/batch", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("transactions.1.TX_AMOUNT")
    assert token not in response.text


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"[false]", b"null", b'"x"', b"{}"],
    ids=["empty", "list", "list-false", "null", "string", "empty-object"],
)
def test_json_of_the_wrong_shape_gets_422(client: TestClient, body: bytes) -> None:
    """Do junk bodies that broke the tutorial app get a 422 instead of a 500?"""
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


POST_ROUTES = [
    "/v1/score",
    "/v1/score/batch",
    "/v1/score/rows",
    "/v1/transactions/score",
    "/v1/transactions/score/batch",
    "/v1/labels",
    "/v1/labels/batch",
    "/v1/model/reload",
]


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize(
    "body",
    [b"{", b"\x80", b'{"TX_AMOUNT": "\xff"}', b"\xff\xfe", b'{"TX_AMOUNT": ' + b"9" * 5000 + b"}"],
    ids=["truncated", "not-utf8", "not-utf8-in-string", "utf16-bom", "integer-too-long"],
)
def test_body_that_does_not_parse_gets_400_on_every_route(
    client: TestClient, path: str, body: bytes
) -> None:
    """Issue 26: is a body that is not JSON a documented 400 (FastAPI's was undocumented)?"""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith("body is not valid JSON: ")
    assert "400" in client.get("/openapi.json").json()["paths"][path]["post"]["responses"]


def test_batch_limits(client: TestClient, features: dict[str, Any]) -> None:
    """Are empty and too-large batches refused with 422 naming `transactions`?"""
    empty = client.post("/v1/score/batch", json={"transactions": []})
    assert empty.status_code == 422 and empty.json()["detail"].startswith("transactions")
    compact = {k: 1 for k in features}  # small rows so the body stays under the size limit
    over = client.post("/v1/score/batch", json={"transactions": [compact] * (MAX_BATCH + 1)})
    assert over.status_code == 422, over.text
    assert over.json()["detail"].startswith("transactions: List should have at most 5000")


def test_huge_body_gets_413(client: TestClient, settings: Any) -> None:
    """Is a body over the limit refused with 413 before it is parsed?"""
    blob = b'{"transactions": [' + b"1," * settings.max_body_bytes + b"1]}"
    response = client.post(
        "/v1/score/batch", content=blob, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert str(settings.max_body_bytes) in response.json()["detail"]


def test_huge_body_without_content_length_gets_413(client: TestClient, settings: Any) -> None:
    """Is a streamed (chunked) body counted as it arrives?"""

    def chunks() -> Any:
        for _ in range(settings.max_body_bytes // 1000 + 2):
            yield b" " * 1000

    response = client.post(
        "/v1/score", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_gets_415(
    client: TestClient, features: dict[str, Any], ctype: str | None
) -> None:
    """Is a JSON body sent with another (or no) content type refused with 415?"""
    headers = {"content-type": ctype} if ctype else {}
    response = client.post("/v1/score", content=json.dumps(features), headers=headers)
    if ctype is None:
        assert "content-type" not in response.request.headers
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_request_id_is_propagated(client: TestClient, features: dict[str, Any]) -> None:
    """Does a caller's X-Request-ID come back (and a fresh one otherwise)?"""
    response = client.post("/v1/score", json=features, headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    bad = client.post("/v1/score", json=features, headers={"x-request-id": "<script>"})
    assert bad.headers["x-request-id"] != "<script>"


def test_health_and_model_info(client: TestClient) -> None:
    """Do liveness, readiness and model info report the loaded model?"""
    assert client.get("/health/live").json()["status"] == "alive"
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["model_version"] == "v1"
    summary = client.get("/health")  # the address people try first answers the same
    assert summary.status_code == 200 and summary.json() == ready.json()
    info = client.get("/v1/model").json()
    assert info["version"] == "v1"
    assert info["features"] == list(FEATURE_COLUMNS)
    assert len(info["sha256"]) == 64 and info["data_hash"] == "random-v1"


def test_metrics_count_requests_and_scores(client: TestClient, features: dict[str, Any]) -> None:
    """Do the Prometheus metrics show requests, latency, scores and the model version?"""
    for _ in range(3):
        client.post("/v1/score", json=features)
    client.post("/v1/score", json={})
    text = client.get("/metrics").text
    assert 'fraud_requests_total{method="POST",route="/v1/score",status="200"} 3.0' in text
    assert 'fraud_requests_total{method="POST",route="/v1/score",status="422"} 1.0' in text
    assert "fraud_score_count 3.0" in text
    assert 'fraud_model_info{version="v1"} 1.0' in text
    assert math.isfinite(float(text.split("fraud_request_seconds_count{")[1].split()[1]))


def test_rows_format_agrees_with_the_object_format(
    client: TestClient, features: dict[str, Any]
) -> None:
    """Do arrays in FEATURE_COLUMNS order score exactly like the named-field batch?"""
    rows = [features, {**features, "TX_AMOUNT": 900.0}]
    named = client.post("/v1/score/batch", json={"transactions": rows}).json()
    arrays = {
        "columns": list(FEATURE_COLUMNS),
        "rows": [[r[c] for c in FEATURE_COLUMNS] for r in rows],
    }
    compact = client.post("/v1/score/rows", json=arrays)
    assert compact.status_code == 200, compact.text
    assert compact.json()["scores"] == named["scores"]


def test_rows_constraints_match_the_named_fields() -> None:
    """Does each array position carry the same constraints as its named field?"""
    from reference_impl.serve.schemas import RowsRequest

    properties = FeaturesRequest.model_json_schema()["properties"]
    rows = RowsRequest.model_json_schema()["properties"]["rows"]["items"]["prefixItems"]
    columns = RowsRequest.model_json_schema()["properties"]["columns"]["prefixItems"]
    assert [c["const"] for c in columns] == list(FEATURE_COLUMNS)
    for name, item in zip(FEATURE_COLUMNS, rows, strict=True):
        assert {k: v for k, v in properties[name].items() if k != "title"} == item, name


def test_rows_in_the_wrong_order_or_shape_get_422(
    client: TestClient, features: dict[str, Any]
) -> None:
    """Are swapped columns and a short row refused, naming where?"""
    row = [features[c] for c in FEATURE_COLUMNS]
    swapped = client.post(
        "/v1/score/rows", json={"columns": list(FEATURE_COLUMNS)[::-1], "rows": [row]}
    )
    assert swapped.status_code == 422 and swapped.json()["detail"].startswith("columns.0")
    short = client.post(
        "/v1/score/rows", json={"columns": list(FEATURE_COLUMNS), "rows": [row[:14]]}
    )
    assert short.status_code == 422 and short.json()["detail"].startswith("rows.0")
