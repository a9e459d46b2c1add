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


def grades_csv(results: list[SubmissionResult]) -> str:
    students, labs, cells = _table(results)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CRLF)
    writer.writerow(_row(["student", *[c for lab in labs for c in (lab, f"{lab}_status")]]))
    for s in students:
        row: list[Any] = [s]
        for lab in labs:
            r = cells.get((s, lab))
            row += [f"{r.total:g}", r.status] if r else ["", "not-graded"]
        writer.writerow(_row(row))
    return buf.getvalue()


def canvas_csv(results: list[SubmissionResult], possible: dict[str, float]) -> str:
    students, labs, cells = _table(results)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=CRLF)
    writer.writerow(_row([*CANVAS_FIXED, *labs]))
    points = [f"{possible.get(lab, 0):g}" for lab in labs]
    writer.writerow(_row(["Points Possible", "", "", "", "", *points]))
    for s in students:
        scores = []
        for lab in labs:
            r = cells.get((s, lab))
            scores.append("" if r is None or is_ungraded(r.status) else f"{r.total:g}")
        writer.writerow(_row([s, "", "", s, "", *scores]))
    return buf.getvalue()


def export(*, course_dir: Path, out_dir: Path | None = None) -> ExportResult:
    """Write ``grades.csv`` and ``canvas.csv`` (default folder: ``<course>/exports``)."""
    course = Course(Path(course_dir))
    out_dir = Path(out_dir) if out_dir else course.root / "exports"
    with Gradebook.open_existing(course.gradebook) as gb:
        results = gb.results()
        possible = {
            lab: sum(nb.possible for nb in gb.lab_notebooks(lab).values()) for lab in gb.labs()
        }
    result = ExportResult(students=len({r.student for r in results}), labs=sorted(possible))
    for name, text in (
        ("grades.csv", grades_csv(results)),
        ("canvas.csv", canvas_csv(results, possible)),
    ):
        write_atomic(out_dir / name, text)
        result.files.append(str(out_dir / name))
    return result
