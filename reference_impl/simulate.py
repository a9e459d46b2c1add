"""Handbook-style transaction simulator: customers, terminals, transactions and fraud scenarios.

Vectorised numpy and deterministic for a seed. Random draws are made day by day (day-major order)
from separate streams per component, so a drift switched on at ``drift.start_day`` leaves every
earlier day byte-identical to the run without drift.

Scenarios (handbook §1.1 plus a drift scenario): S1 amount above a threshold; S2 compromised
terminals (all their transactions for ``s2_duration_days``); S3 compromised cards (a share of their
transactions multiplied for ``s3_duration_days``); S4 card testing (night bursts of small payments).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from reference_impl import schemas as s
from reference_impl.data import dataset_hash, load_transactions, write_raw

__all__ = [
    "PRESETS",
    "Simulation",
    "SimulatorConfig",
    "config_for",
    "dataset_hash",
    "load_transactions",
    "simulate",
    "write_raw",
]

DAY = 86_400
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
    label_delay_days: int = Field(default=7, ge=1, description="Days before labels are known.")

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
        raise ValueError(f"unknown preset {preset!r} (choose one of {', '.join(PRESETS)})")
    return SimulatorConfig.model_validate(_merge(PRESETS[preset], overrides))


@dataclass(frozen=True)
class Simulation:
    """Result of a run: the labelled transactions and the two profile tables."""

    config: SimulatorConfig
    transactions: pd.DataFrame
    customers: pd.DataFrame
    terminals: pd.DataFrame


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _profiles(cfg: SimulatorConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng_c, rng_t = _rng(cfg.seed, 0, 0), _rng(cfg.seed, 0, 1)
    n_c, n_t = cfg.n_customers, cfg.n_terminals
    cx, cy = rng_c.uniform(0, GRID, n_c), rng_c.uniform(0, GRID, n_c)
    mean_amount = rng_c.uniform(*cfg.mean_amount, n_c)
    tx_per_day = rng_c.uniform(*cfg.tx_per_day, n_c)
    customers = pd.DataFrame(
        {
            s.CUSTOMER_ID: np.arange(n_c, dtype=np.int64),
            "x_customer_id": cx,
            "y_customer_id": cy,
            "mean_amount": mean_amount,
            "std_amount": mean_amount / 2,
            "mean_nb_tx_per_day": tx_per_day,
        }
    )
    terminals = pd.DataFrame(
        {
            s.TERMINAL_ID: np.arange(n_t, dtype=np.int64),
            "x_terminal_id": rng_t.uniform(0, GRID, n_t),
            "y_terminal_id": rng_t.uniform(0, GRID, n_t),
        }
    )
    return customers, terminals


def _reachable(
    customers: pd.DataFrame, terminals: pd.DataFrame, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Terminals within `radius` of each customer as CSR: (offsets, counts, flat indices)."""
    cx = customers["x_customer_id"].to_numpy()
    cy = customers["y_customer_id"].to_numpy()
    tx = terminals["x_terminal_id"].to_numpy()
    ty = terminals["y_terminal_id"].to_numpy()
    counts, flat = [], []
    chunk = max(1, 2_000_000 // max(len(tx), 1))
    for lo in range(0, len(cx), chunk):
        d2 = (cx[lo : lo + chunk, None] - tx[None, :]) ** 2
        d2 += (cy[lo : lo + chunk, None] - ty[None, :]) ** 2
        inside = d2 < radius**2
        counts.append(inside.sum(axis=1))
        flat.append(np.nonzero(inside)[1])
    n_avail = np.concatenate(counts).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_avail)[:-1]]).astype(np.int64)
    return offsets, n_avail, np.concatenate(flat).astype(np.int64)


def _day_multipliers(cfg: SimulatorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-day volume and amount multipliers, and the drift mask."""
    dates = pd.date_range(cfg.start_date, periods=cfg.n_days, freq="D")
    drift_on = np.arange(cfg.n_days) >= cfg.drift.first_day
    volume = np.where(dates.day_of_week >= 5, cfg.seasonality.weekend_volume_mult, 1.0)
    volume = volume * np.where(drift_on, cfg.drift.freq_scale, 1.0)
    months = cfg.seasonality.month_amount_mult
    amount = np.array([months.get(int(m), 1.0) for m in dates.month], dtype=float)
    amount = amount * np.where(drift_on, cfg.drift.amount_scale, 1.0)
    return volume, amount, drift_on


def _legit(
    cfg: SimulatorConfig, customers: pd.DataFrame, reach: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> dict[str, np.ndarray]:
    """Genuine transactions in generation order (day, then customer), before fraud."""
    offsets, n_avail, flat = reach
    n_c = cfg.n_customers
    volume, amount_mult, _ = _day_multipliers(cfg)
    lam = volume[:, None] * customers["mean_nb_tx_per_day"].to_numpy()[None, :]
    counts = _rng(cfg.seed, 1, 0).poisson(lam)  # day-major: earlier days never see later knobs
    day, cust = np.divmod(np.repeat(np.arange(cfg.n_days * n_c), counts.ravel()), n_c)
    n = len(day)
    mean = customers["mean_amount"].to_numpy()[cust]
    tod = _rng(cfg.seed, 1, 1).normal(cfg.time_of_day_mean, cfg.time_of_day_std, n)
    amount = _rng(cfg.seed, 1, 2).normal(mean, mean / 2)
    redraw = _rng(cfg.seed, 1, 3).uniform(0.0, 2 * mean)
    pick = _rng(cfg.seed, 1, 4).random(n)
    amount = np.round(np.where(amount < 0, redraw, amount) * amount_mult[day], 2)
    # Draws outside the day are discarded; customers reaching no terminal do not transact.
    keep = (tod > 0) & (tod < DAY) & (n_avail[cust] > 0)
    day, cust, tod, amount, pick = day[keep], cust[keep], tod[keep], amount[keep], pick[keep]
    terminal = flat[offsets[cust] + (pick * n_avail[cust]).astype(np.int64)]
    return {
        "day": day.astype(np.int64),
        "seconds": day * DAY + tod.astype(np.int64),
        "customer": cust.astype(np.int64),
        "terminal": terminal,
        "amount": amount,
    }


def _fraud_s1(cfg: SimulatorConfig, tx: dict[str, np.ndarray], scenario: np.ndarray) -> None:
    _, _, drift_on = _day_multipliers(cfg)
    scale = cfg.drift.amount_scale if cfg.drift.scale_s1_threshold else 1.0
    threshold = cfg.fraud.s1_amount_threshold * np.where(drift_on, scale, 1.0)
    scenario[tx["amount"] > threshold[tx["day"]]] = 1


def _fraud_s2(cfg: SimulatorConfig, tx: dict[str, np.ndarray], scenario: np.ndarray) -> None:
    n_t, n_days, f, d_cfg = cfg.n_terminals, cfg.n_days, cfg.fraud, cfg.drift
    diff = np.zeros((n_t, n_days + 1), dtype=np.int32)
    for day in range(n_days):
        drift = day >= d_cfg.first_day
        rate = d_cfg.s2_terminal_rate if drift and d_cfg.s2_terminal_rate is not None else None
        dur = d_cfg.s2_duration_days if drift and d_cfg.s2_duration_days is not None else None
        rng = _rng(cfg.seed, 2, day)
        k = min(int(rng.poisson((rate or f.s2_terminal_rate) * n_t * f.intensity)), n_t)
        hit = rng.choice(n_t, size=k, replace=False)
        diff[hit, day] += 1  # `hit` has no repeats
        diff[hit, min(day + (dur or f.s2_duration_days), n_days)] -= 1
    compromised = np.cumsum(diff, axis=1)[:, :n_days] > 0
    scenario[compromised[tx["terminal"], tx["day"]]] = 2


def _fraud_s3(cfg: SimulatorConfig, tx: dict[str, np.ndarray], scenario: np.ndarray) -> None:
    n_c, f, d_cfg = cfg.n_customers, cfg.fraud, cfg.drift
    order = np.argsort(tx["customer"], kind="stable")  # per customer, in day order
    bounds = np.searchsorted(tx["customer"][order], np.arange(n_c + 1))
    amount, days = tx["amount"], tx["day"]
    for day in range(cfg.n_days):
        drift = day >= d_cfg.first_day and d_cfg.s3_amount_mult is not None
        mult = d_cfg.s3_amount_mult if drift and d_cfg.s3_amount_mult else f.s3_amount_mult
        rng = _rng(cfg.seed, 3, day)
        k = min(int(rng.poisson(f.s3_customer_rate * n_c * f.intensity)), n_c)
        for c in rng.choice(n_c, size=k, replace=False):
            rows = order[bounds[c] : bounds[c + 1]]
            lo, hi = np.searchsorted(days[rows], [day, day + f.s3_duration_days])
            rows = rows[lo:hi]
            # Each transaction of the window is defrauded with probability s3_share (the handbook
            # takes exactly a third): one draw per row in time order, from a stream of its own,
            # so what happens after a drift starts cannot change an earlier row.
            chosen = rows[_rng(cfg.seed, 3, day, int(c)).random(len(rows)) < f.s3_share]
            # Chosen independently each day: a transaction can be multiplied twice (handbook).
            amount[chosen] = np.round(amount[chosen] * mult, 2)
            scenario[chosen] = 3


def _card_testing(cfg: SimulatorConfig) -> dict[str, np.ndarray]:
    """S4 rows: per tested card, a burst of small payments at random terminals at night."""
    ct = cfg.drift.card_testing
    parts: list[dict[str, np.ndarray]] = []
    for day in range(cfg.drift.first_day, cfg.n_days if ct.cards_per_day else 0):
        rng = _rng(cfg.seed, 4, day)
        cards = rng.choice(
            cfg.n_customers, size=min(ct.cards_per_day, cfg.n_customers), replace=False
        )
        sizes = rng.integers(ct.burst[0], ct.burst[1], size=len(cards), endpoint=True)
        start = rng.uniform(ct.hours[0] * 3600, ct.hours[1] * 3600, len(cards))
        card = np.repeat(cards, sizes)
        first = np.repeat(np.cumsum(sizes) - sizes, sizes)
        gaps = rng.integers(10, 180, size=len(card))  # seconds between two tries
        csum = np.cumsum(gaps)
        within = csum - csum[first]  # seconds since the burst's first try
        tod = np.minimum(np.repeat(start, sizes) + within, ct.hours[1] * 3600 - 1)
        parts.append(
            {
                "day": np.full(len(card), day, dtype=np.int64),
                "seconds": day * DAY + tod.astype(np.int64),
                "customer": card.astype(np.int64),
                "terminal": rng.integers(0, cfg.n_terminals, size=len(card)),
                "amount": np.round(rng.uniform(*ct.amount, size=len(card)), 2),
            }
        )
    keys = ("day", "seconds", "customer", "terminal", "amount")
    return {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0) for k in keys}


def simulate(config: SimulatorConfig | None = None) -> Simulation:
    """Generate customers, terminals and labelled transactions (sorted by time).

    Args:
        config: simulator parameters; default the handbook's full reference run.

    Returns:
        The simulation, transactions with the columns of `schemas.TRANSACTION_COLUMNS`.
    """
    cfg = config or SimulatorConfig()
    customers, terminals = _profiles(cfg)
    reach = _reachable(customers, terminals, cfg.effective_radius)
    customers["nb_terminals"] = reach[1]
    tx = _legit(cfg, customers, reach)
    scenario = np.zeros(len(tx["day"]), dtype=np.int8)
    _fraud_s1(cfg, tx, scenario)
    _fraud_s2(cfg, tx, scenario)
    _fraud_s3(cfg, tx, scenario)
    s4 = _card_testing(cfg)
    cols = {k: np.concatenate([tx[k], s4[k].astype(tx[k].dtype)]) for k in tx}
    scenario = np.concatenate([scenario, np.full(len(s4["day"]), 4, dtype=np.int8)])
    order = np.argsort(cols["seconds"], kind="stable")
    seconds = cols["seconds"][order]
    start = np.datetime64(cfg.start_date, "ns")
    scenario = scenario[order]
    transactions = pd.DataFrame(
        {
            s.TRANSACTION_ID: np.arange(len(order), dtype=np.int64),
            s.TX_DATETIME: start + seconds.astype("timedelta64[s]").astype("timedelta64[ns]"),
            s.CUSTOMER_ID: cols["customer"][order],
            s.TERMINAL_ID: cols["terminal"][order].astype(np.int64),
            s.TX_AMOUNT: cols["amount"][order],
            s.TX_TIME_SECONDS: seconds,
            s.TX_TIME_DAYS: cols["day"][order],
            s.TX_FRAUD: (scenario > 0).astype(np.int8),
            s.TX_FRAUD_SCENARIO: scenario,
        }
    )
    return Simulation(cfg, transactions, customers, terminals)
