"""Acting on a *retrain* decision: rerun the pipeline's model stages, then tell the service.

The stages are the pipeline's own runners (train → evaluate with its floors → register with the
champion comparison), so a retrained model passes exactly the checks the first one did. Only a
promoted model reaches the service, which hot-swaps to it (verified, atomic) through
POST /v1/model/reload; a challenger is registered and waits for an explicit `fraud promote`, and
a gate failure leaves the serving model in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reference_impl.config import Settings
from reference_impl.errors import ServiceError


@dataclass(frozen=True)
class RetrainResult:
    """The version registered, whether it became the champion and whether the service swapped."""

    version: str
    promoted: bool
    reloaded: bool


def retrain_and_reload(
    *, settings: Settings, params_path: Path | None = None, service_url: str | None = None
) -> RetrainResult:
    """Train, evaluate (gate) and register a new version; ask the service to swap to it.

    Raises:
        GateFailed: the retrained model failed a floor or is worse than the champion.
        ServiceError: the service refused the new version (it keeps serving the old one).
    """
    from reference_impl import runner
    from reference_impl.params import load_params

    params = load_params(params_path)
    runner.run_train(settings=settings, params=params)
    runner.run_evaluate(settings=settings, params=params)
    registration = runner.run_register(settings=settings, params=params)
    promoted = registration.champion == registration.version
    reloaded = False
    if service_url and promoted:
        import httpx

        try:
            response = httpx.post(
                f"{service_url.rstrip('/')}/v1/model/reload",
                json={"version": registration.version},
                timeout=60,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceError(f"service did not swap to {registration.version}: {exc}") from None
        reloaded = True
    return RetrainResult(version=registration.version, promoted=promoted, reloaded=reloaded)
