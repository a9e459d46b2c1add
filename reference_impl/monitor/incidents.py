"""Scripted incidents: the simulator's drift knobs (reference spec §1.9) and what should happen.

`expected` is the decision a good monitor takes once labels of the incident have arrived: retrain
when a fresh model recovers the loss; investigate when the loss is real but retraining does not
fix it, and for volume growth, which moves PSI a lot but costs no accuracy (never retrain on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference_impl.errors import InvalidInputError
from reference_impl.monitor.decide import Action


@dataclass(frozen=True)
class Incident:
    name: str
    drift: dict[str, Any] = field(default_factory=dict)
    expected: Action = Action.RETRAIN
    story: str = ""


INCIDENTS: dict[str, Incident] = {
    i.name: i
    for i in (
        Incident("none", {}, Action.NO_ACTION, "no drift: the baseline must stay quiet"),
        Incident(
            "spending_inflation",
            {"amount_scale": 1.25, "scale_s1_threshold": True},
            Action.RETRAIN,
            "legit amounts ×1.25: moderate PSI, large AP loss",
        ),
        Incident(
            "card_testing",
            {"card_testing": {"cards_per_day": 5}},
            Action.RETRAIN,
            "new S4 bursts of small night payments: PSI ≈ 0, AP loss",
        ),
        Incident(
            "stealth_takeover",
            {"s3_amount_mult": 2.0},
            Action.INVESTIGATE,
            "S3 frauds ×2 instead of ×5: invisible to PSI, S3 recall collapses; retraining "
            "does not bring it back (a feature problem)",
        ),
        Incident(
            "volume_growth",
            {"freq_scale": 1.5},
            Action.INVESTIGATE,
            "×1.5 transactions: PSI alarm, no harm (a false alarm to investigate, not act on)",
        ),
        Incident(
            "fast_compromises",
            {"s2_duration_days": 7, "s2_terminal_rate": 8e-4},
            Action.INVESTIGATE,
            "7-day terminal compromises: AP collapses, but 7-day-delayed terminal features "
            "cannot see them, so retraining does not help (a feature-design lesson)",
        ),
    )
}


def get_incident(name: str) -> Incident:
    """The incident called `name`; ValueError naming the choices otherwise."""
    if name not in INCIDENTS:
        raise InvalidInputError(f"unknown incident {name!r} (choose one of {', '.join(INCIDENTS)})")
    return INCIDENTS[name]
