"""Settings of the cohort kit: typed, read from `MLOPS_COHORT_*` environment variables, lazy.

Every output derives from one root (``build/cohort`` by default). Nothing happens at import.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the kit writes, and the defaults an instructor sets once per cohort."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_COHORT_", extra="ignore")

    root: Path = Field(
        default=Path("build/cohort"),
        description="Folder of everything the kit writes (groups, forms, results, audits).",
    )
    group_size: int = Field(default=4, ge=2, description="Students per project group.")
    reviewers: int = Field(default=3, ge=1, description="Peer reviewers per project.")
    seed: int = Field(default=0, description="Seed of group formation and reviewer assignment.")
    template: str | None = Field(
        default=None,
        description="Published template (git URL or path) for `new`; default the bundled one.",
    )

    @property
    def groups_csv(self) -> Path:
        return self.root / "groups.csv"

    @property
    def assignments_csv(self) -> Path:
        return self.root / "assignments.csv"

    @property
    def forms_dir(self) -> Path:
        return self.root / "forms"

    @property
    def review_dir(self) -> Path:
        return self.root / "review"

    @property
    def audit_dir(self) -> Path:
        return self.root / "audit"


@lru_cache
def get_settings() -> Settings:
    """The settings, read once from the environment."""
    return Settings()
