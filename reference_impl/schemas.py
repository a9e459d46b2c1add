"""Column names and dtypes of the fraud data: the one place that spells them.

Transactions follow the Fraud Detection Handbook's "labeled transactions" table (§1.1 of the
reference spec); the 15 model inputs are the handbook's baseline features (§1.2).
"""

from __future__ import annotations

TRANSACTION_ID = "TRANSACTION_ID"
TX_DATETIME = "TX_DATETIME"
CUSTOMER_ID = "CUSTOMER_ID"
TERMINAL_ID = "TERMINAL_ID"
TX_AMOUNT = "TX_AMOUNT"
TX_TIME_SECONDS = "TX_TIME_SECONDS"
TX_TIME_DAYS = "TX_TIME_DAYS"
TX_FRAUD = "TX_FRAUD"
TX_FRAUD_SCENARIO = "TX_FRAUD_SCENARIO"

LABEL = TX_FRAUD

TRANSACTION_COLUMNS: tuple[str, ...] = (
    TRANSACTION_ID,
    TX_DATETIME,
    CUSTOMER_ID,
    TERMINAL_ID,
    TX_AMOUNT,
    TX_TIME_SECONDS,
    TX_TIME_DAYS,
    TX_FRAUD,
    TX_FRAUD_SCENARIO,
)

# Exact dtypes of the raw table (pandas names); validate.py checks them.
TRANSACTION_DTYPES: dict[str, str] = {
    TRANSACTION_ID: "int64",
    TX_DATETIME: "datetime64[ns]",
    CUSTOMER_ID: "int64",
    TERMINAL_ID: "int64",
    TX_AMOUNT: "float64",
    TX_TIME_SECONDS: "int64",
    TX_TIME_DAYS: "int64",
    TX_FRAUD: "int8",
    TX_FRAUD_SCENARIO: "int8",
}

# What a scoring request must carry (the online path has no label yet).
REQUEST_COLUMNS: tuple[str, ...] = (TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT)

SCENARIOS: dict[int, str] = {
    0: "legitimate",
    1: "S1 large amount",
    2: "S2 compromised terminal",
    3: "S3 compromised card (account takeover)",
    4: "S4 card testing",
}

WINDOWS: tuple[int, ...] = (1, 7, 30)
DEFAULT_DELAY_DAYS = 7

TX_DURING_WEEKEND = "TX_DURING_WEEKEND"
TX_DURING_NIGHT = "TX_DURING_NIGHT"


def customer_nb_tx(n: int) -> str:
    """Name of the customer frequency feature over an n-day window."""
    return f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW"


def customer_avg_amount(n: int) -> str:
    """Name of the customer monetary feature over an n-day window."""
    return f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW"


def terminal_nb_tx(n: int) -> str:
    """Name of the terminal volume feature over an n-day (delayed) window."""
    return f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW"


def terminal_risk(n: int) -> str:
    """Name of the terminal risk (fraud share) feature over an n-day (delayed) window."""
    return f"TERMINAL_ID_RISK_{n}DAY_WINDOW"


TIME_FEATURES: tuple[str, ...] = (TX_DURING_WEEKEND, TX_DURING_NIGHT)
CUSTOMER_FEATURES: tuple[str, ...] = tuple(
    name for n in WINDOWS for name in (customer_nb_tx(n), customer_avg_amount(n))
)
TERMINAL_FEATURES: tuple[str, ...] = tuple(
    name for n in WINDOWS for name in (terminal_nb_tx(n), terminal_risk(n))
)
ENGINEERED_COLUMNS: tuple[str, ...] = TIME_FEATURES + CUSTOMER_FEATURES + TERMINAL_FEATURES

# The 15 model inputs, in the order of handbook §1.2 (amount, time, customer, terminal).
FEATURE_COLUMNS: tuple[str, ...] = (
    TX_AMOUNT,
    TX_DURING_WEEKEND,
    TX_DURING_NIGHT,
    *(customer_nb_tx(n) for n in WINDOWS),
    *(customer_avg_amount(n) for n in WINDOWS),
    *(terminal_nb_tx(n) for n in WINDOWS),
    *(terminal_risk(n) for n in WINDOWS),
)
