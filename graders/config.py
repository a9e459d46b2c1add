"""Typed, lazy configuration of the grading engine (environment prefix ``MLOPS_GRADE_``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from graders import defaults as D
from graders.errors import GraderError


class GraderSettings(BaseSettings):
    """Defaults of the grading engine; each can be set by environment or CLI option."""

    model_config = SettingsConfigDict(env_prefix="MLOPS_GRADE_")

    cell_timeout_s: float = Field(
        D.CELL_TIMEOUT_S, description="Per-cell (and per-call) timeout in seconds."
    )
    wall_time_s: float = Field(
        D.WALL_TIME_S, description="Wall-time limit of one notebook's process."
    )
    memory_mb: int = Field(D.MEMORY_MB, description="Address-space limit of the student's process.")
    max_procs: int = Field(D.MAX_PROCS, description="Process limit of the student's uid.")
    max_file_mb: int = Field(
        D.MAX_FILE_MB, description="Largest file the student's code may write."
    )
    max_output_bytes: int = Field(D.MAX_OUTPUT_BYTES, description="Captured output kept per cell.")
    max_notebook_mb: float = Field(
        D.MAX_NOTEBOOK_MB, description="Larger submitted notebooks are refused."
    )
    max_copyback_files: int = Field(
        D.MAX_COPYBACK_FILES,
        description="Most files and folders of the executed work folder kept in autograded/"
        " (the graded notebooks first); the rest is left out, status error:copyback-limit.",
    )
    max_copyback_mb: int = Field(
        D.MAX_COPYBACK_MB,
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
        D.SCORER_MEMORY_MB,
        description="Memory the trusted process that runs test code may add to what the worker"
        " maps (it is a fork of the worker, confined and unprivileged).",
    )
    warm: bool = Field(
        True,
        description="Fork each notebook's process from a per-worker warm sandbox that has"
        " imported the lab's modules (isolating backends only); false: a new sandbox each time.",
    )
    # Where a run grades (not part of a task's configuration: `GradeConfig` leaves them out).
    scheduler: str | None = Field(
        None,
        description="tcp://HOST:PORT of a Dask scheduler: autograde on its workers instead of a"
        " local process pool (needs the 'cluster' extra).",
    )
    worker_course_dir: str | None = Field(
        None,
        description="Where the Dask workers see the course folder (a shared file system);"
        " default: the same path as the machine that runs autograde.",
    )
    stall_timeout_s: float = Field(
        D.STALL_TIMEOUT_S,
        gt=0,
        description="Seconds a cluster run waits while no Dask worker can take grading tasks"
        " (none connected, every one refusing or gone) before it stops with what is recorded.",
    )


@lru_cache
def get_settings() -> GraderSettings:
    """The settings from the environment; a bad value is a `GraderError` naming its variable."""
    try:
        return GraderSettings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MLOPS_GRADE_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        raise GraderError(
            f"{name}={first.get('input')!r}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
        ) from None


_RUN_ONLY = ("scheduler", "worker_course_dir", "stall_timeout_s")


@dataclass(frozen=True)
class GradeConfig:
    """Everything a grading task needs besides paths; plain values, so it pickles to any worker."""

    cell_timeout_s: float = D.CELL_TIMEOUT_S
    wall_time_s: float = D.WALL_TIME_S
    memory_mb: int = D.MEMORY_MB
    max_procs: int = D.MAX_PROCS
    max_file_mb: int = D.MAX_FILE_MB
    max_output_bytes: int = D.MAX_OUTPUT_BYTES
    max_notebook_mb: float = D.MAX_NOTEBOOK_MB
    max_copyback_files: int = D.MAX_COPYBACK_FILES
    max_copyback_mb: int = D.MAX_COPYBACK_MB
    shell: str = "auto"
    allow_unsandboxed: bool = False
    share_test_bindings: bool = True
    scorer_memory_mb: int = D.SCORER_MEMORY_MB
    warm: bool = True

    @classmethod
    def from_settings(cls, **overrides: Any) -> GradeConfig:
        s = get_settings()
        values = {k: getattr(s, k) for k in GraderSettings.model_fields if k not in _RUN_ONLY}
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
