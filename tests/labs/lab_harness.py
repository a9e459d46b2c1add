"""Run a lab folder through the grading engine as CI does: release, grade, check.

Reusable for every `labs/labNN_slug/` folder (a source notebook `labNN_slug.ipynb`, a
`manifest.yml`, optional tiny fixtures). A unique module name: `conftest` is ambiguous.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graders import cells as C
from graders.autograde import autograde
from graders.config import GradeConfig
from graders.release import ReleaseResult, release

ROOT = Path(__file__).resolve().parents[2]
LABS = ROOT / "labs"
LAB_DIR = re.compile(r"^lab\d{2}_[a-z0-9_]+$")
# Instructor-side files, never handed to learners.
NOT_RELEASED = {"manifest.yml", "mutants.yml", "walkthrough.yml"}
MANIFEST_KEYS = {"title", "module", "expected_minutes", "points", "runtime_budget_s"}
SOLVED, BLANK, MUTANT = "solved", "blank", "mutant"


def lab_folders(labs_dir: Path = LABS) -> list[Path]:
    """Every `labs/labNN_slug/` folder that holds its source notebook."""
    if not labs_dir.is_dir():
        return []
    return sorted(
        p for p in labs_dir.iterdir() if LAB_DIR.match(p.name) and (p / f"{p.name}.ipynb").is_file()
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    data = yaml.safe_load((folder / "manifest.yml").read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def read_nb(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_nb(nb: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def secret_lines(nb: dict[str, Any], min_len: int = 12) -> set[str]:
    """Lines of solutions and hidden tests that appear nowhere else in the source notebook.

    Lines shared with public text (a `return out`, a blank) cannot prove a leak, so they are left
    out; what remains must not occur anywhere in the released folder.
    """
    secret: set[str] = set()
    public: set[str] = set()
    for cell in nb["cells"]:
        text = C.source(cell)
        kept, _ = C.replace_regions(text, C.BEGIN_SOLUTION, C.END_SOLUTION, None)
        kept, _ = C.replace_regions(kept, C.BEGIN_HIDDEN, C.END_HIDDEN, None)
        public.update(line.strip() for line in kept.split("\n"))
        for begin, end in ((C.BEGIN_SOLUTION, C.END_SOLUTION), (C.BEGIN_HIDDEN, C.END_HIDDEN)):
            inside = False
            for line in text.split("\n"):
                if C.has_marker(line, begin):
                    inside = True
                elif C.has_marker(line, end):
                    inside = False
                elif inside and len(line.strip()) >= min_len:
                    secret.add(line.strip())
    return secret - public


def released_lines(path: Path) -> set[str]:
    """Stripped lines of a released file; a notebook's cell sources and outputs, line by line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        parts = []
        for cell in json.loads(text)["cells"]:
            parts.append(C.source(cell))
            parts.extend(json.dumps(out) for out in cell.get("outputs", []))
        text = "\n".join(parts)
    return {line.strip() for line in text.split("\n")}


def read_mutants(folder: Path) -> dict[str, str]:
    """Plausible wrong answers by grade_id (`mutants.yml`, optional): each passes the public test
    of its exercise, and a hidden test must catch it."""
    path = folder / "mutants.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return {str(k): str(v) for k, v in (data or {}).items()}


def exercise_test_id(nb: dict[str, Any], grade_id: str) -> str:
    """The grade_id of the first test cell after the cell ``grade_id`` (its exercise's test)."""
    ids = [C.grade_id(c) for c in nb["cells"]]
    for cell in nb["cells"][ids.index(grade_id) + 1 :]:
        if C.is_test(cell):
            return str(C.grade_id(cell))
    raise LookupError(f"no test cell after {grade_id}")


def solved_submission(
    source: dict[str, Any], released: dict[str, Any], override: dict[str, str] | None = None
) -> dict[str, Any]:
    """The released notebook, every solution cell answered as in the source: a perfect learner
    (``override`` replaces some answers, e.g. by mutants)."""
    answers = {C.grade_id(c): C.source(c) for c in source["cells"] if C.is_solution(c)}
    answers.update(override or {})
    nb = copy.deepcopy(released)
    for cell in nb["cells"]:
        gid = C.grade_id(cell)
        if gid in answers:
            cell["source"] = answers[gid]
    return nb


@dataclass
class LabRun:
    """Everything CI learns about one lab."""

    folder: Path
    manifest: dict[str, Any]
    course: Path
    source: dict[str, Any]
    released: dict[str, Any]
    release: ReleaseResult
    results: dict[str, Any] = field(default_factory=dict)  # SOLVED/BLANK -> NotebookResult
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def release_dir(self) -> Path:
        return self.course / "release" / self.name

    def manual_cells(self) -> dict[str, float]:
        """Graded cells a human scores (Markdown answers and tasks), with their points."""
        return {
            str(C.grade_id(c)): C.points(c)
            for c in self.source["cells"]
            if (C.is_grade(c) or C.is_task(c)) and not C.is_test(c)
        }

    def needs_manual_grade(self, student: str) -> dict[str, bool]:
        """nbgrader's `grade.needs_manual_grade` per cell name, as formgrader will read it."""
        with sqlite3.connect(self.course / "gradebook.db") as db:
            rows = db.execute(
                "SELECT base_cell.name, grade.needs_manual_grade FROM grade"
                " JOIN base_cell ON base_cell.id = grade.cell_id"
                " JOIN submitted_notebook ON submitted_notebook.id = grade.notebook_id"
                " JOIN submitted_assignment ON submitted_assignment.id ="
                " submitted_notebook.assignment_id"
                " WHERE submitted_assignment.student_id = ?",
                (student,),
            ).fetchall()
        return {name: bool(flag) for name, flag in rows}


def run_lab(folder: Path, tmp: Path, config: GradeConfig | None = None) -> LabRun:
    """Release ``folder`` into a fresh course, then autograde a solved and a blank submission."""
    name = folder.name
    course = tmp / "course"
    src = course / "source" / name
    src.mkdir(parents=True)
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and rel.name not in NOT_RELEASED and "__pycache__" not in rel.parts:
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / rel)
    result = release(course_dir=course, lab=name)
    source = read_nb(folder / f"{name}.ipynb")
    released = read_nb(course / "release" / name / f"{name}.ipynb")
    run = LabRun(folder, read_manifest(folder), course, source, released, result)
    submissions = {SOLVED: solved_submission(source, released), BLANK: released}
    mutants = read_mutants(folder)
    if mutants:
        submissions[MUTANT] = solved_submission(source, released, mutants)
    for student, nb in submissions.items():
        shutil.copytree(course / "release" / name, course / "submitted" / student / name)
        write_nb(nb, course / "submitted" / student / name / f"{name}.ipynb")
    config = config or GradeConfig.from_settings()
    # One autograde run, two workers (as an instructor grades a cohort): the solved notebook and
    # the mutants, the two long ones, grade side by side; each notebook's own grading time is
    # what the runtime budget is checked against.
    outcome = autograde(
        course_dir=course, lab=name, students=list(submissions), workers=2, config=config
    )
    for sub in outcome.results:
        (run.results[sub.student],) = sub.notebooks
        run.seconds[sub.student] = round(sub.notebooks[0].duration_s, 2)
    assert run.results.keys() == submissions.keys(), sorted(run.results)
    return run


def record_runtime(run: LabRun, path: Path) -> None:
    """Merge this lab's CI run time into a JSON report (the lead's per-lab figures)."""
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[run.name] = {
        "solved_s": run.seconds.get(SOLVED),
        "blank_s": run.seconds.get(BLANK),
        "mutant_s": run.seconds.get(MUTANT),
        "points": run.release.notebooks[0].points,
        "tests": run.release.notebooks[0].tests,
        "hidden_tests": run.release.notebooks[0].hidden_tests,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
