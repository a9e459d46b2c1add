"""Error responses that never echo the input back.

FastAPI's default 422 handler returns the rejected input; a NaN in it makes the JSON encoder fail
and the 422 becomes a 500. Here a validation error names the field, the problem and its type only.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from reference_impl.serve.bundle import BundleError


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "message": str(e.get("msg")),
            "type": str(e.get("type")),
        }
        for e in exc.errors()[:20]
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    summary = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        summary += f" (and {len(exc.errors()) - 1} more)"
    return JSONResponse(
        {"detail": summary, "errors": errors, "request_id": _request_id(request)}, status_code=422
    )


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc.detail), "request_id": _request_id(request)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def bundle_error(request: Request, exc: BundleError) -> JSONResponse:
    return JSONResponse(
        {"detail": f"no model available: {exc}", "request_id": _request_id(request)},
        status_code=503,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(BundleError, bundle_error)  # type: ignore[arg-type]
