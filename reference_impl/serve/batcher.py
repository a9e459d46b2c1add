"""Dynamic micro-batching: concurrent single-transaction requests share one model call.

A model call costs much more than one row (scikit-learn validates input, a forest walks every
tree); while one call runs in the worker thread, new requests queue up and are scored together in
the next call. No request waits for a timer: an idle service scores a lone request at once.
A row the model cannot score (`guard.NonFiniteError`) fails its own request only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from reference_impl.serve.bundle import ModelBundle
from reference_impl.serve.guard import NonFiniteError

BatchDone = Callable[[ModelBundle, np.ndarray], None]
_Item = tuple[list[float], "asyncio.Future[tuple[float, ModelBundle]]"]


class MicroBatcher:
    """Queue rows, score them in batches of at most `max_batch` in one worker thread."""

    def __init__(
        self, get_bundle: Callable[[], ModelBundle], *, max_batch: int, on_batch: BatchDone
    ) -> None:
        self._get_bundle = get_bundle
        self._max_batch = max_batch
        self._on_batch = on_batch
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()  # None = stop
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Score everything queued so far (the batch in flight too), then stop."""
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None

    async def score(self, row: list[float]) -> tuple[float, ModelBundle]:
        """Score one feature row; returns the score and the bundle that produced it."""
        future: asyncio.Future[tuple[float, ModelBundle]] = (
            asyncio.get_running_loop().create_future()
        )
        await self._queue.put((row, future))
        return await future

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            items = [first]
            while len(items) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                items.append(item)
            await self._score(items)

    async def _score(self, items: list[_Item]) -> None:
        try:
            bundle = self._get_bundle()
            X = np.array([row for row, _ in items], dtype=np.float64)  # noqa: N806
            scores, problems = await asyncio.to_thread(bundle.score_rows, X)
            self._on_batch(bundle, np.delete(scores, list(problems)) if problems else scores)
        except Exception as exc:  # the waiting requests get the error, the loop survives
            for _, future in items:
                if not future.done():
                    future.set_exception(exc)
            return
        for i, ((_, future), value) in enumerate(zip(items, scores.tolist(), strict=True)):
            if future.done():  # the client may have gone away
                continue
            if i in problems:  # only this request fails: a row is never scored with the others'
                future.set_exception(NonFiniteError([replace(problems[i], row=0)]))
            else:
                future.set_result((value, bundle))
