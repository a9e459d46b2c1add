"""The contract every sandbox backend meets (the engine codes against this, not a class).

`graders/sandbox/INTERFACE.md` says it in words; this says it to the type checker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from graders.sandbox.limits import Limits
    from graders.sandbox.process import SandboxedProcess


@runtime_checkable
class Backend(Protocol):
    """Starts a process in a sandbox.

    Attributes:
        name: Recorded with every graded submission (``bubblewrap``, ``local``).
        isolating: Whether the process is walled off (network, other files, other students).
    """

    name: str
    isolating: bool

    def spawn(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        limits: Limits | None = None,
        env: Mapping[str, str] | None = None,
        slot: int = 0,
        ro_paths: Sequence[Path] = (),
    ) -> SandboxedProcess:
        """Start ``argv`` in ``workdir`` (the only writable directory) within ``limits``."""
        ...
