"""Settings of the reference system: typed, read from `FRAUD_*` environment variables, lazy.

Every path derives from one root (``build/`` by default), so ``FRAUD_ROOT=/tmp/x`` moves all
generated data, models and reports at once. Nothing happens at import: no folder is created.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the reference fraud system reads and writes (run parameters live in params.yaml)."""

    model_config = SettingsConfigDict(env_prefix="FRAUD_", extra="ignore")

    root: Path = Field(
        default=Path("build"),
        description="Root folder of everything generated (data, models, reports).",
    )
    data_dir: Path | None = Field(
        default=None, description="Data folder (raw partitions, features); default <root>/data."
    )
    mlflow_tracking_uri: str | None = Field(
        default=None, description="MLflow tracking URI; default a SQLite store at <root>/mlflow.db."
    )
    raw_path: Path | None = Field(
        default=None, description="Raw dataset folder; default <data_dir>/raw."
    )
    features_path: Path | None = Field(
        default=None, description="Feature table folder; default <data_dir>/features."
    )
    track: bool = Field(default=True, description="Record train/evaluate/register runs in MLflow.")

    @property
    def data_path(self) -> Path:
        """Data folder, resolved from `data_dir` or the root."""
        return self.data_dir if self.data_dir is not None else self.root / "data"

    @property
    def raw_dir(self) -> Path:
        """Immutable simulated transactions (daily Parquet partitions)."""
        return self.raw_path if self.raw_path is not None else self.data_path / "raw"

    @property
    def features_dir(self) -> Path:
        """Engineered features written by `fraud features`."""
        return self.features_path if self.features_path is not None else self.data_path / "features"

    @property
    def models_dir(self) -> Path:
        """Trained model artifacts."""
        return self.root / "models"

    @property
    def reports_dir(self) -> Path:
        """Evaluation reports, plots and benchmark output."""
        return self.root / "reports"

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking URI, resolved (SQLite under the root by default)."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.root / 'mlflow.db').resolve()}"

    @property
    def tracking(self) -> str | None:
        """The tracking URI when runs are tracked, else None."""
        return self.tracking_uri if self.track else None

    @property
    def candidate_dir(self) -> Path:
        """The release candidate written by `fraud train`."""
        return self.models_dir / "candidate"

    @property
    def evaluation_dir(self) -> Path:
        """evaluation.json, metrics.json, the KPI curve and the plots of `fraud evaluate`."""
        return self.reports_dir / "evaluation"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once; `get_settings.cache_clear()` in tests)."""
    return Settings()
