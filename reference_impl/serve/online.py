"""The online path: raw transaction → features from the rolling feature state → model row.

The state comes from `reference_impl.online.OnlineFeatureState` (the same code as the batch
features, so training and serving cannot drift apart), warmed from recent raw partitions.
"""

from __future__ import annotations

from typing import Any

from reference_impl import schemas as s
from reference_impl.serve.logs import get_logger
from reference_impl.serve.settings import ServeSettings


class OnlineScorer:
    """Turns raw transactions into feature rows and keeps the state current."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def features(self, tx: dict[str, Any]) -> list[float]:
        """Feature row of `tx` (in `FEATURE_COLUMNS` order), then record `tx` in the state."""
        values = self.state.features_for(tx)
        self.state.update(tx)
        return [float(values[name]) for name in s.FEATURE_COLUMNS]

    def set_label(self, terminal_id: int, transaction_id: int, label: int) -> bool:
        """A label that arrived after investigation feeds the terminal-risk windows."""
        return bool(self.state.set_label(terminal_id, transaction_id, label))


def load_online_state(settings: ServeSettings) -> OnlineScorer:
    """State warmed from `settings.history_dir` (or empty when none is configured)."""
    from reference_impl.data import load_transactions
    from reference_impl.online import OnlineFeatureState

    logger = get_logger()

    state = OnlineFeatureState(delay_days=settings.label_delay_days)
    if settings.history_dir is not None:
        history = load_transactions(settings.history_dir)
        if len(history):
            # Keeps only what a window can still reach (label delay + longest window).
            state = OnlineFeatureState.from_history(history, delay_days=settings.label_delay_days)
    logger.info("online state warmed", extra={"transactions": len(state)})
    return OnlineScorer(state)
