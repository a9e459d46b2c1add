"""Error responses that never echo the input back.

FastAPI's default 422 handler returns the rejected input; a NaN in it makes the JSON encoder fail
and the 422 becomes a 500. Here a validation error names the field, the problem and its type only.

A body that is not JSON at all (bad syntax, not UTF-8 text) is a 400 on every route, whoever
parsed it (FastAPI answers 422 for bad syntax but 400 for bad bytes, pydantic 422 for both);
a body that parses but breaks the schema is a 422. A row the model cannot score (its derived
features overflow, `guard.NonFiniteError`) is a 422 naming the input fields that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from reference_impl.serve.bundle import BundleError
from reference_impl.serve.guard import NonFiniteError

FASTAPI_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's 400 (bytes not text)


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _bad_body(request: Request, reason: str) -> JSONResponse:
    return JSONResponse(
        {"detail": f"body is not valid JSON: {reason[:200]}", "request_id": _request_id(request)},
        status_code=400,
    )


def _json_reason(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if "error" in ctx and isinstance(error.get("loc"), tuple | list) and len(error["loc"]) > 1:
        return f"{ctx['error']} at character {error['loc'][-1]}"  # FastAPI's json.loads
    return str(error.get("msg", "")).removeprefix("Invalid JSON: ")  # pydantic's parser


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    unparsed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if unparsed:
        return _bad_body(request, _json_reason(unparsed[0]))
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
    if exc.status_code == 400 and exc.detail == FASTAPI_PARSE_ERROR:
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            return _bad_body(request, f"not {cause.encoding} text (byte {cause.start})")
        return _bad_body(request, str(cause) if cause is not None else "unreadable")
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


def unscorable(
    exc: NonFiniteError,
    *,
    rows: str | None = None,
    columns: Sequence[str] | None = None,
    online: bool = False,
) -> RequestValidationError:
    """The 422 for rows the model cannot score, located like a validation error.

    Args:
        exc: the rows, and the input fields that made the model's features overflow.
        rows: the body field holding the rows (`transactions`), None for a one-row body.
        columns: for array rows, the column order (the field is named by its index).
        online: the features came from the online state; the body is named, not a field.
    """
    errors: list[dict[str, Any]] = []
    for problem in exc.problems:
        where: list[str | int] = ["body"] if rows is None else ["body", rows, problem.row]
        if online:
            causes = ", ".join(problem.inputs) or "the features"
            msg = f"{causes} (from the online state) {problem.message()}"
            errors.append({"loc": ("body",), "msg": msg, "type": "non_finite"})
            continue
        for name in problem.inputs or ("",):
            loc = [*where, columns.index(name) if columns else name] if name else where
            msg = f"{name} {problem.message()}" if columns and name else problem.message()
            errors.append({"loc": tuple(loc), "msg": msg, "type": "non_finite"})
    return RequestValidationError(errors)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(BundleError, bundle_error)  # type: ignore[arg-type]
