"""Replaying traffic through the live API, and the reports the monitor writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from reference_impl import schemas as s
from reference_impl.monitor.job import run_monitor
from reference_impl.monitor.performance import SCORE
from reference_impl.monitor.replay import local_scorer, replay, replay_to_api, simulate_incident
from reference_impl.monitor.report import write_reports
from reference_impl.serve.app import create_app
from reference_impl.serve.server import running
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import train_demo_model, write_bundle

TINY = {"preset": "tiny", "n_days": 60, "start_day": 40}


@pytest.fixture(scope="module")
def model() -> Any:
    return train_demo_model(n=1000)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory, model: Any) -> Iterator[str]:
    models = tmp_path_factory.mktemp("registry")
    write_bundle(models, "v1", model)
    with running(create_app(ServeSettings(models_dir=models, log_requests=False))) as url:
        yield url


def test_api_replay_matches_in_process_scores(live_url: str, model: Any) -> None:
    """Does a day replayed through the API get the scores the model gives in-process?"""
    log = replay_to_api("card_testing", live_url, days=[44, 45], **TINY)
    assert set(log[s.TX_TIME_DAYS]) == {44, 45}
    assert (log[s.TX_FRAUD_SCENARIO] == 4).any()  # the incident is in the traffic
    expected = model.predict_proba(log[list(s.FEATURE_COLUMNS)].to_numpy())[:, 1]
    np.testing.assert_allclose(log[SCORE], expected, atol=1e-9)


def test_api_replay_reports_progress_in_transactions(live_url: str) -> None:
    """Does the replay announce its total, then count every scored transaction up to it?"""
    totals: list[int] = []
    scored: list[int] = []
    log = replay_to_api(
        "none", live_url, days=[44, 45], on_total=totals.append, on_scored=scored.append, **TINY
    )
    assert totals == [len(log)] and sum(scored) == len(log) > 0


def test_replay_help_says_how_long_and_how_to_run_a_short_replay() -> None:
    """Does `fraud replay --help` give the full online time and a short run's options?"""
    from typer.testing import CliRunner

    from reference_impl.cli import app

    text = " ".join(
        CliRunner().invoke(app, ["replay", "--help"], env={"COLUMNS": "200"}).output.split()
    )
    assert "the whole drill (243,277 transactions and their labels) in" in text
    assert "--batch 1 sends one request per transaction" in text and "--concurrency 1" in text
    assert "--first-day 42 --last-day 44" in text
    assert "progress bar" in text


def test_lanes_keep_each_keys_order_and_bound_the_requests_in_flight() -> None:
    """Concurrent sending: every index once, a key's indices in order, at most N at once?"""
    import threading
    import time

    from reference_impl.monitor.replay import _in_lanes

    keys = [i % 5 for i in range(60)]
    sent: list[int] = []
    in_flight, peak = 0, 0
    lock = threading.Lock()

    def send(i: int) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.002)
        with lock:
            in_flight -= 1
            sent.append(i)

    _in_lanes(keys, 3, send)
    assert sorted(sent) == list(range(60)) and 1 < peak <= 3
    for key in range(5):
        mine = [i for i in sent if keys[i] == key]
        assert mine == sorted(mine)


@pytest.mark.slow
def test_concurrent_and_batched_online_replays_score_as_a_sequential_one(
    tmp_path: Path, model: Any
) -> None:
    """Fresh services: do --concurrency 8 and --batch 500 give each transaction the score a
    one-by-one replay gives it?"""
    write_bundle(tmp_path, "v1", model)
    scores = []
    for concurrency, batch in ((1, 1), (8, 1), (1, 500)):
        app = create_app(ServeSettings(models_dir=tmp_path, log_requests=False))
        with running(app) as url:
            log = replay_to_api(
                "none",
                url,
                days=[41, 42],
                mode="online",
                concurrency=concurrency,
                batch=batch,
                **TINY,
            )
        scores.append(log[SCORE].to_numpy())
    assert len(scores[0]) == len(scores[1]) == len(scores[2]) > 100
    np.testing.assert_allclose(scores[1], scores[0], atol=1e-9)  # same features, same scores
    np.testing.assert_allclose(scores[2], scores[0], atol=1e-9)


def test_a_batched_online_replay_sends_each_days_labels_before_the_day_after_the_delay() -> None:
    """Batches of at most N, labels of day d in order before day d + delay's transactions?"""
    from reference_impl.monitor.replay import api_online_scorer

    class Client:
        def __init__(self) -> None:
            self.posts: list[tuple[str, list[dict[str, Any]]]] = []

        def post(self, path: str, json: dict[str, Any]) -> Any:
            items = json.get("transactions") or json["labels"]
            self.posts.append((path, items))
            scores = {"scores": [0.5] * len(items)}
            return type("R", (), {"raise_for_status": lambda _: None, "json": lambda _: scores})()

    frame = simulate_incident("none", preset="tiny", n_days=44, start_day=40)
    client = Client()
    score = api_online_scorer(client, delay_days=2, batch=7)
    for day in (40, 41, 42, 43):
        score(frame[frame[s.TX_TIME_DAYS] == day])
    assert all(len(items) <= 7 for _, items in client.posts)
    labels = [item for path, items in client.posts if path == "/v1/labels/batch" for item in items]
    sent = [item[s.TRANSACTION_ID] for item in labels]
    due = frame[frame[s.TX_TIME_DAYS].isin([40, 41])]  # days 40-41 are due on days 42-43
    assert sent == due[s.TRANSACTION_ID].tolist()
    assert [item[s.TX_FRAUD] for item in labels] == due[s.TX_FRAUD].tolist()
    paths = [path for path, _ in client.posts]
    first_day_42 = int(frame[frame[s.TX_TIME_DAYS] == 42][s.TRANSACTION_ID].iloc[0])
    day_42 = next(
        i for i, (path, items) in enumerate(client.posts)
        if path.startswith("/v1/transactions") and items[0][s.TRANSACTION_ID] == first_day_42
    )  # fmt: skip
    assert "/v1/labels/batch" in paths[:day_42]  # day 40's labels came first


def test_replay_to_a_dead_service_is_one_clear_error() -> None:
    """Is an unreachable service reported in one line instead of a traceback?"""
    with pytest.raises(ValueError, match="is not ready"):
        replay_to_api("none", "http://127.0.0.1:9", days=[44], **TINY)


@pytest.mark.slow
def test_online_replay_scores_raw_transactions(live_url: str) -> None:
    """Does the online mode (raw transactions, delayed labels) score every transaction?"""
    log = replay_to_api("none", live_url, days=[41], mode="online", **TINY)
    assert len(log) > 100 and log[SCORE].between(0, 1).all()


@pytest.mark.slow
def test_reports_are_written(tmp_path: Path, model: Any) -> None:
    """Are a JSON report and an HTML page with both plots written, naming the decision?"""
    frame: pd.DataFrame = simulate_incident("volume_growth", **TINY)
    log = replay(frame, local_scorer(model), range(30, 53))
    result = run_monitor(log, reference_days=(30, 36), current_days=(44, 50), today=58)
    json_path, html_path = write_reports(result, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["decision"]["action"] == result.decision.action.value == "investigate"
    assert {d["column"] for d in data["drift"]} >= set(s.FEATURE_COLUMNS) | {SCORE}
    page = html_path.read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert "investigate" in page and not list(tmp_path.glob(".*"))


def test_cli_and_replay_defaults_follow_the_drill_timeline() -> None:
    """Do `fraud replay` / `fraud monitor` default to the windows the monitor was validated on?"""
    import inspect

    from reference_impl.cli import operate
    from reference_impl.monitor.drill import Timeline
    from reference_impl.monitor.replay import replay_to_api

    t = Timeline()
    replay = inspect.signature(replay_to_api).parameters
    assert (replay["n_days"].default, replay["start_day"].default) == (t.n_days, t.drift_start)
    sent = inspect.signature(operate.replay).parameters
    assert (sent["first_day"].default, sent["last_day"].default) == (t.reference[0], t.current[1])
    monitor = inspect.signature(operate.monitor).parameters
    assert monitor["reference"].default == t.reference
    assert monitor["current"].default == t.current
