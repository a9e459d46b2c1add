"""Send the windows' rows to the service, one row per request, as a client would; record every
answer's status and latency. Bounded: a per-request timeout and a deadline for the whole replay
(rows not sent by then count as failed), so a stalled service costs points, not the cohort's time.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from cohort.drill.traffic import Window


@dataclass(frozen=True)
class Answer:
    """One request: its window and row, the HTTP status (0: no answer), latency, the score."""

    window: int
    row: int
    bad: bool
    status: int
    latency_s: float
    score: float | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.score is not None


def _send(
    client: httpx.Client, url: str, k: int, i: int, row: dict[str, float], bad: bool, end: float
) -> Answer:
    if time.monotonic() > end:
        return Answer(k, i, bad, 0, 0.0, None, "not sent: the drill's deadline passed")
    start = time.perf_counter()
    try:
        response = client.post(url, json={"rows": [row]})
    except httpx.HTTPError as exc:
        return Answer(k, i, bad, 0, time.perf_counter() - start, None, type(exc).__name__)
    latency = time.perf_counter() - start
    score = None
    if response.status_code == 200:
        try:
            score = float(response.json()["predictions"][0])
        except (ValueError, KeyError, IndexError, TypeError):
            return Answer(k, i, bad, response.status_code, latency, None, "unreadable answer")
    return Answer(k, i, bad, response.status_code, latency, score)


def replay(
    windows: list[Window],
    *,
    url: str,
    predict_path: str = "/predict",
    timeout_s: float = 5.0,
    deadline_s: float = 120.0,
) -> list[Answer]:
    """Every row of every window, in order; a window's rows go `window.concurrency` at a time."""
    end = time.monotonic() + deadline_s
    answers: list[Answer] = []
    target = url + predict_path
    with httpx.Client(timeout=timeout_s) as client:
        for k, window in enumerate(windows):
            jobs = list(enumerate(zip(window.rows, window.bad, strict=True)))
            with ThreadPoolExecutor(max_workers=window.concurrency) as pool:
                answers += pool.map(
                    lambda job, k=k: _send(client, target, k, job[0], job[1][0], job[1][1], end),
                    jobs,
                )
    return answers
