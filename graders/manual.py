"""Manually graded answers: what awaits a person, and recording their score and comment.

nbgrader marks an answer for manual grading with ``grade: true, solution: true`` (a written
answer) or ``task: true``. Autograde records them in nbgrader's ``grade`` table with
``needs_manual_grade``; a person grades them in nbgrader's formgrader (which opens our gradebook)
or with ``mlops-grade grade-manual``. Both write ``grade.manual_score`` and
``comment.manual_comment``, which export, report and feedback read from here. A submission with
an answer still waiting is incomplete: its score is shown as partial, never as final.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders import cells as C
from graders.course import Course
from graders.errors import GraderError
from graders.gradebook import Gradebook


@dataclass(frozen=True)
class ManualCell:
    notebook: str
    grade_id: str
    points: float


@dataclass
class ManualGrades:
    """One student's manually graded answers in one lab."""

    possible: float = 0.0
    given: float = 0.0
    pending: list[ManualCell] = field(default_factory=list)
    scores: dict[str, tuple[float, str]] = field(default_factory=dict)  # grade_id → (score, note)

    @property
    def pending_points(self) -> float:
        return sum(c.points for c in self.pending)


def manual_cells(gb: Gradebook, lab: str) -> list[ManualCell]:
    """The answers of ``lab`` that a person grades."""
    out = []
    for nb, spec in sorted(gb.lab_notebooks(lab).items()):
        for gid in spec.order:
            meta = spec.cells[gid].metadata
            if (meta.get("grade") and meta.get("solution")) or meta.get("task"):
                out.append(ManualCell(nb, gid, float(meta.get("points", 0) or 0)))
    return out


def manual_grades(gb: Gradebook, lab: str) -> dict[str, ManualGrades]:
    """Per student who submitted ``lab``: manual points possible, given, and still waiting."""
    cells = manual_cells(gb, lab)
    students = sorted({r.student for r in gb.results(lab)})
    rows = gb.db.execute(
        "SELECT sa.student_id, n.name, bc.name, g.manual_score, "
        "(SELECT c.manual_comment FROM comment c JOIN base_cell sc ON c.cell_id = sc.id "
        " WHERE c.notebook_id = g.notebook_id AND sc.name = bc.name "
        " AND sc.notebook_id = bc.notebook_id) "
        "FROM grade g JOIN base_cell bc ON g.cell_id = bc.id "
        "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
        "JOIN notebook n ON sn.notebook_id = n.id "
        "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
        "JOIN assignment a ON sa.assignment_id = a.id "
        "WHERE a.name = ? AND g.manual_score IS NOT NULL",
        (lab,),
    ).fetchall()
    given = {(s, nb, gid): (float(score), note or "") for s, nb, gid, score, note in rows}
    out: dict[str, ManualGrades] = {}
    for student in students:
        grades = ManualGrades()
        for cell in cells:
            grades.possible += cell.points
            found = given.get((student, cell.notebook, cell.grade_id))
            if found is None:
                grades.pending.append(cell)
            else:
                grades.given += found[0]
                grades.scores[cell.grade_id] = found
        out[student] = grades
    return out


def record_manual(
    *, course_dir: Path, lab: str, student: str, cell: str, score: float, comment: str = ""
) -> ManualCell:
    """Record a person's score (and comment) for one manually graded answer."""
    course = Course(Path(course_dir))
    with Gradebook(course.gradebook) as gb:
        known = {c.grade_id: c for c in manual_cells(gb, lab)}
        if cell not in known:
            names = ", ".join(sorted(known)) or "none"
            raise GraderError(f"'{cell}' is not a manually graded answer of {lab} (those: {names})")
        target = known[cell]
        if not 0 <= score <= target.points:
            raise GraderError(f"score {score:g} is outside 0..{target.points:g} for {cell}")
        rows = _grade_rows(gb, lab, student, target)
        if rows is None:
            raise GraderError(f"no graded submission of {lab} by '{student}': autograde it first")
        grade_id, comment_id = rows
        with gb.transaction() as db:
            db.execute(
                "UPDATE grade SET manual_score=?, needs_manual_grade=0 WHERE id=?",
                (score, grade_id),
            )
            if comment_id is not None:
                db.execute(
                    "UPDATE comment SET manual_comment=? WHERE id=?", (comment or None, comment_id)
                )
    return target


def _grade_rows(
    gb: Gradebook, lab: str, student: str, cell: ManualCell
) -> tuple[str, str | None] | None:
    query = (
        "SELECT {table}.id FROM {table} JOIN base_cell bc ON {table}.cell_id = bc.id "
        "JOIN submitted_notebook sn ON {table}.notebook_id = sn.id "
        "JOIN notebook n ON sn.notebook_id = n.id "
        "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
        "JOIN assignment a ON sa.assignment_id = a.id "
        "WHERE a.name=? AND sa.student_id=? AND n.name=? AND bc.name=? AND bc.type=?"
    )
    args = (lab, student, cell.notebook, cell.grade_id)
    grade = gb.db.execute(query.format(table="grade"), (*args, "GradeCell")).fetchone()
    if grade is None:
        grade = gb.db.execute(query.format(table="grade"), (*args, "TaskCell")).fetchone()
    if grade is None:
        return None
    note = gb.db.execute(query.format(table="comment"), (*args, "SolutionCell")).fetchone()
    return str(grade[0]), (str(note[0]) if note else None)


def answer_text(course: Course, student: str, lab: str, cell: ManualCell) -> str:
    """The student's answer as graded (from ``autograded/``), for the person grading it."""
    path = course.autograded(student, lab) / f"{cell.notebook}.ipynb"
    try:
        nb: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "(the graded notebook is not there)"
    for c in nb.get("cells", []):
        if isinstance(c, dict) and C.grade_id(c) == cell.grade_id:
            return C.source(c)
    return "(the answer cell is not in the notebook)"
