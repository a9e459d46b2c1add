"""Settings of the lesion system: the fraud system's paths, read from `LESION_*` variables.

Every path derives from one root (``build/lesion`` by default, so the two systems never share a
folder): ``LESION_ROOT=/tmp/x`` moves the images, features, models and reports at once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from reference_impl.config import Settings


class LesionSettings(Settings):
    """Where the lesion system reads and writes (run parameters: the `lesion:` section of
    params.yaml). Same fields and derived paths as the fraud `Settings`; `raw_dir` holds the
    HAM10000-layout folder, `features_dir` the feature table."""

    model_config = SettingsConfigDict(env_prefix="LESION_", extra="ignore")

    root: Path = Field(
        default=Path("build/lesion"),
        description="Root folder of everything the lesion system generates.",
    )


@lru_cache(maxsize=1)
def get_settings() -> LesionSettings:
    """The process-wide lesion settings (read once; `get_settings.cache_clear()` in tests)."""
    return LesionSettings()
