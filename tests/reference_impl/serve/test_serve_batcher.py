"""The micro-batcher: concurrent requests share model calls; a failing call fails only its rows."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reference_impl.serve.batcher import MicroBatcher
from reference_impl.serve.bundle import ModelBundle


class CountingModel:
    """Scores = first feature / 100; records the size of every call."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.fail = False

    def predict_proba(self, X: Any) -> np.ndarray:  # noqa: N803
        if self.fail:
            raise RuntimeError("model exploded")
        self.calls.append(len(X))
        p = np.asarray(X)[:, 0] / 100
        return np.column_stack([1 - p, p])


def _bundle(model: CountingModel) -> ModelBundle:
    return ModelBundle("t", Path("."), model, ("a",), "0" * 64, {})


def test_concurrent_requests_share_model_calls() -> None:
    """Do 50 concurrent requests get their own score from fewer than 50 model calls?"""
    model = CountingModel()

    async def scenario() -> list[float]:
        batcher = MicroBatcher(lambda: _bundle(model), max_batch=16, on_batch=lambda b, s: None)
        batcher.start()
        results = await asyncio.gather(*(batcher.score([float(i)]) for i in range(50)))
        await batcher.stop()
        return [score for score, _ in results]

    scores = asyncio.run(scenario())
    assert scores == pytest.approx([i / 100 for i in range(50)])
    assert sum(model.calls) == 50 and len(model.calls) < 50 and max(model.calls) <= 16


def test_failed_call_fails_its_rows_and_the_batcher_survives() -> None:
    """After a model error, do later requests still get scored?"""
    model = CountingModel()

    async def scenario() -> tuple[BaseException | None, float]:
        batcher = MicroBatcher(lambda: _bundle(model), max_batch=8, on_batch=lambda b, s: None)
        batcher.start()
        model.fail = True
        try:
            await batcher.score([1.0])
            error = None
        except RuntimeError as exc:
            error = exc
        model.fail = False
        score, _ = await batcher.score([42.0])
        await batcher.stop()
        return error, score

    error, score = asyncio.run(scenario())
    assert isinstance(error, RuntimeError) and score == pytest.approx(0.42)


def test_stop_answers_everything_already_queued() -> None:
    """Graceful shutdown: are requests queued before stop() still scored?"""
    model = CountingModel()

    async def scenario() -> list[float]:
        batcher = MicroBatcher(lambda: _bundle(model), max_batch=4, on_batch=lambda b, s: None)
        batcher.start()
        pending = [asyncio.ensure_future(batcher.score([float(i)])) for i in range(10)]
        await asyncio.sleep(0)  # let them enqueue
        await batcher.stop()
        return [(await p)[0] for p in pending]

    assert asyncio.run(scenario()) == pytest.approx([i / 100 for i in range(10)])
