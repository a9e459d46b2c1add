"""Acting on a *retrain* decision: rerun the pipeline's model stages, then tell the service.

The stages are the pipeline's own (train → evaluate with its gate → register), so a retrained
model passes exactly the checks the first one did; the service then hot-swaps to it (verified,
atomic) through POST /v1/model/reload. A gate failure leaves the serving model in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reference_impl.config import Settings


@dataclass(frozen=True)
class RetrainResult:
    version: str
    reloaded: bool


def retrain_and_reload(
    *, settings: Settings, params_path: Path | None = None, service_url: str | None = None
) -> RetrainResult:
    """Train, evaluate (gate) and register a new version; ask the service to swap to it.

    Raises:
        pipeline.GateFailed: the retrained model did not pass the evaluation gate.
        ValueError: the service refused the new version (it keeps serving the old one).
    """
    from reference_impl import pipeline
    from reference_impl.params import load_params

    params = load_params(params_path)
    pipeline.run_train(settings=settings, params=params)
    pipeline.run_evaluate(settings=settings, params=params)
    registration = pipeline.run_register(settings=settings, params=params)
    reloaded = False
    if service_url:
        import httpx

        try:
            response = httpx.post(
                f"{service_url.rstrip('/')}/v1/model/reload",
                json={"version": registration.version},
                timeout=60,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ValueError(f"service did not swap to {registration.version}: {exc}") from None
        reloaded = True
    return RetrainResult(version=registration.version, reloaded=reloaded)
