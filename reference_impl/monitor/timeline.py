"""The incident drill's timeline (days): one definition for the drill, `fraud replay` and
`fraud monitor`. A leaf with no heavy import, so the CLI can read its defaults at start-up.

The small preset has its 28-day S2 ramp-up behind it by day 30: the champion is trained on days
30–41 and serves from day 42; the reference window is 42–69; the incident starts on day 70; the
current window is 77–104, whose labels are all known by day 111 (7-day delay), when the monitor
runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from reference_impl.schemas import DEFAULT_DELAY_DAYS

_CURRENT = (77, 104)


@dataclass(frozen=True)
class Timeline:
    """Days of the drill: training, reference window, drift start, current window, check day."""

    train: tuple[int, int] = (30, 41)
    reference: tuple[int, int] = (42, 69)
    drift_start: int = 70
    current: tuple[int, int] = _CURRENT
    today: int = _CURRENT[1] + DEFAULT_DELAY_DAYS  # every label of the current window is known

    @property
    def n_days(self) -> int:
        """Days to simulate: up to the current window's last day."""
        return self.current[1] + 1

    @property
    def history_end(self) -> int:
        """Last day of history the online service needs before the replay starts."""
        return self.reference[0] - 1


DRILL = Timeline()
