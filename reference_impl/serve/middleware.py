"""One pure-ASGI middleware for every request: request id, body limit, content type, metrics, log.

Pure ASGI (not `BaseHTTPMiddleware`) keeps the per-request overhead to a few microseconds and
lets the body limit count bytes as they stream in, so a huge body is refused before it is read.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reference_impl.serve.logs import get_logger
from reference_impl.serve.metrics import ServiceMetrics

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
JSON_TYPES = ("application/json",)
FORM_TYPE = "multipart/form-data"


class _TooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it instead of answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


async def _send_json(send: Send, status: int, body: dict[str, str], request_id: str) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class ServiceMiddleware:
    """Wraps the app; see the module docstring for what it does, in that order."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServiceMetrics,
        max_body_bytes: int,
        log_requests: bool,
        form_paths: Mapping[str, int] | None = None,
    ) -> None:
        """`form_paths`: upload routes (path -> their body limit) that take multipart/form-data
        instead of JSON."""
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.form_paths = dict(form_paths or {})
        self.log_requests = log_requests
        self.logger = get_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        method = scope["method"]

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        form_limit = self.form_paths.get(scope["path"])
        limit = self.max_body_bytes if form_limit is None else form_limit
        try:
            early = self._early_refusal(method, headers, limit, form=form_limit is not None)
            if early is not None:
                status, detail = early
                await _send_json(
                    send, status, {"detail": detail, "request_id": request_id}, request_id
                )
            else:
                await self.app(scope, self._limited(receive, limit), send_wrapper)
        except _TooLarge as exc:  # raised outside FastAPI's handlers (e.g. by a raw route)
            status = 413
            await _send_json(
                send, 413, {"detail": exc.detail, "request_id": request_id}, request_id
            )
        finally:
            self._record(scope, method, status, time.perf_counter() - start, request_id)

    def _early_refusal(
        self, method: str, headers: dict[bytes, bytes], limit: int, *, form: bool = False
    ) -> tuple[int, str] | None:
        length = headers.get(b"content-length")
        if length is not None and not length.isdigit():
            return 400, "Content-Length header is not a number"
        if length is not None and int(length) > limit:
            return 413, f"request body larger than {limit} bytes"
        if method in ("POST", "PUT", "PATCH") and (length is None or int(length) > 0):
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().decode("latin-1")
            if form and ctype.lower() != FORM_TYPE:
                return 415, f"content-type must be {FORM_TYPE}, got {ctype[:60] or 'none'!r}"
            if not form and ctype.lower() not in JSON_TYPES:
                return 415, f"content-type must be application/json, got {ctype or 'none'!r}"
        return None

    def _limited(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        return limited_receive

    def _record(self, scope: Scope, method: str, status: int, seconds: float, rid: str) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        self.metrics.requests.labels(route=route, method=method, status=str(status)).inc()
        self.metrics.latency.labels(route=route).observe(seconds)
        if self.log_requests:
            self.logger.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": method,
                    "path": scope["path"],
                    "status": status,
                    "ms": round(seconds * 1000, 3),
                },
            )
