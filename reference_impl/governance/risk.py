"""An FMEA-style risk table: failure modes, who they hurt, severity x likelihood, residual risk.

Failure mode and effects analysis (IEC 60812) rates each way a system can fail on ordinal scales
and ranks them, so the team spends its mitigation effort where the risk is. For an ML system the
failure modes are the model's errors (missed frauds, false declines), what changes after release
(drift, a new attack) and what people do with the output (over-trust, feedback loops).

Scales (1-5): severity 1 = a nuisance, 5 = serious harm to a person or a large loss; likelihood
1 = not expected in a year, 5 = every day. Risk = severity x likelihood (1-25). Where the harm
has a measured price (a missed fraud's amount, an investigator's call) the table also carries an
expected cost per year, which orders modes of equal risk. The residual risk is the same product
after the mitigation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from reference_impl.errors import InvalidInputError

RATINGS = range(1, 6)
COLUMNS = [
    "key",
    "failure_mode",
    "affected",
    "severity",
    "likelihood",
    "risk",
    "expected_cost",
    "mitigation",
    "residual_severity",
    "residual_likelihood",
    "residual_risk",
]


@dataclass(frozen=True)
class FailureMode:
    """One way the system can fail, its effect, and what is done about it."""

    failure_mode: str
    affected: str  # who bears the harm
    severity: int
    likelihood: int
    mitigation: str
    residual_severity: int
    residual_likelihood: int
    cost_per_event: float = 0.0  # measured price of one occurrence (EUR), 0 if not priced
    events_per_year: float = 0.0
    key: str = ""  # a short name for reports and the course's figures

    def check(self) -> None:
        for field in ("severity", "likelihood", "residual_severity", "residual_likelihood"):
            value = getattr(self, field)
            if value not in RATINGS:
                raise InvalidInputError(
                    f"{self.failure_mode!r}: {field} must be an integer from 1 to 5, not {value!r}"
                )
        if self.cost_per_event < 0 or self.events_per_year < 0:
            raise InvalidInputError(f"{self.failure_mode!r}: costs and rates cannot be negative")


# --8<-- [start:table]
def risk_table(modes: Sequence[FailureMode]) -> pd.DataFrame:
    """Score and rank failure modes: highest risk first, then highest expected cost per year."""
    if not modes:
        raise InvalidInputError("risk_table: no failure modes")
    for mode in modes:
        mode.check()
    table = pd.DataFrame([asdict(m) for m in modes])
    table["risk"] = table["severity"] * table["likelihood"]
    table["expected_cost"] = table["cost_per_event"] * table["events_per_year"]
    table["residual_risk"] = table["residual_severity"] * table["residual_likelihood"]
    table = table.sort_values(["risk", "expected_cost"], ascending=False, kind="stable")
    return table[COLUMNS].reset_index(drop=True)


# --8<-- [end:table]
