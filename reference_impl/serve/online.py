"""The online path: raw transaction → features from the rolling feature state → model row.

The state comes from `reference_impl.online.OnlineFeatureState` (the same code as the batch
features, so training and serving cannot drift apart), warmed from recent raw partitions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reference_impl import schemas as s
from reference_impl.serve.logs import get_logger
from reference_impl.serve.settings import ServeSettings


class ClockError(ValueError):
    """A transaction time the state must not accept (it would wipe or skew the windows)."""


class OnlineScorer:
    """Turns raw transactions into feature rows and keeps the state current.

    The state's clock is the latest transaction time seen. A time more than `max_jump` ahead
    of it is refused: the state prunes everything older than "now − 37 days", so one request
    dated 2099 would silently wipe every customer's history. A time more than `max_jump`
    behind is refused too (its windows were already pruned).
    """

    def __init__(self, state: Any, *, latest: datetime | None, max_jump: timedelta) -> None:
        self.state = state
        self.latest = latest
        self.max_jump = max_jump

    def _check_clock(self, when: datetime, latest: datetime | None) -> None:
        if latest is None:
            return
        if when > latest + self.max_jump:
            raise ClockError(f"more than {self.max_jump.days} days after the latest transaction")
        if when < latest - self.max_jump:
            raise ClockError(f"more than {self.max_jump.days} days before the latest transaction")

    def features(self, tx: dict[str, Any]) -> list[float]:
        """Feature row of `tx` (in `FEATURE_COLUMNS` order), then record `tx` in the state."""
        when = tx[s.TX_DATETIME]
        self._check_clock(when, self.latest)
        values = self.state.features_for(tx)
        self.state.update(tx)
        self.latest = when if self.latest is None else max(self.latest, when)
        return [float(values[name]) for name in s.FEATURE_COLUMNS]

    def features_many(self, txs: list[dict[str, Any]]) -> list[list[float]]:
        """Feature rows of `txs` in order, each seeing the ones before it (as if sent one by
        one). All or nothing: a time the clock refuses raises before any is recorded."""
        latest = self.latest
        for i, tx in enumerate(txs):
            when = tx[s.TX_DATETIME]
            try:
                self._check_clock(when, latest)
            except ClockError as exc:
                raise ClockError(f"transactions[{i}]: {exc}") from None
            latest = when if latest is None else max(latest, when)
        return [self.features(tx) for tx in txs]

    def set_label(self, terminal_id: int, transaction_id: int, label: int) -> bool:
        """A label that arrived after investigation feeds the terminal-risk windows."""
        return bool(self.state.set_label(terminal_id, transaction_id, label))


def load_online_state(settings: ServeSettings) -> OnlineScorer:
    """State warmed from `settings.history_dir` (or empty when none is configured)."""
    from reference_impl.data import load_transactions
    from reference_impl.online import OnlineFeatureState

    logger = get_logger()

    state = OnlineFeatureState(delay_days=settings.label_delay_days)
    latest = None
    if settings.history_dir is not None:
        history = load_transactions(settings.history_dir, end=settings.history_end)
        # Keeps only what a window can still reach (label delay + longest window).
        state = OnlineFeatureState.from_history(history, delay_days=settings.label_delay_days)
        if len(history):  # an empty history leaves the clock unset: the first request sets it
            latest = history[s.TX_DATETIME].max().to_pydatetime()
    logger.info("online state warmed", extra={"transactions": len(state)})
    return OnlineScorer(state, latest=latest, max_jump=timedelta(days=settings.max_clock_jump_days))
