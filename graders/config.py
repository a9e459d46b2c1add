"""Typed, lazy configuration of the grading engine (environment prefix ``MLOPS_GRADE_``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GraderSettings(BaseSettings):
    """Defaults of the grading engine; each can be set by environment or CLI option."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_GRADE_")

    cell_timeout_s: float = Field(30.0, description="Per-cell (and per-call) timeout in seconds.")
    wall_time_s: float = Field(600.0, description="Wall-time limit of one notebook's process.")
    memory_mb: int = Field(2048, description="Address-space limit of the student's process.")
    max_procs: int = Field(64, description="Process limit of the student's uid.")
    max_file_mb: int = Field(100, description="Largest file the student's code may write.")
    max_output_bytes: int = Field(1 << 20, description="Captured output kept per cell.")
    max_notebook_mb: float = Field(20.0, description="Larger submitted notebooks are refused.")
    max_copyback_files: int = Field(
        2000,
        description="Most files and folders of the executed work folder kept in autograded/"
        " (the graded notebooks first); the rest is left out, status error:copyback-limit.",
    )
    max_copyback_mb: int = Field(
        100,
        description="Most bytes (apparent size: a sparse file counts whole) of the executed work"
        " folder kept in autograded/; the rest is left out, status error:copyback-limit.",
    )
    shell: str = Field(
        "auto", description="'auto' (IPython only when a cell needs it) or 'ipython'."
    )
    share_test_bindings: bool = Field(
        True, description="Bind names set by public test code in the student's namespace."
    )
    scorer_memory_mb: int = Field(
        2048,
        description="Memory the trusted process that runs test code may add to what the worker"
        " maps (it is a fork of the worker, confined and unprivileged).",
    )
    warm: bool = Field(
        True,
        description="Fork each notebook's process from a per-worker warm sandbox that has"
        " imported the lab's modules (isolating backends only); false: a new sandbox each time.",
    )


@lru_cache
def get_settings() -> GraderSettings:
    return GraderSettings()  # type: ignore[call-arg]  # values come from the environment


@dataclass(frozen=True)
class GradeConfig:
    """Everything a grading task needs besides paths; plain values, so it pickles to any worker."""

    cell_timeout_s: float = 30.0
    wall_time_s: float = 600.0
    memory_mb: int = 2048
    max_procs: int = 64
    max_file_mb: int = 100
    max_output_bytes: int = 1 << 20
    max_notebook_mb: float = 20.0
    max_copyback_files: int = 2000
    max_copyback_mb: int = 100
    shell: str = "auto"
    allow_unsandboxed: bool = False
    share_test_bindings: bool = True
    scorer_memory_mb: int = 2048
    warm: bool = True

    @classmethod
    def from_settings(cls, **overrides: Any) -> GradeConfig:
        s = get_settings()
        values = {k: getattr(s, k) for k in GraderSettings.model_fields}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def scorer_limits(self) -> Any:
        from graders.scorer import ScorerLimits

        return ScorerLimits(
            memory_mb=self.scorer_memory_mb,
            cpu_s=max(1, int(self.wall_time_s)),
            wall_s=self.wall_time_s + 60,
        )

    def limits(self) -> Any:
        from graders.sandbox import Limits

        return Limits(
            cell_timeout_s=self.cell_timeout_s,
            wall_time_s=self.wall_time_s,
            memory_mb=self.memory_mb,
            max_procs=self.max_procs,
            max_file_mb=self.max_file_mb,
            max_output_bytes=self.max_output_bytes,
        )
