"""Result values of grading: what the CLI prints, the gradebook stores and exporters read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

GRADED = "graded"
ERROR_PREFIX = "error:"
TAMPERED_PREFIX = "tampered:"


@dataclass
class TestResult:
    """One scoring unit: a whole test cell, or one assertion group (`# TEST:`) of it.

    Attributes:
        name: ``grade_id`` of the cell, or ``grade_id::group`` for an assertion group.
        cell: ``grade_id`` of the test cell the unit belongs to.
        points: Points earned.
        max_points: Points available.
        passed: Whether every assertion of the unit held.
        hidden: Whether the unit contains hidden tests (its code is never shown to students).
        message: Plain-words reason of a failure (empty when passed), as the learner sees it:
            for a hidden test only its class (wrong value, an exception's type, timed out).
        detail: The full reason, for the instructor only (argument values, messages).
    """

    __test__ = False  # not a pytest class

    name: str
    cell: str
    points: float
    max_points: float
    passed: bool
    hidden: bool = False
    message: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        return cls(**data)


# Errors after which the score is incomplete or meaningless: exported without a grade.
# Other errors (a sandbox limit hit, an exception in a student's cell) keep their score.
UNGRADED_REASONS = frozenset(
    {
        "kernel-died",
        "timeout",
        "protocol-violation",
        "grader-crashed",
        "grader-limit",
        "missing-notebook",
        "malformed-notebook",
        "not-a-notebook",
        "unsupported-nbformat",
        "notebook-too-large",
    }
)


@dataclass(frozen=True)
class Status:
    """A status as a value: ``kind`` (graded / error / tampered) and its ``detail`` (the error's
    reason, or the tampering kinds). Stored and shown as text: ``error:timeout``,
    ``tampered:edited-test-cell,changed-metadata``, ``graded``."""

    kind: str
    detail: str = ""

    @classmethod
    def parse(cls, text: str) -> Status:
        kind, _, detail = str(text).partition(":")
        return cls(kind, detail) if kind in ("error", "tampered") else cls(GRADED)

    @classmethod
    def error(cls, reason: str) -> Status:
        return cls("error", reason)

    @classmethod
    def tampered(cls, findings: list[str]) -> Status:
        """From findings such as ``edited-test-cell:test_x``: the kinds, sorted, once each."""
        kinds = sorted({f.split(":")[0] for f in findings})
        return cls("tampered", ",".join(kinds)) if kinds else cls(GRADED)

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}" if self.kind != GRADED else GRADED

    @property
    def is_error(self) -> bool:
        return self.kind == "error"

    @property
    def ungraded(self) -> bool:
        """Whether the score must not be used as a grade."""
        return self.kind == "error" and self.detail in UNGRADED_REASONS


def is_ungraded(status: str) -> bool:
    """Whether a status means the score must not be used as a grade."""
    return Status.parse(status).ungraded


def most_serious(statuses: list[str]) -> str:
    """The status that matters most: an ungradable error, then any error, then every
    tampering kind found together, then ``graded``."""
    parsed = [Status.parse(s) for s in statuses]
    errors = [s for s in parsed if s.is_error]
    if errors:
        return str(next((s for s in errors if s.ungraded), errors[0]))
    kinds = sorted({k for s in parsed if s.kind == "tampered" for k in s.detail.split(",") if k})
    return str(Status("tampered", ",".join(kinds))) if kinds else GRADED


worst_status = most_serious  # the name the engine used before


@dataclass
class NotebookResult:
    """The outcome of grading one notebook of a submission."""

    name: str
    status: str = GRADED
    tests: list[TestResult] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)
    reason: str = ""
    duration_s: float = 0.0
    exec_s: float = 0.0
    cell_errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(t.points for t in self.tests), 6)

    @property
    def possible(self) -> float:
        return round(sum(t.max_points for t in self.tests), 6)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(total=self.total, possible=self.possible)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookResult:
        fields = {k: v for k, v in data.items() if k not in ("total", "possible", "tests")}
        return cls(tests=[TestResult.from_dict(t) for t in data.get("tests", [])], **fields)


@dataclass
class SubmissionResult:
    """The outcome of grading one student's submission of one lab.

    ``possible`` comes from the gradebook (every notebook of the lab), so a missing or crashed
    notebook still counts its points as possible and the status says why they were not earned.
    """

    student: str
    lab: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    possible_override: float | None = None
    sandbox: str = ""

    @property
    def total(self) -> float:
        return round(sum(nb.total for nb in self.notebooks), 6)

    @property
    def possible(self) -> float:
        if self.possible_override is not None:
            return self.possible_override
        return round(sum(nb.possible for nb in self.notebooks), 6)

    @property
    def status(self) -> str:
        return worst_status([nb.status for nb in self.notebooks]) if self.notebooks else GRADED

    @property
    def tests(self) -> list[TestResult]:
        return [t for nb in self.notebooks for t in nb.tests]

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "lab": self.lab,
            "status": self.status,
            "total": self.total,
            "possible": self.possible,
            "sandbox": self.sandbox,
            "notebooks": [nb.to_dict() for nb in self.notebooks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        return cls(
            student=data["student"],
            lab=data["lab"],
            notebooks=[NotebookResult.from_dict(nb) for nb in data["notebooks"]],
            possible_override=data.get("possible"),
            sandbox=data.get("sandbox", ""),
        )
