"""FastAPI dependencies: what a route needs, taken from the app's state (tests override these).

All are `async def`: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per
request for what is an attribute lookup. Settings come from `app.state` too, not from
`app.dependency_overrides`: with any override registered, FastAPI rebuilds every sub-dependency's
signature on every request (measured: ~15 % of a /v1/score request's CPU).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from reference_impl.serve.batcher import MicroBatcher
from reference_impl.serve.bundle import ModelBundle
from reference_impl.serve.metrics import ServiceMetrics
from reference_impl.serve.online import OnlineScorer
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.store import ModelStore

M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """Parse and validate the body in one pass in pydantic-core (for large bodies).

    FastAPI parses JSON with the standard library and then validates Python objects; for a
    5,000-row batch that costs several times more than `model_validate_json`. Errors become the
    usual 422 (`errors.validation_error`), located under "body" like FastAPI's own.
    """

    async def parse(request: Request) -> M:
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as exc:
            errors: list[Any] = [
                {**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)
            ]
            raise RequestValidationError(errors) from None

    return parse


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting a body parsed by `json_body` (refs into components)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # its models are in components already (other routes use them)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def get_store(request: Request) -> ModelStore[ModelBundle]:
    store: ModelStore[ModelBundle] = request.app.state.store
    return store


async def get_bundle(
    store: Annotated[ModelStore[ModelBundle], Depends(get_store)],
) -> ModelBundle:
    """The model serving now; 503 (via `BundleError`) when none is loaded."""
    return store.require()


async def get_batcher(request: Request) -> MicroBatcher:
    batcher: MicroBatcher = request.app.state.batcher
    return batcher


async def get_metrics(request: Request) -> ServiceMetrics:
    metrics: ServiceMetrics = request.app.state.metrics
    return metrics


async def get_online(request: Request) -> OnlineScorer:
    online: OnlineScorer = request.app.state.online
    return online


async def get_app_settings(request: Request) -> ServeSettings:
    """The settings the app was created with."""
    settings: ServeSettings = request.app.state.settings
    return settings


async def require_admin(
    settings: Annotated[ServeSettings, Depends(get_app_settings)],
    x_admin_token: Annotated[str | None, Header()] = None,
) -> None:
    if settings.admin_token is not None and x_admin_token != settings.admin_token:
        raise HTTPException(403, "X-Admin-Token header missing or wrong")


Store = Annotated[ModelStore[ModelBundle], Depends(get_store)]
Bundle = Annotated[ModelBundle, Depends(get_bundle)]
Batcher = Annotated[MicroBatcher, Depends(get_batcher)]
Metrics = Annotated[ServiceMetrics, Depends(get_metrics)]
Online = Annotated[OnlineScorer, Depends(get_online)]
Settings = Annotated[ServeSettings, Depends(get_app_settings)]
