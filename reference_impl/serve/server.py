"""Run the app with uvicorn: in the foreground (`fraud serve`) or in a thread (tests, bench)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_config(app: Any, *, host: str = "127.0.0.1", port: int = 8080) -> uvicorn.Config:
    """One worker; `log_config=None` leaves logging to the app's JSON logs."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=1,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


@contextmanager
def running(app: Any, *, port: int | None = None, timeout: float = 20.0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a background thread; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn_config(app, port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)


def serve_forever(settings: Any, *, host: str, port: int) -> None:
    """Check a model is registered, then run the service until SIGINT/SIGTERM (graceful)."""
    from reference_impl.serve.app import create_app
    from reference_impl.serve.bundle import BundleError, resolve_version

    if settings.serve_fraud:
        resolve_version(settings.resolved_models_dir, settings.model_version)  # BundleError early
    if settings.lesion_models_dir is not None:
        try:
            resolve_version(settings.lesion_models_dir, settings.lesion_model_version, cli="lesion")
        except BundleError as exc:
            raise BundleError(f"lesion model: {exc}") from None
    uvicorn.Server(uvicorn_config(create_app(settings), host=host, port=port)).run()
