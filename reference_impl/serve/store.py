"""The model slot the service scores with, and its atomic hot swap.

Readers take `store.current` once per batch (one attribute read, atomic under the GIL), so a
request is scored by exactly one model and in-flight work finishes on the model it started with.
A swap loads and verifies the new bundle *off* the event loop, then replaces the reference.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from reference_impl.serve.bundle import BundleError, resolve_version

B = TypeVar("B")


class ModelStore(Generic[B]):
    """Holds the serving bundle; `swap_to` replaces it only with a verified one.

    `loader` loads and verifies one version's folder (`bundle.load_bundle` for the fraud
    model, `lesion.load_lesion_bundle` for the lesion model).
    """

    def __init__(
        self, models_dir: Path, loader: Callable[[Path], B], *, cli: str = "fraud"
    ) -> None:
        self.models_dir = models_dir
        self.loader = loader
        self.cli = cli  # the command that registers these models, named in errors
        self._current: B | None = None
        self._lock = asyncio.Lock()
        self.swaps = 0
        self.last_error: str | None = None

    @property
    def current(self) -> B | None:
        return self._current

    def require(self) -> B:
        """The serving bundle; raises `BundleError` before the first successful load."""
        if self._current is None:
            raise BundleError(self.last_error or "no model loaded yet")
        return self._current

    def load_now(self, version: str) -> B:
        """Synchronous load for start-up; keeps the old bundle on failure."""
        try:
            bundle = self.loader(resolve_version(self.models_dir, version, cli=self.cli))
        except BundleError as exc:
            self.last_error = str(exc)
            raise
        self._current = bundle
        self.last_error = None
        return bundle

    async def swap_to(self, version: str) -> B:
        """Load `version` in a worker thread, verify, then swap; one swap at a time."""
        async with self._lock:
            bundle = await asyncio.to_thread(self.load_now, version)
            self.swaps += 1
            return bundle
