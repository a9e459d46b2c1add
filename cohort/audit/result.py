"""Audit results as values: one `ItemResult` per rubric item, an `AuditResult` per repository."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Item levels: 0 = missing, 1 = partly there, 2 = there and automated/checked.
LEVEL_NAMES = {0: "missing", 1: "partial", 2: "complete"}
MLOPS_LEVELS = {
    0: "Level 0: manual process",
    1: "Level 1: ML pipeline automation",
    2: "Level 2: CI/CD pipeline automation",
}


@dataclass(frozen=True)
class ItemResult:
    """What the audit found for one rubric item."""

    id: str
    title: str
    level: int
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mlops_level: int = 1
    ml_test_score: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class TestRun:
    """Outcome of running the repository's tests in the grading sandbox."""

    __test__ = False  # a result, not a pytest test class

    passed: int
    failed: int
    returncode: int
    backend: str
    tail: str = ""
    mutant_failed: int | None = None  # 1: a test failed with every Pipeline broken (None: not run)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failed == 0 and self.passed > 0


@dataclass(frozen=True)
class Reproduction:
    """The pipeline rerun from a clean copy: did the committed metrics come back, which not."""

    same: bool
    differences: list[str]
    detail: str = ""


@dataclass(frozen=True)
class AuditResult:
    """The whole audit of one repository."""

    repo: str
    items: list[ItemResult]
    mlops_level: int
    test_run: TestRun | None = None
    skipped: list[str] = field(default_factory=list)
    commit: str | None = None
    reproduction: Reproduction | None = None

    @property
    def points(self) -> int:
        return sum(i.level for i in self.items)

    @property
    def possible(self) -> int:
        return 2 * len(self.items)

    @property
    def percent(self) -> float:
        return round(100 * self.points / self.possible, 1) if self.items else 0.0

    def level_of(self, item_id: str) -> int:
        return next(i.level for i in self.items if i.id == item_id)

    def to_dict(self) -> dict[str, object]:
        return {
            "repo": self.repo,
            "commit": self.commit,
            "mlops_level": self.mlops_level,
            "mlops_level_name": MLOPS_LEVELS[self.mlops_level],
            "points": self.points,
            "possible": self.possible,
            "percent": self.percent,
            "items": [i.to_dict() for i in self.items],
            "test_run": None if self.test_run is None else asdict(self.test_run),
            "reproduction": None if self.reproduction is None else asdict(self.reproduction),
            "skipped_folders": self.skipped,
        }
