"""Dynamic micro-batching: concurrent single-transaction requests share one model call.

A model call costs much more than one row (scikit-learn validates input, a forest walks every
tree); while one call runs in the worker thread, new requests queue up and are scored together in
the next call. No request waits for a timer: an idle service scores a lone request at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from reference_impl.serve.bundle import ModelBundle

BatchDone = Callable[[ModelBundle, np.ndarray], None]


class MicroBatcher:
    """Queue rows, score them in batches of at most `max_batch` in one worker thread."""

    def __init__(
        self, get_bundle: Callable[[], ModelBundle], *, max_batch: int, on_batch: BatchDone
    ) -> None:
        self._get_bundle = get_bundle
        self._max_batch = max_batch
        self._on_batch = on_batch
        self._queue: asyncio.Queue[tuple[list[float], asyncio.Future[tuple[float, ModelBundle]]]]
        self._queue = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Finish what is queued, then stop (graceful shutdown)."""
        while not self._queue.empty():
            await asyncio.sleep(0.001)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def score(self, row: list[float]) -> tuple[float, ModelBundle]:
        """Score one feature row; returns the score and the bundle that produced it."""
        future: asyncio.Future[tuple[float, ModelBundle]] = (
            asyncio.get_running_loop().create_future()
        )
        await self._queue.put((row, future))
        return await future

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            while len(items) < self._max_batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                bundle = self._get_bundle()
                X = np.array([row for row, _ in items], dtype=np.float64)  # noqa: N806
                scores = await asyncio.to_thread(bundle.score, X)
                self._on_batch(bundle, scores)
            except Exception as exc:  # the waiting requests get the error, the loop survives
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), value in zip(items, scores.tolist(), strict=True):
                if not future.done():  # the client may have gone away
                    future.set_result((value, bundle))
