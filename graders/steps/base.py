"""What every step shares: the protocol, the context it reads and writes, its domain error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from graders.errors import GraderError

Notebook = dict[str, Any]


class StepError(GraderError):
    """A step refuses the notebook; the message names the cell."""


@dataclass(frozen=True)
class InstructorCell:
    """An instructor cell as released, recorded in the gradebook to detect and undo tampering.

    Attributes:
        grade_id: nbgrader's ``grade_id``.
        index: Position in the released notebook.
        cell_type: ``code`` or ``markdown``.
        source: Complete instructor source (hidden tests included) restored before grading.
        released_source: What the student received (solutions stubbed, hidden tests removed).
        checksum: nbgrader checksum of the complete cell.
        released_checksum: nbgrader checksum of the released cell.
        metadata: The cell's ``nbgrader`` metadata as released.
        hidden_tests: Number of hidden scoring units removed from the cell.
        cell_id: nbformat cell ``id`` (matches a cell whose grade_id was changed).
        earlier_released: What earlier revisions of the lab released for this cell: a
            submission made from an earlier release is not tampered with (it is graded with the
            newest tests).
    """

    grade_id: str
    index: int
    cell_type: str
    source: str
    released_source: str
    checksum: str
    released_checksum: str
    metadata: dict[str, Any]
    hidden_tests: int = 0
    cell_id: str = ""
    earlier_released: tuple[str, ...] = ()

    @property
    def grade(self) -> bool:
        return bool(self.metadata.get("grade"))

    @property
    def solution(self) -> bool:
        return bool(self.metadata.get("solution"))

    @property
    def locked(self) -> bool:
        return not self.solution and (self.grade or bool(self.metadata.get("locked")))

    @property
    def test(self) -> bool:
        return self.cell_type == "code" and self.grade and not self.solution

    @property
    def points(self) -> float:
        return float(self.metadata.get("points", 0) or 0) if self.grade else 0.0


@dataclass
class StepContext:
    """What a pipeline carries between its steps for one notebook.

    Attributes:
        notebook: Notebook name (for messages).
        instructor_cells: Recorded instructor cells, by ``grade_id`` (release fills it,
            autograde reads it from the gradebook).
        order: ``grade_id`` of every nbgrader cell in released order.
        tampering: Tampering found, as ``<kind>:<grade_id>``.
        leak_lines: Lines of solutions and hidden tests that must never be released.
        pending: Complete source and checksum of instructor cells, before hidden tests go.
    """

    notebook: str = "notebook"
    instructor_cells: dict[str, InstructorCell] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    tampering: list[str] = field(default_factory=list)
    leak_lines: set[str] = field(default_factory=set)
    pending: dict[str, tuple[str, str]] = field(default_factory=dict)


class Step(Protocol):
    """A step transforms a notebook in place and returns it."""

    name: str

    def __call__(self, nb: Notebook, ctx: StepContext) -> Notebook: ...


def cell_label(cell: dict[str, Any], index: int) -> str:
    """How messages name a cell: its grade_id when it has one, else its position."""
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell '{gid}' (#{index + 1})" if gid else f"cell #{index + 1}"
