"""Module 6's claims about the serving benchmark hold in its committed figures.

Lessons 6.3 and 6.5 and the module-6 quiz read `course/_data/serving_small.json`
(`benchmarks/serving_load.py`, written by `make numbers-full`); this test fails when a rerun
gives figures that no longer say what the text says.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = json.loads((ROOT / "course" / "_data" / "serving_small.json").read_text())["figures"]


def test_micro_batching_beats_the_tutorial_app_under_concurrency() -> None:
    """6.3 (2): with 8 clients the reference service answers more req/s, with a lower p99."""
    ours, base = FIGURES["ours"]["single_c8"], FIGURES["baseline"]["single_c8"]
    assert ours["req_per_s"] > base["req_per_s"]
    assert ours["p99_ms"] < base["p99_ms"]


def test_cpu_per_request_is_lower_for_the_reference_service() -> None:
    """6.3 (4): 'times less' CPU per request means the ratio is above one."""
    cpu = FIGURES["cpu_us"]
    assert cpu["ours_c8"] < cpu["baseline_c8"]


def test_littles_law_agrees_with_the_measured_median() -> None:
    """6.3 (3) and the quiz: 8 / throughput is 'close to the measured p50' (within a factor 2)."""
    ours = FIGURES["ours"]["single_c8"]
    predicted_ms = 8 / ours["req_per_s"] * 1000
    assert 0.5 < predicted_ms / ours["p50_ms"] < 2.0


def test_bulk_routes_score_many_times_more_transactions() -> None:
    """6.3 (5): a batch request scores 'many times as many' transactions per second (> 10x)."""
    ours = FIGURES["ours"]
    assert ours["batch"]["tx_per_s"] > 10 * ours["single_c8"]["req_per_s"]
    assert ours["rows"]["tx_per_s"] > 10 * ours["single_c8"]["req_per_s"]


def test_swaps_under_load_lose_no_request() -> None:
    """6.3 (6), 6.5 and the quiz: the swaps succeeded and no request failed."""
    swap = FIGURES["swap"]
    assert swap["swaps_ok"] >= 20 and swap["swaps_failed"] == 0
    assert swap["failed"] == 0 and swap["requests"] > 0


def test_no_phase_lost_requests() -> None:
    """The table shows throughput and latency of phases in which every request succeeded."""
    for app in ("baseline", "ours"):
        for phase, figures in FIGURES[app].items():
            assert figures["failed"] == 0, (app, phase)
