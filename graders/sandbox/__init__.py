"""The sandbox that runs student code: isolating bubblewrap backend, unsandboxed local fallback.

See `graders/sandbox/INTERFACE.md` for the contract the engine codes against.
"""

from graders.sandbox import capability
from graders.sandbox.backend import Backend
from graders.sandbox.bubblewrap import BubblewrapBackend
from graders.sandbox.capability import probe, select_backend
from graders.sandbox.errors import BackendStatus, SandboxUnavailable
from graders.sandbox.limits import Limits
from graders.sandbox.local import LocalBackend
from graders.sandbox.process import SandboxedProcess
from graders.sandbox.uids import slot_uid

__all__ = [
    "Backend",
    "BackendStatus",
    "BubblewrapBackend",
    "Limits",
    "capability",
    "LocalBackend",
    "SandboxUnavailable",
    "SandboxedProcess",
    "probe",
    "select_backend",
    "slot_uid",
]
