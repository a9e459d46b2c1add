"""feedback: one HTML page per student and notebook, written from the gradebook's results.

Shows every test with pass/fail, points and a plain-words message; hidden tests appear by name
and result only (their messages are generic, their code is never read here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from graders import cells as C
from graders.course import Course
from graders.errors import GraderError
from graders.gradebook import Gradebook, LabNotebook
from graders.manual import ManualGrades, manual_grades
from graders.notebooks import write_atomic
from graders.results import NotebookResult, Status, SubmissionResult, TestResult

STATUS_WORDS = {
    "kernel-died": "Your notebook's process stopped before every test could run "
    "(for example os._exit, a crash, or running out of memory). Tests after that point "
    "were not scored.",
    "timeout": "A cell ran longer than the time limit, so the notebook was stopped. "
    "Tests after that point were not scored.",
    "missing-notebook": "The notebook was not found in your submission (check its file name).",
    "malformed-notebook": "The notebook file is damaged (not valid JSON) and could not be run.",
    "not-a-notebook": "The submitted file is not a Jupyter notebook.",
    "unsupported-nbformat": "The notebook uses a very old format; save it with a current Jupyter.",
    "notebook-too-large": "The notebook file is larger than the limit; clear large outputs.",
    "protocol-violation": "Your code interfered with the grader's communication channel.",
    "grader-crashed": "The grader itself failed on this submission; your instructor will look.",
    "memory-limit": "A cell ran out of memory (the sandbox's limit); tests after it may fail.",
    "output-limit": "A cell printed more than the output limit; the rest was dropped.",
    "file-size-limit": "A cell tried to write a file larger than the sandbox's limit.",
    "process-limit": "A cell started more processes than the sandbox allows.",
    "import-error": "A cell could not import a package (it is not installed for grading).",
    "cell-exception": "A cell raised an error while running; the tests after it may fail.",
    "undefined-name": "A test needs a function or variable your notebook never defines.",
}

CSS = """body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;
text-align:left;vertical-align:top}.pass{color:#1a7f37;font-weight:600}.fail{color:#b42318;
font-weight:600}.note{background:#fff4e5;border-left:4px solid #f79009;padding:.6em 1em}
.hidden{color:#666;font-style:italic}pre{background:#f6f8fa;padding:.6em;overflow-x:auto}
.test{border-left:4px solid #888;padding-left:.6em;margin:1em 0}.answer{background:#eef6ff}"""


@dataclass
class FeedbackResult:
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files}


def _status_note(nb: NotebookResult) -> str:
    status = Status.parse(nb.status)
    if status.is_error:
        words = STATUS_WORDS.get(status.detail, "This notebook could not be graded normally.")
        return f'<p class="note"><b>{escape(nb.status)}</b>: {escape(words)}</p>'
    if status.kind == "tampered":
        what = ", ".join(sorted({t.split(":")[0] for t in nb.tampering}))
        return (
            f'<p class="note"><b>{escape(nb.status)}</b>: instructor cells were changed '
            f"({escape(what)}). They were restored from the original before grading; "
            "your instructor sees this note too.</p>"
        )
    return ""


def _cell_errors(nb: NotebookResult) -> str:
    # An unfinished exercise's stub raises a bare NotImplementedError: say that in words.
    errors = [
        "NotImplementedError (an exercise is not done yet)"
        if e.strip().rstrip(":") == "NotImplementedError"
        else e
        for e in nb.cell_errors
    ]
    if not errors:
        return ""
    items = "".join(f"<li><code>{escape(e)}</code></li>" for e in errors)
    return f"<h2>Errors raised by your cells</h2><ul>{items}</ul>"


def _manual(nb: NotebookResult, manual: ManualGrades | None) -> str:
    """Manually graded answers of this notebook: score and comment once given, else waiting."""
    if manual is None:
        return ""
    rows = []
    for cell in [c for c in manual.pending if c.notebook == nb.name]:
        rows.append(f"<tr><td>{escape(cell.grade_id)}</td><td>awaiting grading</td>"
                    f"<td>– / {cell.points:g}</td><td></td></tr>")  # fmt: skip
    for gid, (score, note) in sorted(manual.scores.items()):
        rows.append(f"<tr><td>{escape(gid)}</td><td>graded by your instructor</td>"
                    f"<td>{score:g}</td><td>{escape(note)}</td></tr>")  # fmt: skip
    if not rows:
        return ""
    return (
        "<h2>Answers graded by your instructor</h2><table><thead><tr><th>Answer</th>"
        "<th>Result</th><th>Points</th><th>Comment</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def notebook_title(cells: list[dict[str, Any]], fallback: str) -> str:
    """The first Markdown heading of the notebook (the lab's own title), else ``fallback``."""
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in C.source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or fallback
    return fallback


def _unit_rows(units: list[TestResult]) -> str:
    rows = []
    for t in units:
        mark = '<span class="pass">pass</span>' if t.passed else '<span class="fail">fail</span>'
        name = escape(t.name) + (' <span class="hidden">(hidden test)</span>' if t.hidden else "")
        rows.append(
            f"<tr><td>{name}</td><td>{mark}</td><td>{t.points:g} / {t.max_points:g}</td>"
            f"<td>{escape(t.message)}</td></tr>"
        )
    return "".join(rows)


def annotated(cells: list[dict[str, Any]], spec: LabNotebook, nb: NotebookResult) -> str:
    """The learner's notebook with each test cell's result in place.

    Instructor cells are shown as released (a test cell's public code only: hidden tests never
    appear); the learner's own cells as written, escaped (their Markdown is not rendered as HTML,
    so nothing in an answer runs in the instructor's browser); outputs are left out (they were
    produced while hidden tests ran).
    """
    import markdown

    parts = []
    by_cell: dict[str, list[TestResult]] = {}
    for t in nb.tests:
        by_cell.setdefault(t.cell, []).append(t)
    for cell in cells:
        gid = C.grade_id(cell)
        rec = spec.cells.get(gid or "")
        kind = cell.get("cell_type")
        if rec is not None and rec.locked and kind == "markdown":
            parts.append(f'<div class="md">{markdown.markdown(rec.released_source)}</div>')
        elif rec is not None and rec.test:
            hidden = f" · {rec.hidden_tests} hidden" if rec.hidden_tests else ""
            parts.append(
                f'<div class="test"><pre>{escape(rec.released_source)}</pre>'
                f"<table><tbody>{_unit_rows(by_cell.get(gid or '', []))}</tbody></table>"
                f'<p class="hidden">test cell {escape(gid or "")}{hidden}</p></div>'
            )
        elif rec is not None and rec.locked:
            parts.append(f'<pre class="given">{escape(rec.released_source)}</pre>')
        elif kind == "markdown":
            parts.append(f'<pre class="answer">{escape(C.source(cell))}</pre>')
        elif kind == "code":
            parts.append(f'<pre class="code">{escape(C.source(cell))}</pre>')
    return "<h2>Your notebook, with the results in place</h2>" + "".join(parts)


def render(
    result: SubmissionResult,
    nb: NotebookResult,
    manual: ManualGrades | None = None,
    *,
    title: str | None = None,
    notebook_html: str = "",
) -> str:
    """The feedback page of one notebook: summary on top, then the annotated notebook."""
    rows = []
    for t in nb.tests:
        mark = '<span class="pass">pass</span>' if t.passed else '<span class="fail">fail</span>'
        name = escape(t.name) + (' <span class="hidden">(hidden test)</span>' if t.hidden else "")
        rows.append(
            f"<tr><td>{name}</td><td>{mark}</td><td>{t.points:g} / {t.max_points:g}</td>"
            f"<td>{escape(t.message)}</td></tr>"
        )
    title = f"{title or f'{result.lab} / {nb.name}'} — {result.student}"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{CSS}</style></head><body>
<h1>{escape(title)}</h1>
<p>Score: <b>{nb.total:g} / {nb.possible:g}</b> · status: <code>{escape(nb.status)}</code></p>
{_status_note(nb)}
<table><thead><tr><th>Test</th><th>Result</th><th>Points</th><th>Why</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{_manual(nb, manual)}
{_cell_errors(nb)}
<p>Hidden tests are listed by name and result only.</p>
{notebook_html}</body></html>
"""


def _graded_cells(course: Course, student: str, lab: str, name: str) -> list[dict[str, Any]]:
    """The cells of the graded notebook (empty when it is not there or not a notebook)."""
    path = course.autograded(student, lab) / f"{name}.ipynb"
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


# nbgrader's exchange collects these with a submission; its release_feedback reads them from the
# feedback folder to match each page to the submission it came from.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def feedback(*, course_dir: Path, lab: str, students: list[str] | None = None) -> FeedbackResult:
    """Write ``feedback/<student>/<lab>/<notebook>.html`` for every graded submission.

    The submission's ``timestamp.txt`` and ``submission_secret.txt`` (when collected through
    nbgrader's exchange) are copied alongside, so ``nbgrader release_feedback`` works as is.
    """
    course = Course(Path(course_dir))
    out = FeedbackResult()
    with Gradebook.open_existing(course.gradebook) as gb:
        specs = gb.lab_notebooks(lab)  # a clear error when the lab was never released
        results = gb.results(lab)
        manual = manual_grades(gb, lab)
        graded = sorted({r.student for r in results})
        for name in students or []:
            if name not in graded:
                raise GraderError(gb.unknown(f"graded submission of {lab} by", name, graded))
    for result in results:
        if students is not None and result.student not in students:
            continue
        for nb in result.notebooks:
            path = course.feedback(result.student, lab) / f"{nb.name}.html"
            cells = _graded_cells(course, result.student, lab, nb.name)
            spec = specs.get(nb.name)
            page = render(
                result,
                nb,
                manual.get(result.student),
                title=notebook_title(cells, f"{lab} / {nb.name}"),
                notebook_html=annotated(cells, spec, nb) if spec and cells else "",
            )
            write_atomic(path, page)
            out.files.append(str(path))
        for name in EXCHANGE_FILES:
            src = course.submitted(result.student, lab) / name
            if src.is_file() and not src.is_symlink():
                write_atomic(course.feedback(result.student, lab) / name, src.read_text())
    return out
