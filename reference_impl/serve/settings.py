"""Typed, lazy settings of the scoring service (environment variables ``FRAUD_SERVE_*``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reference_impl.schemas import DEFAULT_DELAY_DAYS


class ServeSettings(BaseSettings):
    """What the service loads, how much it accepts, and how it logs."""

    model_config = SettingsConfigDict(env_prefix="FRAUD_SERVE_", extra="ignore")

    models_dir: Path | None = Field(
        default=None,
        description="Registry folder, one sub-folder per version; default <FRAUD_ROOT>/models.",
    )
    model_version: str = Field(
        default="latest", description="Version to load at start-up; 'latest' = newest by name."
    )
    history_dir: Path | None = Field(
        default=None,
        description="Raw transaction partitions that warm the online feature state; "
        "None = start the online path with an empty state.",
    )
    history_end: date | None = Field(
        default=None, description="Last day of history loaded (e.g. the day before a replay)."
    )
    label_delay_days: int = Field(
        default=DEFAULT_DELAY_DAYS,
        ge=1,
        description="Label delay d of the terminal-risk features (as trained).",
    )
    max_clock_jump_days: int = Field(
        default=7, ge=1, description="Online path: refuse times this far from the latest seen."
    )
    max_body_bytes: int = Field(
        default=4 * 1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    max_microbatch: int = Field(
        default=256, ge=1, description="Most single requests scored together by the micro-batcher."
    )
    lesion_models_dir: Path | None = Field(
        default=None,
        description="Lesion registry folder (e.g. build/lesion/models); set, the app also "
        "serves POST /v1/lesion/score and GET /v1/lesion/model. None = fraud routes only.",
    )
    lesion_model_version: str = Field(
        default="latest", description="Lesion version to load; 'latest' = its champion."
    )
    serve_fraud: bool = Field(
        default=True,
        description="Serve the fraud model (its routes, its readiness). False = lesion only "
        "(`lesion serve`): needs lesion_models_dir.",
    )
    lesion_max_upload_bytes: int = Field(
        default=2_000_000, ge=1024, description="Largest lesion photograph accepted (413 above)."
    )
    lesion_max_side: int = Field(
        default=4096,
        ge=64,
        description="Largest side in pixels, read from the image header before decoding (413).",
    )
    admin_token: str | None = Field(
        default=None,
        description="If set, model reloads need header 'X-Admin-Token' with this value.",
    )
    log_requests: bool = Field(default=True, description="Write one JSON log line per request.")
    log_level: str = Field(default="INFO", description="Level of the service's JSON logs.")
    freeze_heap: bool = Field(
        default=True,
        description="After startup, collect garbage once and freeze what survives (model,"
        " libraries) out of the collector's reach: no full collection walks it under load. Off"
        " for a process that starts many apps (a test run): each start would walk its heap.",
    )

    @model_validator(mode="after")
    def _serves_something(self) -> ServeSettings:
        if not self.serve_fraud and self.lesion_models_dir is None:
            raise ValueError("serve_fraud is false and no lesion_models_dir: nothing to serve")
        return self

    @property
    def resolved_models_dir(self) -> Path:
        """`models_dir`, or the reference system's models folder under its root."""
        if self.models_dir is not None:
            return self.models_dir
        from reference_impl.config import get_settings as get_system_settings

        return get_system_settings().models_dir


@lru_cache(maxsize=1)
def get_settings() -> ServeSettings:
    """Return the process-wide serving settings (tests override the dependency instead)."""
    return ServeSettings()
