"""Traffic replay: simulated days with a scripted incident, scored by the model or the live API.

`simulate_incident` runs the simulator with an incident's drift from `start_day`; `replay` sends
chosen days to a scorer and returns the *scored log* the monitor reads (one row per
transaction: day, card, amount, the 15 features, score, and the label that arrives later).
Three scorers: in-process (fast, for tests), the API's batch route, and the API's online route
(raw transactions; the service computes features and receives labels after the delay).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from reference_impl import schemas as s
from reference_impl.errors import InvalidInputError, ServiceError
from reference_impl.features import build_features
from reference_impl.monitor.incidents import get_incident
from reference_impl.monitor.performance import DAY, SCORE
from reference_impl.monitor.timeline import DRILL
from reference_impl.simulate import config_for, simulate

LOG_COLUMNS = [s.TRANSACTION_ID, DAY, s.CUSTOMER_ID, s.TERMINAL_ID]  # + features (incl. amount)


class Scorer(Protocol):
    def __call__(self, day: pd.DataFrame) -> np.ndarray: ...


def simulate_incident(
    incident: str, *, preset: str = "small", seed: int = 0, n_days: int = 84, start_day: int = 56
) -> pd.DataFrame:
    """Transactions and their 15 features, with `incident`'s drift from `start_day`."""
    drift = {"start_day": start_day, **get_incident(incident).drift}
    sim = simulate(config_for(preset, seed=seed, n_days=n_days, drift=drift))
    return build_features(sim.transactions)


def local_scorer(model: Any) -> Scorer:
    """Score with an in-process model (as the service would, without HTTP)."""

    named = hasattr(model, "feature_names_in_")  # give it what it was fitted on

    def score(day: pd.DataFrame) -> np.ndarray:
        X = day[list(s.FEATURE_COLUMNS)]  # noqa: N806
        return np.asarray(model.predict_proba(X if named else X.to_numpy(np.float64)))[:, 1]

    return score


def api_batch_scorer(
    client: Any, *, chunk: int = 2_000, on_scored: Callable[[int], None] | None = None
) -> Scorer:
    """Score through POST /v1/score/batch of a running service (`client`: an httpx.Client).

    `on_scored(n)` is called after each request with the number of transactions it scored.
    """

    def score(day: pd.DataFrame) -> np.ndarray:
        rows = day[list(s.FEATURE_COLUMNS)].to_dict("records")
        out: list[float] = []
        for i in range(0, len(rows), chunk):
            response = client.post("/v1/score/batch", json={"transactions": rows[i : i + chunk]})
            response.raise_for_status()
            out.extend(response.json()["scores"])
            if on_scored is not None:
                on_scored(len(rows[i : i + chunk]))
        return np.asarray(out)

    return score


def _in_lanes(keys: Sequence[int], concurrency: int, send: Callable[[int], None]) -> None:
    """Call `send(i)` for every index: in order within a lane (same key % concurrency), lanes
    at the same time on at most `concurrency` threads (loopback requests, bounded)."""
    if concurrency <= 1:
        for i in range(len(keys)):
            send(i)
        return
    from concurrent.futures import ThreadPoolExecutor

    lanes: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        lanes.setdefault(int(key) % concurrency, []).append(i)

    def run(indices: list[int]) -> None:
        for i in indices:
            send(i)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in pool.map(run, lanes.values()):  # re-raises the first request that failed
            pass


def _label_body(row: Any) -> dict[str, int]:
    return {s.TRANSACTION_ID: int(row[0]), s.TERMINAL_ID: int(row[1]), s.TX_FRAUD: int(row[2])}


def _raw_body(row: Any) -> dict[str, Any]:
    return {
        s.TRANSACTION_ID: int(row[0]),
        s.TX_DATETIME: row[1].isoformat(),
        s.CUSTOMER_ID: int(row[2]),
        s.TERMINAL_ID: int(row[3]),
        s.TX_AMOUNT: float(row[4]),
    }


def api_online_scorer(
    client: Any,
    *,
    delay_days: int = s.DEFAULT_DELAY_DAYS,
    concurrency: int = 1,
    batch: int = 1,
    on_scored: Callable[[int], None] | None = None,
) -> Scorer:
    """Send raw transactions to POST /v1/transactions/score; labels follow later.

    The labels of day d are posted to /v1/labels when day d + delay starts, as an investigation
    team would report them. `on_scored(k)` is called after each request that scored k.

    With `batch` > 1, up to that many transactions (and labels) go in one request, in time
    order, to the `/batch` routes, which score them exactly as one-by-one requests would: the
    same scores at a fraction of the HTTP cost. With `batch` 1, one request per transaction, as
    live payments arrive; `concurrency` > 1 then keeps that many in flight at once (the service
    micro-batches them), yet each card's transactions are still sent one after the other in
    time order (one lane per card modulo `concurrency`), and each terminal's labels likewise: a
    card's windows see the same history as in a sequential replay.
    """
    if batch > 1:
        return _api_online_batches(client, delay_days=delay_days, batch=batch, on_scored=on_scored)
    pending: dict[int, pd.DataFrame] = {}

    def score(day: pd.DataFrame) -> np.ndarray:
        today = int(day[DAY].iloc[0])
        for labelled in [d for d in pending if d <= today - delay_days]:
            labels = list(pending.pop(labelled).itertuples(index=False))

            def send_label(i: int, labels: list[Any] = labels) -> None:
                client.post("/v1/labels", json=_label_body(labels[i])).raise_for_status()

            _in_lanes([row[1] for row in labels], concurrency, send_label)
        pending[today] = day[[s.TRANSACTION_ID, s.TERMINAL_ID, s.TX_FRAUD]]
        rows = list(
            day[
                [s.TRANSACTION_ID, s.TX_DATETIME, s.CUSTOMER_ID, s.TERMINAL_ID, s.TX_AMOUNT]
            ].itertuples(index=False)
        )
        out = np.full(len(rows), np.nan)

        def send(i: int) -> None:
            response = client.post("/v1/transactions/score", json=_raw_body(rows[i]))
            response.raise_for_status()
            out[i] = response.json()["score"]
            if on_scored is not None:
                on_scored(1)

        _in_lanes([row[2] for row in rows], concurrency, send)
        return out

    return score


def _api_online_batches(
    client: Any, *, delay_days: int, batch: int, on_scored: Callable[[int], None] | None
) -> Scorer:
    """`api_online_scorer` with `batch` transactions (or labels) per request, in time order."""
    pending: dict[int, pd.DataFrame] = {}

    def score(day: pd.DataFrame) -> np.ndarray:
        today = int(day[DAY].iloc[0])
        for labelled in [d for d in pending if d <= today - delay_days]:
            labels = [_label_body(r) for r in pending.pop(labelled).itertuples(index=False)]
            for i in range(0, len(labels), batch):
                body = {"labels": labels[i : i + batch]}
                client.post("/v1/labels/batch", json=body).raise_for_status()
        pending[today] = day[[s.TRANSACTION_ID, s.TERMINAL_ID, s.TX_FRAUD]]
        columns = [s.TRANSACTION_ID, s.TX_DATETIME, s.CUSTOMER_ID, s.TERMINAL_ID, s.TX_AMOUNT]
        rows = [_raw_body(r) for r in day[columns].itertuples(index=False)]
        out: list[float] = []
        for i in range(0, len(rows), batch):
            chunk = rows[i : i + batch]
            response = client.post("/v1/transactions/score/batch", json={"transactions": chunk})
            response.raise_for_status()
            out.extend(response.json()["scores"])
            if on_scored is not None:
                on_scored(len(chunk))
        return np.asarray(out)

    return score


def replay(
    transactions: pd.DataFrame,
    scorer: Scorer,
    days: Sequence[int],
    *,
    on_day: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Score `days` in order, one day at a time; the scored log the monitor reads."""
    parts = []
    for day in days:
        today = transactions[transactions[DAY] == day]
        if today.empty:
            continue
        scored = today[[*LOG_COLUMNS, *s.FEATURE_COLUMNS, s.TX_FRAUD, s.TX_FRAUD_SCENARIO]].copy()
        scored[SCORE] = scorer(today)
        parts.append(scored)
        if on_day is not None:
            on_day(day)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def replay_to_api(
    incident: str,
    url: str,
    *,
    days: Sequence[int],
    mode: str = "batch",
    preset: str = "small",
    seed: int = 0,
    n_days: int = DRILL.n_days,
    start_day: int = DRILL.drift_start,
    concurrency: int = 1,
    batch: int = 1,
    on_day: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_scored: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Simulate `incident` and stream `days` to the service at `url`; the scored log.

    Online mode: `batch` transactions per request, or with `batch` 1 one request per
    transaction and `concurrency` of them in flight at once (see `api_online_scorer`).
    Progress: `on_total(n)` once the simulation knows how many transactions `days` hold, then
    `on_scored(k)` as each request's `k` transactions are scored, and `on_day(day)` per day.
    """
    import httpx

    if mode not in ("batch", "online"):
        raise InvalidInputError(f"unknown replay mode {mode!r} (batch or online)")
    frame = simulate_incident(
        incident, preset=preset, seed=seed, n_days=n_days, start_day=start_day
    )
    if on_total is not None:
        on_total(int(frame[DAY].isin(list(days)).sum()))
    with httpx.Client(base_url=url, timeout=60) as client:
        try:
            client.get("/health/ready").raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceError(f"service at {url} is not ready: {exc}") from None
        scorer = (
            api_batch_scorer(client, on_scored=on_scored)
            if mode == "batch"
            else api_online_scorer(
                client, concurrency=concurrency, batch=batch, on_scored=on_scored
            )
        )
        return replay(frame, scorer, days, on_day=on_day)
