"""The fraud system's governance inputs: feature groups, customer subgroups, failure modes.

The ratings below are the team's judgement (stated, reviewable, versioned here); the costs and
rates that go with them are measured by `benchmarks/governance_fraud.py` and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from reference_impl import schemas as s
from reference_impl.governance.risk import FailureMode
from reference_impl.governance.slices import slice_table

# What a person can read in an explanation; together they are the 15 model inputs.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "amount": (s.TX_AMOUNT,),
    "card's usual amounts": tuple(s.customer_avg_amount(n) for n in s.WINDOWS),
    "card's activity": tuple(s.customer_nb_tx(n) for n in s.WINDOWS),
    "terminal's fraud history": tuple(s.terminal_risk(n) for n in s.WINDOWS),
    "terminal's activity": tuple(s.terminal_nb_tx(n) for n in s.WINDOWS),
    "time of day and week": s.TIME_FEATURES,
}

# Customer subgroups by spending level (the profile's mean amount, drawn from U(5, 100) EUR):
# a stand-in for income, which the bank must not treat worse without a reason.
SPENDING_EDGES = (35.0, 70.0)
SPENDING_BANDS = ("low spender", "middle spender", "high spender")


def spending_band(mean_amount: np.ndarray | pd.Series) -> np.ndarray:
    """The band of each customer's mean amount (edges `SPENDING_EDGES`, EUR)."""
    at = np.searchsorted(SPENDING_EDGES, np.asarray(mean_amount, float), side="right")
    return np.asarray(SPENDING_BANDS, dtype=object)[at]


def card_bands(frame: pd.DataFrame) -> np.ndarray:
    """Each row's spending band, from its card's median 30-day average amount in `frame`.

    For tables without the customer profiles (the evaluate stage reads features only).
    """
    usual = frame.groupby(s.CUSTOMER_ID)[s.customer_avg_amount(30)].transform("median")
    return spending_band(usual.to_numpy())


def audit_rows(
    frame: pd.DataFrame, flagged: np.ndarray, *, n_boot: int = 200, seed: int = 0
) -> list[dict[str, object]]:
    """The model card's subgroup rows: false-alert rate and recall per spending band (95 %)."""
    table = frame[[s.CUSTOMER_ID]].assign(
        BAND=card_bands(frame),
        FLAGGED=np.asarray(flagged, bool),
        LEGIT=frame[s.TX_FRAUD].to_numpy() == 0,
        FRAUD=frame[s.TX_FRAUD].to_numpy() == 1,
    )
    rows: list[dict[str, object]] = []
    for metric, among in (("false-alert rate", "LEGIT"), ("recall", "FRAUD")):
        result = slice_table(
            table,
            group="BAND",
            hit="FLAGGED",
            among=among,
            cluster=s.CUSTOMER_ID,
            n_boot=n_boot,
            seed=seed,
        )
        for group, r in result.iterrows():
            rows.append(
                {
                    "group": group,
                    "metric": metric,
                    **{k: float(r[k]) for k in ("rate", "lo", "hi")},
                    "n": int(r["n"]),
                }
            )
    return rows


def failure_modes(measured: Mapping[str, float]) -> list[FailureMode]:
    """The fraud system's FMEA rows; `measured` prices the modes the benchmark can count.

    Keys: missed_per_year, missed_mean_amount, false_declines_per_year, false_decline_cost.
    """
    m = measured
    return [
        FailureMode(
            "fraud approved (missed at the operating point)",
            "issuer (refunds the cardholder); cardholder's time",
            3,
            5,
            "alert budget sized on the KPI curve; monitoring and retraining (module 7)",
            3,
            4,
            cost_per_event=m["missed_mean_amount"],
            events_per_year=m["missed_per_year"],
            key="missed_fraud",
        ),
        FailureMode(
            "legitimate payment declined",
            "cardholder (payment refused at the till), merchant (lost sale)",
            2,
            5,
            "step-up authentication instead of a hard decline; a fast override channel",
            1,
            5,
            cost_per_event=m["false_decline_cost"],
            events_per_year=m["false_declines_per_year"],
            key="false_decline",
        ),
        FailureMode(
            "blocked payments relabelled as legitimate at retraining (feedback loop)",
            "issuer (the next model misses what this one caught), cardholders",
            4,
            4,
            "investigate a random share of declines; weight them by 1/share",
            4,
            1,
            key="feedback_loop",
        ),
        FailureMode(
            "new attack pattern the features cannot see (card testing)",
            "issuer, cardholders of the tested cards",
            4,
            3,
            "labelled-window monitoring with a challenger (module 7); rules for bursts",
            3,
            2,
            key="new_attack",
        ),
        FailureMode(
            "false declines concentrated on one group of customers",
            "customers of that group (unequal treatment)",
            3,
            3,
            "subgroup audit with intervals at every release; a threshold per decision reviewed",
            3,
            2,
            key="unequal_declines",
        ),
        FailureMode(
            "upstream change breaks a feature (amount in cents, a late label feed)",
            "issuer, every cardholder scored meanwhile",
            4,
            2,
            "data contract and serving guard (modules 3 and 6); drift alarm on inputs",
            4,
            1,
            key="upstream_break",
        ),
        FailureMode(
            "investigators confirm alerts without checking (automation bias)",
            "cardholders wrongly blocked, issuer",
            3,
            3,
            "log every override; audit a sample of confirmed alerts each month",
            3,
            2,
            key="automation_bias",
        ),
        FailureMode(
            "a declined customer gets no usable reason or route to contest",
            "cardholder (GDPR art. 22(3) safeguards)",
            3,
            2,
            "reason codes from the local explanation; human review on request",
            2,
            1,
            key="no_recourse",
        ),
    ]
