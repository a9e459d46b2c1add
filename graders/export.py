"""export: the gradebook as CSV (one row per student, a score and a status column per lab) and
as a Canvas gradebook-import CSV.

An ungradable submission (kernel died, timeout, missing or malformed notebook, ...) never appears
as a silent 0: our CSV carries its status, and the Canvas file leaves its cell empty so that no
grade is imported for it. Errors that leave the score meaningful (a limit hit, an exception in a
student cell) export their score, with the status in our CSV.

Every cell is written as text a spreadsheet will not evaluate: a student id such as
``=HYPERLINK(...)`` (or one starting with ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading single quote, as OWASP recommends against CSV injection; a line break inside a cell is
always quoted, so no cell can start a row of its own.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.course import Course
from graders.gradebook import Gradebook
from graders.manual import ManualGrades, manual_cells, manual_grades
from graders.notebooks import write_atomic
from graders.results import SubmissionResult, is_ungraded

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180 line ends: the writer then quotes a cell holding a lone CR, which with "\n" alone
# it leaves bare, and spreadsheets read as the start of a new row (a row of the student's).
CRLF = "\r\n"


def safe_cell(value: Any) -> str:
    """``value`` as a CSV cell that no spreadsheet reads as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _row(cells: list[Any]) -> list[str]:
    return [safe_cell(cell) for cell in cells]


@dataclass
class ExportResult:
    files: list[str] = field(default_factory=list)
    students: int = 0
    labs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "students": self.students, "labs": self.labs}


def _table(
    results: list[SubmissionResult],
) -> tuple[list[str], list[str], dict[tuple[str, str], SubmissionResult]]:
    cells = {(r.student, r.lab): r for r in results}
    students = sorted({r.student for r in results})
    labs = sorted({r.lab for r in results})
    return students, labs, cells


Manual = dict[tuple[str, str], ManualGrades]


def grades_csv(results: list[SubmissionResult], manual: Manual | None = None) -> str:
    """One row per student: per lab the score (automatic + manual points given), the status and
    the points still awaiting manual grading (the score is partial until that is 0)."""
    students, labs, cells = _table(results)
    manual = manual or {}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CRLF)
    header = [c for lab in labs for c in (lab, f"{lab}_status", f"{lab}_manual_pending")]
    writer.writerow(_row(["student", *header]))
    for s in students:
        row: list[Any] = [s]
        for lab in labs:
            r = cells.get((s, lab))
            m = manual.get((s, lab), ManualGrades())
            if r:
                row += [f"{r.total + m.given:g}", r.status, f"{m.pending_points:g}"]
            else:
                row += ["", "not-graded", ""]
        writer.writerow(_row(row))
    return buf.getvalue()


def canvas_csv(
    results: list[SubmissionResult], possible: dict[str, float], manual: Manual | None = None
) -> str:
    """Canvas's gradebook import: a cell stays empty while the score is not final (ungradable
    submission, or answers still awaiting manual grading)."""
    students, labs, cells = _table(results)
    manual = manual or {}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CRLF)
    writer.writerow(_row([*CANVAS_FIXED, *labs]))
    points = [f"{possible.get(lab, 0):g}" for lab in labs]
    writer.writerow(_row(["Points Possible", "", "", "", "", *points]))
    for s in students:
        scores = []
        for lab in labs:
            r = cells.get((s, lab))
            m = manual.get((s, lab), ManualGrades())
            final = r is not None and not is_ungraded(r.status) and not m.pending
            scores.append(f"{r.total + m.given:g}" if final and r is not None else "")
        writer.writerow(_row([s, "", "", s, "", *scores]))
    return buf.getvalue()


def export(*, course_dir: Path, out_dir: Path | None = None) -> ExportResult:
    """Write ``grades.csv`` and ``canvas.csv`` (default folder: ``<course>/exports``)."""
    course = Course(Path(course_dir))
    out_dir = Path(out_dir) if out_dir else course.root / "exports"
    with Gradebook.open_existing(course.gradebook) as gb:
        results = gb.results()
        possible = {
            lab: sum(nb.possible for nb in gb.lab_notebooks(lab).values())
            + sum(c.points for c in manual_cells(gb, lab))
            for lab in gb.labs()
        }
        manual = {
            (student, lab): grades
            for lab in gb.labs()
            for student, grades in manual_grades(gb, lab).items()
        }
    result = ExportResult(students=len({r.student for r in results}), labs=sorted(possible))
    for name, text in (
        ("grades.csv", grades_csv(results, manual)),
        ("canvas.csv", canvas_csv(results, possible, manual)),
    ):
        write_atomic(out_dir / name, text)
        result.files.append(str(out_dir / name))
    return result
