"""Simulator configuration: typed, validated, frozen; defaults reproduce the handbook's run.

Nested blocks follow reference spec §4.1: ``fraud`` (the three handbook scenarios),
``seasonality`` (calendar effects) and ``drift`` (knobs switched on from ``drift.start_day``,
including card testing, scenario 4). `config_for` builds a size preset with overrides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reference_impl.errors import InvalidInputError
from reference_impl.schemas import DEFAULT_DELAY_DAYS

GRID = 100.0  # side of the square world customers and terminals live in


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FraudConfig(_Frozen):
    """The three handbook fraud scenarios."""

    s1_amount_threshold: float = Field(
        default=220.0, gt=0, description="S1: amount above it is fraud."
    )
    s2_terminal_rate: float = Field(default=2e-4, ge=0, description="S2: compromises/terminal/day.")
    s2_duration_days: int = Field(
        default=28, ge=1, description="S2: days a terminal stays compromised."
    )
    s3_customer_rate: float = Field(default=6e-4, ge=0, description="S3: compromises/customer/day.")
    s3_duration_days: int = Field(
        default=14, ge=1, description="S3: days a card stays compromised."
    )
    s3_share: float = Field(
        default=1 / 3, ge=0, le=1, description="S3: share of card's tx defrauded."
    )
    s3_amount_mult: float = Field(
        default=5.0, gt=0, description="S3: amount multiplier of a fraud."
    )
    intensity: float = Field(default=1.0, ge=0, description="Multiplies the S2 and S3 rates.")


class SeasonalityConfig(_Frozen):
    """Calendar effects (not in the handbook) so week-to-week drift is not trivially zero."""

    weekend_volume_mult: float = Field(
        default=1.0, gt=0, description="Transaction volume on weekends."
    )
    month_amount_mult: dict[int, float] = Field(
        default_factory=dict, description="Amount multiplier per calendar month, e.g. {12: 1.3}."
    )


class CardTestingConfig(_Frozen):
    """S4: stolen cards tested with bursts of small night payments at random terminals."""

    cards_per_day: int = Field(default=0, ge=0, description="Cards tested per day (0 = off).")
    burst: tuple[int, int] = Field(
        default=(5, 15), description="Payments per burst, inclusive range."
    )
    amount: tuple[float, float] = Field(
        default=(1.0, 10.0), description="Amount range of a payment."
    )
    hours: tuple[int, int] = Field(
        default=(0, 5), description="Hour range [start, end) of a burst."
    )


class DriftConfig(_Frozen):
    """Changes switched on from ``start_day`` (day 0 if unset); neutral values = no drift."""

    start_day: int | None = Field(default=None, ge=0, description="First day the drift applies.")
    amount_scale: float = Field(default=1.0, gt=0, description="Legitimate spending inflation.")
    scale_s1_threshold: bool = Field(
        default=True, description="Scale the S1 threshold with amounts."
    )
    freq_scale: float = Field(default=1.0, gt=0, description="Transaction volume growth.")
    s2_duration_days: int | None = Field(
        default=None, ge=1, description="e.g. 7: short compromises."
    )
    s2_terminal_rate: float | None = Field(default=None, ge=0, description="e.g. 8e-4.")
    s3_amount_mult: float | None = Field(default=None, gt=0, description="e.g. 2.0: stealthier S3.")
    card_testing: CardTestingConfig = Field(default_factory=CardTestingConfig)
    label_delay_days: int = Field(
        default=DEFAULT_DELAY_DAYS, ge=1, description="Days before labels are known."
    )

    @property
    def first_day(self) -> int:
        """Day from which the drift knobs apply."""
        return self.start_day or 0


class SimulatorConfig(_Frozen):
    """Simulator parameters; the defaults reproduce the handbook's reference run."""

    seed: int = Field(default=0, ge=0, description="Seed of every random stream.")
    n_customers: int = Field(default=5000, ge=1)
    n_terminals: int = Field(default=10_000, ge=1)
    n_days: int = Field(default=183, ge=1)
    start_date: dt.date = dt.date(2018, 4, 1)
    radius: float | None = Field(default=5.0, gt=0, description="Customer reach; None = auto.")
    target_terminals_per_customer: float = Field(default=75.0, gt=0, description="For radius=None.")
    mean_amount: tuple[float, float] = Field(
        default=(5.0, 100.0), description="U range per customer."
    )
    tx_per_day: tuple[float, float] = Field(default=(0.0, 4.0), description="U range per customer.")
    time_of_day_mean: float = 43_200.0
    time_of_day_std: float = 20_000.0
    fraud: FraudConfig = Field(default_factory=FraudConfig)
    seasonality: SeasonalityConfig = Field(default_factory=SeasonalityConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)

    @model_validator(mode="after")
    def _ranges(self) -> SimulatorConfig:
        lo, hi = self.drift.card_testing.burst
        h0, h1 = self.drift.card_testing.hours
        if not (1 <= lo <= hi and 0 <= h0 < h1 <= 24):
            raise ValueError("card_testing needs 1 <= burst[0] <= burst[1] and 0 <= h0 < h1 <= 24")
        return self

    @property
    def effective_radius(self) -> float:
        """Radius used: explicit, or chosen so a customer reaches ~target terminals on average."""
        if self.radius is not None:
            return self.radius
        return _radius_for(self.target_terminals_per_customer, self.n_terminals)


def _radius_for(target: float, n_terminals: int) -> float:
    """Radius whose disk holds `target` terminals on average, edge effects included.

    Mean area of a disk of radius r (centre uniform in a square of side L) inside the square:
    pi r^2 - 8 r^3 / (3 L) + r^4 / (2 L^2); solved for r by bisection.
    """
    lo, hi = 0.0, GRID / 2
    for _ in range(60):
        r = (lo + hi) / 2
        area = np.pi * r**2 - 8 * r**3 / (3 * GRID) + r**4 / (2 * GRID**2)
        lo, hi = (r, hi) if area * n_terminals / GRID**2 < target else (lo, r)
    return (lo + hi) / 2


PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"n_customers": 500, "n_terminals": 1000, "n_days": 60, "radius": None},
    "small": {"n_customers": 2000, "n_terminals": 4000, "n_days": 120, "radius": None},
    "full": {"n_customers": 5000, "n_terminals": 10_000, "n_days": 183, "radius": 5.0},
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def config_for(preset: str, **overrides: Any) -> SimulatorConfig:
    """Config of a size preset, with overrides (nested blocks as dicts, e.g. ``drift={...}``).

    Raises:
        ValueError: unknown preset or invalid override.
    """
    if preset not in PRESETS:
        raise InvalidInputError(f"unknown preset {preset!r} (choose one of {', '.join(PRESETS)})")
    try:
        return SimulatorConfig.model_validate(_merge(PRESETS[preset], overrides))
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInputError(f"invalid simulator settings: {errors}") from None
