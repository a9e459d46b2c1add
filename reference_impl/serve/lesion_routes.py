"""The lesion routes: `POST /v1/lesion/score` (one photograph, `multipart/form-data`) and
`GET /v1/lesion/model`. Mounted by `create_app` only when a lesion registry is configured.

Every refusal is a 4xx whose `detail` names the problem and never repeats the upload: 400 a
body that is not multipart, 413 too large (Content-Length or the bytes streamed, checked by the
middleware before the body is read whole; or a picture whose header declares too many
pixels), 415 not a JPEG/PNG (declared or sniffed), 422 no `file` field, more than one file, or
an image the model cannot use (empty, corrupt, truncated, too small, not RGB) or was not trained
to judge (`lesion.scope`: no lesion found, or features far outside the training images').
"""

from __future__ import annotations

import asyncio
import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as StarletteUpload

from reference_impl.lesion.upload import UploadLimits, UploadRejected
from reference_impl.serve.bundle import BundleError
from reference_impl.serve.deps import get_app_settings, get_metrics, require_admin
from reference_impl.serve.lesion import LesionBundle
from reference_impl.serve.logs import get_logger
from reference_impl.serve.metrics import ServiceMetrics
from reference_impl.serve.schemas import ErrorResponse, ReloadRequest
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.store import ModelStore

SCORE_PATH = "/v1/lesion/score"
TYPES = ("image/jpeg", "image/png")
MULTIPART_OVERHEAD = 64 * 1024  # part headers and boundaries around the one file
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9.+-]{1,60}/[A-Za-z0-9.+-]{1,60}$")

router = APIRouter(tags=["lesion"])

Decision = Literal["biopsy", "refer_to_dermatologist", "routine"]


class ReferBand(BaseModel):
    """Probabilities in [low, high] are referred to a dermatologist instead of decided."""

    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)


class LesionScoreResponse(BaseModel):
    """One photograph's malignancy probability and the decision at the registered operating
    point."""

    probability: float = Field(
        ge=0, le=1, description="Estimated probability that the lesion is malignant."
    )
    decision: Decision = Field(
        description="biopsy (probability >= threshold), routine (below it), or "
        "refer_to_dermatologist (inside the refer band: the model does not decide alone)."
    )
    threshold: float = Field(description="The registered operating threshold.")
    refer_band: ReferBand | None = Field(description="The refer band; null if none registered.")
    model_version: str


class LesionModelInfoResponse(BaseModel):
    """The lesion model serving now: version, hash, operating point, gate and figures."""

    version: str
    sha256: str
    features: list[str]
    threshold: float
    refer_band: ReferBand | None
    train_prevalence: float | None
    gate: dict[str, Any]
    metrics: dict[str, Any]
    data_hash: str | None
    library_versions: dict[str, Any]
    loaded_at: datetime


def limits_of(settings: ServeSettings) -> UploadLimits:
    """What one upload may be (FRAUD_SERVE_LESION_MAX_* settings)."""
    return UploadLimits(
        max_bytes=settings.lesion_max_upload_bytes, max_side=settings.lesion_max_side
    )


def max_body(settings: ServeSettings) -> int:
    """The body limit of the upload route: one file plus the multipart framing."""
    return settings.lesion_max_upload_bytes + MULTIPART_OVERHEAD


async def get_lesion_store(request: Request) -> ModelStore[LesionBundle]:
    store: ModelStore[LesionBundle] = request.app.state.lesion_store
    return store


async def get_lesion_bundle(
    store: Annotated[ModelStore[LesionBundle], Depends(get_lesion_store)],
) -> LesionBundle:
    """The lesion model serving now; 503 (via `BundleError`) when none is loaded."""
    return store.require()


def _finite(value: Any) -> Any:
    """`value` with NaN and infinities as null (JSON has neither; metadata may hold them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _band(bundle: LesionBundle) -> ReferBand | None:
    band = bundle.refer_band
    return None if band is None else ReferBand(low=band[0], high=band[1])


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "The body is not valid multipart/form-data (or JSON, for the reload), or "
        "Content-Length is not a number.",
        403: "Admin token missing or wrong.",
        409: "Model refused: the old one keeps serving.",
        413: "Upload too large: over the byte limit, or a picture declaring too many pixels "
        "(a decompression bomb).",
        415: "Not multipart/form-data (application/json for the reload), or the file is not a "
        "JPEG or PNG (declared or actual).",
        422: "No `file` field, more than one file, or an image the model cannot use (empty, "
        "corrupt, truncated, smaller than 64 px, not RGB) or was not trained to judge (no "
        "lesion found, or a feature far outside the training images' range); `detail` says "
        "which. For the reload: the body breaks its schema.",
        503: "No lesion model loaded.",
    }
    return {c: {"model": ErrorResponse, "description": described[c]} for c in codes}


def _content_type(upload: StarletteUpload) -> str | None:
    """The part's declared type, if it looks like one (it is quoted back in a 415)."""
    value = (upload.content_type or "").split(";")[0].strip()
    if not value:
        return None
    return value if _MEDIA_TYPE.match(value) else "unreadable/type"


@router.post(
    SCORE_PATH,
    response_model=LesionScoreResponse,
    responses=_responses(400, 413, 415, 422, 503),
    # The part's declared type is part of the contract (a client must send it).
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {"encoding": {"file": {"contentType": ", ".join(TYPES)}}}
            }
        }
    },
)
async def score_lesion(
    file: Annotated[
        UploadFile,
        File(description="One dermoscopy photograph: JPEG or PNG, RGB, at least 64 px a side."),
    ],
    request: Request,
    bundle: Annotated[LesionBundle, Depends(get_lesion_bundle)],
    settings: Annotated[ServeSettings, Depends(get_app_settings)],
    metrics: Annotated[ServiceMetrics, Depends(get_metrics)],
) -> LesionScoreResponse:
    """Score one photograph: malignancy probability and biopsy / refer / routine."""
    form = await request.form()  # parsed once already for `file`; counted here
    files = [v for _, v in form.multi_items() if isinstance(v, StarletteUpload)]
    if len(files) != 1:
        raise HTTPException(422, f"file: send exactly one file, got {len(files)}")
    data = await file.read()
    try:
        result = await asyncio.to_thread(
            bundle.score_upload, data, _content_type(file), limits_of(settings)
        )
    except UploadRejected as exc:
        metrics.lesion.refusals.labels(status=str(exc.status)).inc()
        raise HTTPException(exc.status, f"file: {exc}") from None
    metrics.lesion.scores.observe(result.probability)
    metrics.lesion.decisions.labels(decision=result.decision).inc()
    return LesionScoreResponse(
        probability=result.probability,
        decision=result.decision,  # type: ignore[arg-type]  # one of DECISIONS
        threshold=bundle.threshold,
        refer_band=_band(bundle),
        model_version=bundle.version,
    )


@router.get("/v1/lesion/model", response_model=LesionModelInfoResponse, responses=_responses(503))
async def lesion_model_info(
    bundle: Annotated[LesionBundle, Depends(get_lesion_bundle)],
) -> LesionModelInfoResponse:
    """Version, hash, operating point, sensitivity gate and held-out figures of the lesion
    model serving now."""
    meta = bundle.metadata
    prevalence = meta.get("train_prevalence")
    return LesionModelInfoResponse(
        version=bundle.version,
        sha256=bundle.sha256,
        features=list(bundle.features),
        threshold=bundle.threshold,
        refer_band=_band(bundle),
        train_prevalence=float(prevalence) if isinstance(prevalence, int | float) else None,
        gate=_finite(dict(meta.get("gate") or {})),
        metrics=_finite(dict(meta.get("metrics") or {})),
        data_hash=meta.get("data_hash"),
        library_versions=dict(meta.get("library_versions") or {}),
        loaded_at=datetime.fromtimestamp(bundle.loaded_at, tz=UTC),
    )


@router.post(
    "/v1/lesion/model/reload",
    response_model=LesionModelInfoResponse,
    responses=_responses(400, 403, 409, 413, 415, 422),
    dependencies=[Depends(require_admin)],
)
async def reload_lesion_model(
    request: ReloadRequest,
    store: Annotated[ModelStore[LesionBundle], Depends(get_lesion_store)],
    metrics: Annotated[ServiceMetrics, Depends(get_metrics)],
) -> LesionModelInfoResponse:
    """Load → verify → warm up → swap the lesion model; on failure the old one keeps serving."""
    try:
        bundle = await store.swap_to(request.version)
    except BundleError as exc:
        get_logger().warning(
            "lesion model refused", extra={"version": request.version, "error": str(exc)}
        )
        raise HTTPException(409, f"lesion model {request.version!r} refused: {exc}") from None
    metrics.lesion.set_model(bundle.version)
    get_logger().info("lesion model swapped", extra={"version": bundle.version})
    return await lesion_model_info(bundle)
