"""Routes of the scoring API. Every status a route can return is declared in its `responses`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reference_impl.serve import deps, errors
from reference_impl.serve.bundle import BundleError, ModelBundle
from reference_impl.serve.guard import NonFiniteError
from reference_impl.serve.logs import get_logger
from reference_impl.serve.online import ClockError
from reference_impl.serve.schemas import (
    BatchRequest,
    BatchScoreResponse,
    ErrorResponse,
    FeaturesRequest,
    HealthResponse,
    LabelBatchRequest,
    LabelBatchResponse,
    LabelRequest,
    LabelResponse,
    ModelInfoResponse,
    ReloadRequest,
    RowsRequest,
    ScoreResponse,
    TransactionBatchRequest,
    TransactionRequest,
)

router = APIRouter()


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error responses of a route: `codes`, plus 400 and 413 that any request can get."""
    described = {
        400: "Malformed request: the body is not JSON (bad syntax, not UTF-8 text), "
        "or the Content-Length header is not a number.",
        403: "Admin token missing or wrong.",
        409: "Conflicts with the service's state: model refused (the old one keeps serving), "
        "or a transaction time too far from the online state's clock.",
        413: "Request body larger than the configured limit.",
        415: "Body is not application/json.",
        422: "Invalid input; `detail` names the first offending field. Also a valid row the "
        "model cannot score (a feature it derives overflows): the fields that caused it.",
        503: "No model loaded.",
    }
    return {
        code: {"model": ErrorResponse, "description": described[code]}
        for code in sorted({400, 413, *codes})
    }


POST_ERRORS = _errors(415, 422, 503)


def _alert(bundle: ModelBundle, score: float) -> bool | None:
    return None if bundle.threshold is None else score >= bundle.threshold


@router.post("/v1/score", response_model=ScoreResponse, responses=POST_ERRORS, tags=["scoring"])
async def score_features(request: FeaturesRequest, batcher: deps.Batcher) -> ScoreResponse:
    """Score one transaction given its 15 features (micro-batched with concurrent requests)."""
    try:
        score, bundle = await batcher.score(request.as_row())
    except NonFiniteError as exc:
        raise errors.unscorable(exc) from None
    return ScoreResponse(score=score, alert=_alert(bundle, score), model_version=bundle.version)


@router.post(
    "/v1/score/batch",
    response_model=BatchScoreResponse,
    responses=POST_ERRORS,
    tags=["scoring"],
    openapi_extra=deps.openapi_body(BatchRequest),
)
async def score_batch(
    request: Annotated[BatchRequest, Depends(deps.json_body(BatchRequest))],
    bundle: deps.Bundle,
    metrics: deps.Metrics,
) -> BatchScoreResponse:
    """Score up to 5,000 transactions in one model call."""
    # Field order is FEATURE_COLUMNS order (test_request_schema_is_the_feature_contract).
    rows = [list(tx.__dict__.values()) for tx in request.transactions]
    X = np.array(rows, dtype=np.float64)  # noqa: N806
    try:
        scores = await asyncio.to_thread(bundle.score, X)
    except NonFiniteError as exc:
        raise errors.unscorable(exc, rows="transactions") from None
    metrics.model_calls.observe(len(scores))
    alerts = None if bundle.threshold is None else (scores >= bundle.threshold).tolist()
    return BatchScoreResponse(scores=scores.tolist(), alerts=alerts, model_version=bundle.version)


@router.post(
    "/v1/score/rows",
    response_model=BatchScoreResponse,
    responses=POST_ERRORS,
    tags=["scoring"],
    openapi_extra=deps.openapi_body(RowsRequest),
)
async def score_rows(
    request: Annotated[RowsRequest, Depends(deps.json_body(RowsRequest))],
    bundle: deps.Bundle,
    metrics: deps.Metrics,
) -> BatchScoreResponse:
    """Score up to 20,000 transactions sent as arrays of the 15 features (bulk scoring)."""
    X = np.array(request.rows, dtype=np.float64)  # noqa: N806
    try:
        scores = await asyncio.to_thread(bundle.score, X)
    except NonFiniteError as exc:
        raise errors.unscorable(exc, rows="rows", columns=bundle.features) from None
    metrics.model_calls.observe(len(scores))
    alerts = None if bundle.threshold is None else (scores >= bundle.threshold).tolist()
    return BatchScoreResponse(scores=scores.tolist(), alerts=alerts, model_version=bundle.version)


@router.post(
    "/v1/transactions/score",
    response_model=ScoreResponse,
    responses={**POST_ERRORS, **_errors(409)},
    tags=["scoring"],
)
async def score_transaction(
    request: TransactionRequest, online: deps.Online, batcher: deps.Batcher
) -> ScoreResponse:
    """Score a raw transaction: features come from the service's online feature state."""
    try:
        row = online.features(_raw(request))
    except ClockError as exc:
        raise HTTPException(409, f"TX_DATETIME: {exc}") from None
    try:
        score, bundle = await batcher.score(row)
    except NonFiniteError as exc:  # from the online state's features, not from a request field
        raise errors.unscorable(exc, online=True) from None
    return ScoreResponse(
        score=score,
        alert=_alert(bundle, score),
        model_version=bundle.version,
        transaction_id=request.TRANSACTION_ID,
    )


def _raw(request: TransactionRequest) -> dict[str, Any]:
    """The transaction as the online state takes it: its time naive, in UTC."""
    tx = request.model_dump()
    when = request.TX_DATETIME
    tx["TX_DATETIME"] = when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    return tx


@router.post(
    "/v1/transactions/score/batch",
    response_model=BatchScoreResponse,
    responses={**POST_ERRORS, **_errors(409)},
    tags=["scoring"],
    openapi_extra=deps.openapi_body(TransactionBatchRequest),
)
async def score_transactions(
    request: Annotated[TransactionBatchRequest, Depends(deps.json_body(TransactionBatchRequest))],
    online: deps.Online,
    bundle: deps.Bundle,
    metrics: deps.Metrics,
) -> BatchScoreResponse:
    """Score up to 5,000 raw transactions in the order given, as if sent one by one (each one's
    features see those before it), in one model call; a refused time records none of them."""
    try:
        rows = online.features_many([_raw(tx) for tx in request.transactions])
    except ClockError as exc:
        raise HTTPException(409, f"TX_DATETIME: {exc}") from None
    X = np.array(rows, dtype=np.float64)  # noqa: N806
    try:
        scores = await asyncio.to_thread(bundle.score, X)
    except NonFiniteError as exc:  # from the online state's features, not from a request field
        raise errors.unscorable(exc, online=True) from None
    metrics.model_calls.observe(len(scores))  # as the one-by-one route's micro-batches do
    for value in scores.tolist():
        metrics.scores.observe(value)
    alerts = None if bundle.threshold is None else (scores >= bundle.threshold).tolist()
    if alerts is not None:
        metrics.alerts.inc(sum(alerts))
    return BatchScoreResponse(scores=scores.tolist(), alerts=alerts, model_version=bundle.version)


@router.post(
    "/v1/labels", response_model=LabelResponse, responses=_errors(415, 422), tags=["scoring"]
)
async def add_label(request: LabelRequest, online: deps.Online) -> LabelResponse:
    """Record a delayed fraud label; it feeds the terminal-risk features of later transactions."""
    recorded = online.set_label(request.TERMINAL_ID, request.TRANSACTION_ID, int(request.TX_FRAUD))
    return LabelResponse(recorded=recorded)


@router.post(
    "/v1/labels/batch",
    response_model=LabelBatchResponse,
    responses=_errors(415, 422),
    tags=["scoring"],
    openapi_extra=deps.openapi_body(LabelBatchRequest),
)
async def add_labels(
    request: Annotated[LabelBatchRequest, Depends(deps.json_body(LabelBatchRequest))],
    online: deps.Online,
) -> LabelBatchResponse:
    """Record up to 5,000 delayed fraud labels, in order (as that many POST /v1/labels)."""
    return LabelBatchResponse(
        recorded=[
            online.set_label(label.TERMINAL_ID, label.TRANSACTION_ID, int(label.TX_FRAUD))
            for label in request.labels
        ]
    )


@router.get("/v1/model", response_model=ModelInfoResponse, responses=_errors(503), tags=["model"])
async def model_info(bundle: deps.Bundle, store: deps.Store) -> ModelInfoResponse:
    """Version, hash, metrics and training-data hash of the model serving now."""
    meta = bundle.metadata
    threshold = bundle.threshold
    return ModelInfoResponse(
        version=bundle.version,
        sha256=bundle.sha256,
        features=list(bundle.features),
        metrics=dict(meta.get("metrics") or {}),
        data_hash=meta.get("data_hash"),
        threshold=threshold,
        library_versions=dict(meta.get("library_versions") or {}),
        loaded_at=datetime.fromtimestamp(bundle.loaded_at, tz=UTC),
        swaps=store.swaps,
    )


@router.post(
    "/v1/model/reload",
    response_model=ModelInfoResponse,
    responses=_errors(403, 409, 415, 422),
    dependencies=[Depends(deps.require_admin)],
    tags=["model"],
)
async def reload_model(
    request: ReloadRequest, store: deps.Store, metrics: deps.Metrics
) -> ModelInfoResponse:
    """Load → verify → warm up → swap atomically; on failure the old model keeps serving (409)."""
    started = time.perf_counter()
    try:
        bundle = await store.swap_to(request.version)
    except BundleError as exc:
        metrics.swaps.labels(outcome="refused").inc()
        get_logger().warning("model refused", extra={"version": request.version, "error": str(exc)})
        raise HTTPException(409, f"model {request.version!r} refused: {exc}") from None
    metrics.swaps.labels(outcome="ok").inc()
    metrics.set_model(bundle.version)
    get_logger().info(
        "model swapped",
        extra={"version": bundle.version, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return await model_info(bundle, store)


_READY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_errors(),
    200: {"model": HealthResponse, "description": "A verified model is loaded and scores."},
    503: {"model": HealthResponse, "description": "No model loaded yet (`detail` says why)."},
}


@router.get("/health/live", response_model=HealthResponse, responses=_errors(), tags=["health"])
async def live() -> HealthResponse:
    """The process answers (restart it if not)."""
    return HealthResponse(status="alive")


@router.get(
    "/health/ready", response_model=HealthResponse, responses=_READY_RESPONSES, tags=["health"]
)
async def ready(store: deps.Store, response: Response, request: Request) -> HealthResponse:
    """Ready to score: a verified model is loaded (send traffic only when 200)."""
    bundle = store.current
    if bundle is None:
        response.status_code = 503
        return HealthResponse(status="not ready", detail=store.last_error)
    return _with_lesion(request, response, bundle.version)  # and the lesion model, if served


def _with_lesion(request: Request, response: Response, version: str) -> HealthResponse:
    """Ready, unless the app also serves lesion photographs and that model is not loaded."""
    lesion = getattr(request.app.state, "lesion_store", None)
    if lesion is None:
        return HealthResponse(status="ready", model_version=version)
    if lesion.current is None:
        response.status_code = 503
        return HealthResponse(
            status="not ready", model_version=version, detail=f"lesion: {lesion.last_error}"
        )
    return HealthResponse(
        status="ready", model_version=version, lesion_model_version=lesion.current.version
    )


async def lesion_only_ready(request: Request, response: Response) -> HealthResponse:
    """Ready to score photographs: the lesion model is loaded (a service without a fraud
    model, `lesion serve`; send traffic only when 200)."""
    lesion = request.app.state.lesion_store
    if lesion.current is None:
        response.status_code = 503
        return HealthResponse(status="not ready", detail=f"lesion: {lesion.last_error}")
    return HealthResponse(status="ready", lesion_model_version=lesion.current.version)


def health_router() -> APIRouter:
    """The routes of a lesion-only service beside the lesion ones: liveness and metrics as
    here, readiness (`/health/ready`, `/health`) on the lesion model; no fraud route."""
    only = APIRouter()
    only.routes.extend(
        r for r in router.routes if getattr(r, "path", None) in ("/health/live", "/metrics")
    )
    for path in ("/health/ready", "/health"):
        only.add_api_route(
            path,
            lesion_only_ready,
            response_model=HealthResponse,
            responses=_READY_RESPONSES,
            tags=["health"],
        )
    return only


@router.get("/health", response_model=HealthResponse, responses=_READY_RESPONSES, tags=["health"])
async def health(store: deps.Store, response: Response, request: Request) -> HealthResponse:
    """The summary a person or a load balancer asks first: the readiness of /health/ready.

    200 with `status: ready` and the model version when a verified model scores; 503 with
    `status: not ready` and the reason otherwise. /health/live only says the process answers.
    """
    return await ready(store, response, request)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."},
        **_errors(),
    },
    tags=["health"],
)
async def metrics_endpoint(metrics: deps.Metrics) -> Response:
    """Prometheus metrics: requests, latency, scores, batch sizes, model version, swaps."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
