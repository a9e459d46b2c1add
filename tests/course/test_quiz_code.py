"""Code-reading quiz questions: the snippet a question shows is a file of `course/_code/` (included
with `--8<--`, never pasted), and the right option states exactly what that file prints, so a change
to the code that changes its output fails here until the question follows."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
CODE = COURSE / "_code"
QUIZ = re.compile(r"<quiz>(.*?)</quiz>", re.S)
OPTION = re.compile(r"^[-*] \[([xX ]?)\] (.+)$", re.M)
INCLUDE = re.compile(r'^--8<-- "(course/_code/[\w.]+)"$', re.M)
SPAN = re.compile(r"`([^`]+)`")


def printed(path: Path) -> list[str]:
    """What running the snippet prints, line by line (run in this process: they are tiny)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return out.getvalue().strip().splitlines()


def code_questions() -> list[tuple[str, str, str]]:
    """(quiz file, snippet path, question block) of every question that includes a snippet."""
    found = []
    for quiz in sorted(COURSE.glob("*/quiz.md")):
        for block in QUIZ.findall(quiz.read_text(encoding="utf-8")):
            for include in INCLUDE.findall(block):
                found.append((quiz.parent.name, include, block))
    return found


def claim_problems(block: str, output: list[str]) -> list[str]:
    """Does the question's one right option start with the output, one code span per line?"""
    options = OPTION.findall(block)
    right = [text for mark, text in options if mark.strip()]
    if len(right) != 1:
        return [f"a code-reading question needs one right option, found {len(right)}"]
    spans = SPAN.findall(right[0])
    if spans[: len(output)] != output:
        return [f"the right option says {spans[: len(output)]}, the code prints {output}"]
    return []


QUESTIONS = code_questions()


# Modules written after the code-reading questions (issue 23) whose quizzes do not have one yet.
# The test fails once one of them has one, so the list only shrinks.
PENDING: set[str] = set()


def test_every_module_has_a_code_reading_question_and_every_snippet_is_used() -> None:
    """Does each module's quiz ask to read code, and is no file of course/_code/ left unused?"""
    modules = {p.parent.name for p in COURSE.glob("[0-9][0-9]-*/quiz.md")}
    with_code = {module for module, _, _ in QUESTIONS}
    assert with_code == modules - PENDING, f"missing: {sorted(modules - PENDING - with_code)}"
    assert not with_code & PENDING, f"remove from PENDING: {sorted(with_code & PENDING)}"
    assert {include for _, include, _ in QUESTIONS} == {
        f"course/_code/{p.name}" for p in CODE.glob("*.py")
    }


@pytest.mark.parametrize(("module", "include", "block"), QUESTIONS, ids=[q[1] for q in QUESTIONS])
def test_the_right_option_is_what_the_code_prints(module: str, include: str, block: str) -> None:
    """Run the snippet: does the right option state exactly its output?"""
    problems = claim_problems(block, printed(ROOT / include))
    assert problems == [], f"{module}/quiz.md ({include}): {problems}"


def test_the_check_catches_a_right_option_that_misstates_the_output() -> None:
    """A planted question claims the wrong output, or marks two options right: is it caught?"""
    block = (
        "What does it print?\n"
        "- [x] `True False True`: NaN passes\n> Right.\n"
        "- [ ] `True False False`: NaN fails\n> No.\n"
    )
    output = ["True False True"]
    assert claim_problems(block, output) == []
    assert claim_problems(block, ["True False False"]) != []
    assert claim_problems(block.replace("- [ ]", "- [x]"), output) != []


def test_the_qti_export_carries_the_snippet_not_the_include_line(tmp_path: Path) -> None:
    """Does a quiz exported for Canvas/Moodle show the code a question asks about?"""
    import shutil
    import sys
    import zipfile

    sys.path.insert(0, str(ROOT / "site" / "tools"))
    import qti_export

    docs = tmp_path / "course"
    (docs / "06-serving").mkdir(parents=True)
    shutil.copy(COURSE / "06-serving" / "quiz.md", docs / "06-serving" / "quiz.md")
    shutil.copytree(COURSE / "_data", docs / "_data")
    written = qti_export.export(docs, tmp_path / "qti")
    with zipfile.ZipFile(written[0][0]) as package:
        items = "".join(package.read(n).decode() for n in package.namelist() if "items/" in n)
    assert "def valid_amount(amount: float)" in items  # the snippet's code, included
    assert "--8&lt;--" not in items and "--8<--" not in items
