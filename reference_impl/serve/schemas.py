"""Request and response bodies of the scoring API: the contract published as OpenAPI.

Every model forbids unknown fields and non-finite numbers. Counts and flags are whole numbers
(`8` and `8.0`, never `8.5`, `true` or `"8"`); numbers never accept booleans or strings.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from reference_impl.schemas import FEATURE_COLUMNS

MAX_AMOUNT = 1_000_000.0
MAX_COUNT = 1_000_000
MAX_BATCH = 5_000  # ~2.8 MB of JSON: fits the default 4 MiB body limit


def _integral_float_to_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The date-times the service accepts, exactly: years 2000-2099, real calendar dates (leap days
# included), seconds required, an optional fraction and offset (naive = UTC). The OpenAPI document
# carries this pattern instead of `format: date-time`, which needs an offset (naive times are
# accepted) and cannot bound the year, so the document and the service accept the same strings.
_DATE = (
    r"20(?:[0-9]{2}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|(?:0[048]|[2468][048]|[13579][26])-02-29)"
)
TX_DATETIME_PATTERN = (
    rf"^{_DATE}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,9}})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$"
)
_TX_DATETIME = re.compile(TX_DATETIME_PATTERN)


def _datetime_from_string(value: Any) -> Any:
    if isinstance(value, datetime):  # Python callers
        return value
    if not isinstance(value, str) or not _TX_DATETIME.fullmatch(value):
        raise ValueError(
            "must be a date-time like 2018-04-01T10:00:00 (years 2000-2099; optional "
            "fraction and Z or +hh:mm offset; naive = UTC)"
        )
    return value


def _datetime_schema(schema: dict[str, Any]) -> None:
    schema.pop("format", None)
    schema["pattern"] = TX_DATETIME_PATTERN


Amount = Annotated[float, Field(strict=True, ge=0, le=MAX_AMOUNT)]
AVG_RULE = "an average amount is 0 (no payment in the window) or at least 0.01 (one cent)"


def _zero_or_cents(value: float) -> float:
    if 0 < value < 0.01:
        raise ValueError(AVG_RULE)
    return value


# An average of amounts in cents is 0 or at least a cent; the document says so (`not` the open
# interval 0..0.01), so a sub-cent average — issue 26's 5e-324 next to an amount near 10^6, which
# overflowed a ratio inside the model — is a 422 naming the field, for any model.
AvgAmount = Annotated[
    float,
    Field(
        strict=True,
        ge=0,
        le=MAX_AMOUNT,
        json_schema_extra={"not": {"exclusiveMinimum": 0, "exclusiveMaximum": 0.01}},
    ),
    AfterValidator(_zero_or_cents),
]
# Whole numbers as JSON numbers with multipleOf 1: `8` and `8.0` pass, `8.5`, `true`, `"8"` do
# not — validated in pydantic-core (a Python validator per field made batches 15x slower).
Count = Annotated[float, Field(strict=True, ge=0, le=MAX_COUNT, multiple_of=1)]
Flag = Annotated[float, Field(strict=True, ge=0, le=1, multiple_of=1)]
Share = Annotated[float, Field(strict=True, ge=0, le=1)]
Id = Annotated[int, Field(strict=True, ge=0, le=2**53), BeforeValidator(_integral_float_to_int)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FeaturesRequest(_Strict):
    """The 15 model inputs of one transaction (names as in the training data).

    Every value within these bounds is scored, subnormal floats included; an average amount is 0
    or at least a cent (and the model's amount ratios count an average of 0 as 1).
    """

    TX_AMOUNT: Amount
    TX_DURING_WEEKEND: Flag
    TX_DURING_NIGHT: Flag
    CUSTOMER_ID_NB_TX_1DAY_WINDOW: Count
    CUSTOMER_ID_NB_TX_7DAY_WINDOW: Count
    CUSTOMER_ID_NB_TX_30DAY_WINDOW: Count
    CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: AvgAmount
    CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: AvgAmount
    CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW: AvgAmount
    TERMINAL_ID_NB_TX_1DAY_WINDOW: Count
    TERMINAL_ID_NB_TX_7DAY_WINDOW: Count
    TERMINAL_ID_NB_TX_30DAY_WINDOW: Count
    TERMINAL_ID_RISK_1DAY_WINDOW: Share
    TERMINAL_ID_RISK_7DAY_WINDOW: Share
    TERMINAL_ID_RISK_30DAY_WINDOW: Share

    def as_row(self) -> list[float]:
        """Values in `FEATURE_COLUMNS` order (the order the model was trained on)."""
        return [float(getattr(self, name)) for name in FEATURE_COLUMNS]


class BatchRequest(_Strict):
    """Several transactions' features, scored in one model call."""

    transactions: list[FeaturesRequest] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} transactions (413 if the body exceeds the size limit).",
    )


# One transaction as a 15-number array, in FEATURE_COLUMNS order, with the same constraints
# as FeaturesRequest (a test checks they agree). Validated wholly in pydantic-core.
FeatureRow = tuple[
    Amount, Flag, Flag, Count, Count, Count, AvgAmount, AvgAmount, AvgAmount, Count, Count, Count,
    Share, Share, Share,
]  # fmt: skip
MAX_ROWS = 20_000  # ~2.5 MB as arrays: fits the default 4 MiB body limit
# The column names, spelled out so the OpenAPI document shows the exact order expected.
FeatureColumns = tuple[
    Literal["TX_AMOUNT"],
    Literal["TX_DURING_WEEKEND"],
    Literal["TX_DURING_NIGHT"],
    Literal["CUSTOMER_ID_NB_TX_1DAY_WINDOW"],
    Literal["CUSTOMER_ID_NB_TX_7DAY_WINDOW"],
    Literal["CUSTOMER_ID_NB_TX_30DAY_WINDOW"],
    Literal["CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"],
    Literal["CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW"],
    Literal["CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"],
    Literal["TERMINAL_ID_NB_TX_1DAY_WINDOW"],
    Literal["TERMINAL_ID_NB_TX_7DAY_WINDOW"],
    Literal["TERMINAL_ID_NB_TX_30DAY_WINDOW"],
    Literal["TERMINAL_ID_RISK_1DAY_WINDOW"],
    Literal["TERMINAL_ID_RISK_7DAY_WINDOW"],
    Literal["TERMINAL_ID_RISK_30DAY_WINDOW"],
]


class RowsRequest(_Strict):
    """Many transactions as arrays of the 15 features (compact and fast for bulk scoring)."""

    columns: FeatureColumns = Field(
        description="The 15 feature names in model order (as `features` of GET /v1/model)."
    )
    rows: list[FeatureRow] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description=f"1 to {MAX_ROWS} rows of 15 numbers in `columns` order.",
    )


class TransactionRequest(_Strict):
    """A raw transaction; the service computes its features from the online feature state."""

    TRANSACTION_ID: Id
    TX_DATETIME: Annotated[
        datetime,
        BeforeValidator(_datetime_from_string),
        Field(
            description="ISO 8601 date-time, seconds required, years 2000-2099; an optional "
            "fraction and Z or +hh:mm offset (naive = UTC).",
            json_schema_extra=_datetime_schema,
        ),
    ]
    CUSTOMER_ID: Id
    TERMINAL_ID: Id
    TX_AMOUNT: Amount


class LabelRequest(_Strict):
    """A fraud label known after investigation, for a transaction scored earlier."""

    TRANSACTION_ID: Id
    TERMINAL_ID: Id
    TX_FRAUD: Flag


class TransactionBatchRequest(_Strict):
    """Raw transactions in arrival order, scored as if they had been sent one by one."""

    transactions: list[TransactionRequest] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} raw transactions, in the order they happened.",
    )


class LabelBatchRequest(_Strict):
    """Several delayed fraud labels at once (an investigation team's daily report)."""

    labels: list[LabelRequest] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} labels."
    )


class LabelResponse(BaseModel):
    recorded: bool = Field(description="False if the transaction is no longer in the state.")


class LabelBatchResponse(BaseModel):
    recorded: list[bool] = Field(
        description="Per label, in order: False if its transaction is no longer in the state."
    )


class ScoreResponse(BaseModel):
    """Fraud probability of one transaction and the model that produced it."""

    score: float = Field(ge=0, le=1, description="Estimated probability of fraud.")
    alert: bool | None = Field(description="score >= the model's threshold; null if none is set.")
    model_version: str
    transaction_id: int | None = None


class BatchScoreResponse(BaseModel):
    """Scores in the order of the request's transactions."""

    scores: list[float]
    alerts: list[bool] | None
    model_version: str


class ModelInfoResponse(BaseModel):
    """What is serving right now."""

    version: str
    sha256: str
    features: list[str]
    metrics: dict[str, Any]
    data_hash: str | None
    threshold: float | None
    library_versions: dict[str, Any]
    loaded_at: datetime
    swaps: int


class ReloadRequest(_Strict):
    """Which registered version to swap in ('latest' = newest)."""

    version: str = Field(
        "latest", min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]*$"
    )


class HealthResponse(BaseModel):
    status: str
    model_version: str | None = None
    detail: str | None = None
    lesion_model_version: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,  # absent from a fraud-only service's answer
        description="The lesion model serving, when the app serves one.",
    )


class ErrorResponse(BaseModel):
    """Every error: a one-line summary, plus the offending fields for 422."""

    detail: str
    errors: list[dict[str, str]] | None = None
    request_id: str | None = None
