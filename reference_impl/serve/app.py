"""The FastAPI scoring service: `create_app()` wires settings, model store, batcher and routes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from reference_impl.serve import errors, routes
from reference_impl.serve.batcher import MicroBatcher
from reference_impl.serve.bundle import BundleError, ModelBundle, load_bundle
from reference_impl.serve.logs import configure_logging, get_logger
from reference_impl.serve.metrics import ServiceMetrics
from reference_impl.serve.middleware import ServiceMiddleware
from reference_impl.serve.online import load_online_state
from reference_impl.serve.settings import ServeSettings, get_settings
from reference_impl.serve.store import ModelStore


def _record_scores(metrics: ServiceMetrics) -> Any:
    def on_batch(bundle: ModelBundle, scores: Any) -> None:
        metrics.model_calls.observe(len(scores))
        for value in scores.tolist():
            metrics.scores.observe(value)
        if bundle.threshold is not None:
            metrics.alerts.inc(int((scores >= bundle.threshold).sum()))

    return on_batch


def _load_lesion(models_dir: Path, version: str, metrics: ServiceMetrics) -> ModelStore[Any]:
    from reference_impl.serve.lesion import load_lesion_bundle

    store = ModelStore(models_dir, load_lesion_bundle, cli="lesion")
    try:
        bundle = store.load_now(version)
        metrics.lesion.set_model(bundle.version)
        get_logger().info(
            "lesion model loaded", extra={"version": bundle.version, "path": str(bundle.path)}
        )
    except BundleError as exc:  # as for the fraud model: alive, not ready
        get_logger().error("lesion model not loaded", extra={"error": str(exc)})
    return store


def _lifespan(settings: ServeSettings) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        logger = get_logger()
        if not settings.serve_fraud:  # lesion only (`lesion serve`): no fraud store or batcher
            app.state.store = None
            app.state.lesion_store = _load_lesion(
                settings.lesion_models_dir or Path("."),
                settings.lesion_model_version,
                app.state.metrics,
            )
            _freeze_heap(settings)
            yield
            _unfreeze_heap(settings)
            logger.info("stopped")
            return
        store = ModelStore(settings.resolved_models_dir, load_bundle)
        try:
            bundle = store.load_now(settings.model_version)
            app.state.metrics.set_model(bundle.version)
            logger.info("model loaded", extra={"version": bundle.version, "path": str(bundle.path)})
        except BundleError as exc:  # stay alive, report not ready, accept a reload later
            logger.error("model not loaded", extra={"error": str(exc)})
        app.state.store = store
        if settings.lesion_models_dir is not None:
            app.state.lesion_store = _load_lesion(
                settings.lesion_models_dir, settings.lesion_model_version, app.state.metrics
            )
        app.state.online = load_online_state(settings)
        batcher = MicroBatcher(
            store.require,
            max_batch=settings.max_microbatch,
            on_batch=_record_scores(app.state.metrics),
        )
        batcher.start()
        app.state.batcher = batcher
        _freeze_heap(settings)
        yield
        await batcher.stop()  # graceful: queued requests are answered before exit
        _unfreeze_heap(settings)
        logger.info("stopped")

    return lifespan


def _freeze_heap(settings: ServeSettings) -> None:
    # Startup left ~10^5 long-lived objects (model, libraries): move them out of the
    # collector's reach, or each full collection under load walks them all (measured: a
    # 130 ms pause every few thousand requests; ~0 ms once frozen).
    if settings.freeze_heap:
        gc.collect()
        gc.freeze()


def _unfreeze_heap(settings: ServeSettings) -> None:
    if settings.freeze_heap:
        gc.unfreeze()  # an app stopped inside a longer-lived process leaks nothing


DESCRIPTION = """\
Errors have one body, `ErrorResponse`: `detail` (one line naming the problem), `errors` (for 422:
field, message, type) and `request_id` (also in the `X-Request-ID` header). 400: the body is not
JSON (bad syntax, not UTF-8 text). 413: the body is over the size limit. 415: not
`application/json`. 422: the body breaks the schema, or a row is valid but a feature the model
derives from it overflows (the fields that caused it are named). 503: no model loaded.
Every value the schemas accept, subnormal floats included, is scored without a server error.
"""

LESION_DESCRIPTION = """
With a lesion registry configured, `POST /v1/lesion/score` takes one photograph as
`multipart/form-data` (field `file`, JPEG or PNG) and answers its malignancy probability and the
decision at the registered operating point. Its refusals: 400 not multipart, 413 too large or a
decompression bomb, 415 not a JPEG/PNG (declared or actual), 422 no file, two files, or an image
the model cannot use (empty, corrupt, truncated, too small, not RGB).
"""


LESION_ONLY_DESCRIPTION = """\
`POST /v1/lesion/score` takes one photograph as `multipart/form-data` (field `file`, JPEG or PNG)
and answers its malignancy probability and the decision at the registered operating point. Errors
have one body, `ErrorResponse` (`detail`: one line naming the problem). Refusals: 400 not
multipart, 413 too large or a decompression bomb, 415 not a JPEG/PNG (declared or actual), 422 no
file, two files, an image the model cannot use (empty, corrupt, truncated, too small, not RGB) or
was not trained to judge (no lesion found, features far outside the training images'); 503 no
lesion model loaded. `/health/ready` names the lesion model (`lesion_model_version`).
"""


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """Build the scoring app; `settings` default to the `FRAUD_SERVE_*` environment."""
    settings = settings or get_settings()
    lesion = settings.lesion_models_dir is not None
    if not settings.serve_fraud:
        return _lesion_only_app(settings)
    app = FastAPI(
        title="Fraud scoring service" + (" and lesion screening" if lesion else ""),
        version="1",
        summary="Scores card transactions with the registered fraud model"
        + (", and skin-lesion photographs with the registered lesion model." if lesion else "."),
        description=DESCRIPTION + (LESION_DESCRIPTION if lesion else ""),
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics()
    errors.install(app)
    app.include_router(routes.router)
    form_paths: dict[str, int] = {}
    if lesion:  # the image routes exist only where a lesion model is configured
        from reference_impl.serve import lesion_routes

        app.state.metrics.add_lesion()
        app.include_router(lesion_routes.router)
        form_paths[lesion_routes.SCORE_PATH] = lesion_routes.max_body(settings)
    app.add_middleware(
        ServiceMiddleware,
        metrics=app.state.metrics,
        max_body_bytes=settings.max_body_bytes,
        log_requests=settings.log_requests,
        form_paths=form_paths,
    )
    return app


def _lesion_only_app(settings: ServeSettings) -> FastAPI:
    """The lesion model alone: its routes plus health and metrics, no fraud route or model."""
    from reference_impl.serve import lesion_routes

    app = FastAPI(
        title="Lesion screening service",
        version="1",
        summary="Scores skin-lesion photographs with the registered lesion model.",
        description=LESION_ONLY_DESCRIPTION,
        lifespan=_lifespan(settings),
    )
    app.state.settings = settings
    app.state.metrics = ServiceMetrics()
    app.state.metrics.add_lesion()
    errors.install(app)
    app.include_router(routes.health_router())
    app.include_router(lesion_routes.router)
    app.add_middleware(
        ServiceMiddleware,
        metrics=app.state.metrics,
        max_body_bytes=settings.max_body_bytes,
        log_requests=settings.log_requests,
        form_paths={lesion_routes.SCORE_PATH: lesion_routes.max_body(settings)},
    )
    return app
