"""Errors and status values of the sandbox."""

from __future__ import annotations

from dataclasses import dataclass


class SandboxUnavailable(RuntimeError):
    """No backend that may run the code is usable here; the message says why in one line."""


@dataclass(frozen=True)
class BackendStatus:
    """Whether a backend works on this machine, and why not (for `mlops-grade doctor`)."""

    name: str
    usable: bool
    reason: str
    isolating: bool = False
