"""Figures in the text come from results files: the placeholder, the build, cards and exports."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "hooks"))
sys.path.insert(0, str(ROOT / "site" / "tools"))

import anki_export  # noqa: E402
import course_cards  # noqa: E402
import course_figures  # noqa: E402
import qti_export  # noqa: E402

DEMO = {
    "meta": {"command": "python benchmarks/demo.py --seed 0", "seed": 0, "preset": "tiny"},
    "figures": {"rf": {"ap": 0.71234, "recall": 0.4117}, "base_rate": 0.0085},
}
LESSON = """# Demo lesson

The forest reaches AP {{ demo.rf.ap }} and recall {{ demo.rf.recall | .1% }}.

```mermaid
flowchart LR
    T{{Trigger:<br/>schedule}} --> P
```
"""
QUIZ = """# Quiz · Demo

<quiz>
What AP does the forest reach?
- [x] {{ demo.rf.ap | .2f }}
> Right: seed {{ demo.meta.seed | .0f }}.
- [ ] 0.5
> That is random ranking's AUC, not AP.
</quiz>
"""
CARDS = """deck: "0 · Demo"
cards:
  - id: forest-ap
    q: "What AP does the forest reach?"
    a: "{{ demo.rf.ap | .2f }}, above the base rate {{ demo.base_rate | .2% }}."
"""


def _course(root: Path, *, lesson: str = LESSON, quiz: str = QUIZ, cards: str = CARDS) -> Path:
    course = root / "course"
    (course / "_data").mkdir(parents=True)
    (course / "00-demo").mkdir()
    (course / "_data" / "demo.json").write_text(json.dumps(DEMO))
    (course / "index.md").write_text("# Home\n")
    (course / "00-demo" / "index.md").write_text(lesson)
    (course / "00-demo" / "quiz.md").write_text(quiz)
    (course / "00-demo" / "flashcards.yml").write_text(cards)
    return course


def _config(tmp_path: Path, course: Path) -> Path:
    config = tmp_path / "mkdocs.yml"
    hooks = [ROOT / "site/hooks/figures.py", ROOT / "site/hooks/learning.py"]
    config.write_text(
        f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {course}\n"
        f"hooks: [{', '.join(str(h) for h in hooks)}]\n"
        f"theme: {{custom_dir: {ROOT / 'site/overrides'}}}\n"
        "nav: [index.md, 00-demo/index.md, 00-demo/quiz.md]\n"
    )
    return config


def _results() -> dict[str, course_figures.ResultsFile]:
    return {
        "demo": course_figures.ResultsFile("demo", Path("demo.json"), DEMO["meta"], DEMO["figures"])
    }


@pytest.mark.parametrize(
    ("placeholder", "shown"),
    [
        ("{{ demo.rf.ap }}", "0.712"),
        ("{{ demo.rf.ap | .2f }}", "0.71"),
        ("{{demo.rf.recall|.1%}}", "41.2 %"),
        ("{{ demo.base_rate | .2% }}", "0.85 %"),
        ("{{ 1 - 0.005 / demo.base_rate | .0% }}", "41 %"),
        ("{{ abs(demo.rf.recall - demo.rf.ap) | .3f }}", "0.301"),
        ("{{ demo.meta.seed | .0f }}", "0"),
    ],
)
def test_a_placeholder_shows_the_figure_in_the_requested_format(
    placeholder: str, shown: str
) -> None:
    """Does each placeholder form render the committed number, formatted as the text asks?"""
    assert course_figures.render(f"x {placeholder} y", _results(), where="t.md") == f"x {shown} y"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ok\n\nAP {{ demo.rf.auc }}", "t.md:3: unknown figure 'demo.rf.auc' in demo.json"),
        ("{{ demo.rf.app }}", "did you mean demo.rf.ap?"),
        ("{{ models.rf.ap }}", "t.md:1: unknown results file 'models'"),
        ("{{ demo.rf.ap | .2q }}", "t.md:1: bad format '.2q'"),
        ("{{ demo.rf.ap + }}", "t.md:1: cannot read placeholder"),
        ("{{ demo.rf.ap.__class__ }}", "unknown figure"),
        ("{{ demo.rf }}", "is {'ap'"),
        ("{{ __import__('os').system('true') }}", "t.md:1:"),
    ],
)
def test_a_bad_placeholder_names_file_and_line(text: str, message: str) -> None:
    """Is a figure that does not exist (or a bad placeholder) an error where the text is?"""
    with pytest.raises(course_figures.FiguresError) as err:
        course_figures.render(text, _results(), where="t.md")
    assert message in str(err.value)


@pytest.mark.parametrize(
    "text", ["T{{Trigger:<br/>schedule}} --> P", "python-version: ${{ matrix.python }}"]
)
def test_mermaid_hexagons_and_actions_expressions_are_not_placeholders(text: str) -> None:
    """Do `{{Label}}` in a mermaid diagram and `${{ … }}` in a workflow stay as written?"""
    assert course_figures.render(text, _results(), where="t.md") == text


def test_the_built_site_shows_figures_in_lessons_quizzes_and_cards(
    tmp_path: Path, mkdocs_build
) -> None:
    """Do the lesson, the quiz (mkdocs-quiz) and the study page show numbers, not placeholders?"""
    course = _course(tmp_path)
    proc = mkdocs_build(tmp_path / "out", _config(tmp_path, course))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lesson = (tmp_path / "out" / "00-demo" / "index.html").read_text()
    quiz = (tmp_path / "out" / "00-demo" / "quiz.html").read_text()
    cards = (tmp_path / "out" / "00-demo" / "flashcards.html").read_text()
    assert "AP 0.712 and recall 41.2 %" in lesson
    assert "Trigger:" in lesson  # the mermaid node survived
    assert "0.71" in quiz and "seed 0." in quiz
    assert "0.71, above the base rate 0.85 %" in cards
    for page in (lesson, quiz, cards):
        assert "demo.rf" not in page


@pytest.mark.parametrize("where", ["lesson", "quiz", "cards"])
def test_an_unknown_figure_fails_the_strict_build_naming_file_and_line(
    tmp_path: Path, mkdocs_build, where: str
) -> None:
    """Does `mkdocs build` stop at a placeholder naming a figure no results file holds?"""
    bad = {
        "lesson": {"lesson": "# Demo\n\nAP {{ demo.rf.typo }}\n"},
        "quiz": {"quiz": QUIZ.replace("demo.meta.seed", "demo.rf.typo")},
        "cards": {"cards": CARDS.replace("demo.base_rate", "demo.rf.typo")},
    }[where]
    course = _course(tmp_path, **bad)
    proc = mkdocs_build(tmp_path / "out", _config(tmp_path, course))
    assert proc.returncode != 0
    expected = {
        "lesson": "course/00-demo/index.md:3: unknown figure 'demo.rf.typo'",
        "quiz": "course/00-demo/quiz.md:6: unknown figure 'demo.rf.typo'",
        "cards": f"{course}/00-demo/flashcards.yml:5: unknown figure 'demo.rf.typo'",
    }[where]
    assert expected in proc.stderr, proc.stderr[-2000:]


def test_a_card_with_an_unknown_figure_is_a_cards_error(tmp_path: Path) -> None:
    """Do the Anki/QTI tools see the same error as the site (they read decks the same way)?"""
    course = _course(tmp_path, cards=CARDS.replace("demo.rf.ap", "demo.rf.nope"))
    with pytest.raises(course_cards.CardsError, match=r"flashcards.yml:5: unknown figure"):
        course_cards.load_course(course)


def test_anki_and_qti_exports_carry_the_numbers(tmp_path: Path) -> None:
    """Does a learner who studies in Anki or takes the quiz in Canvas see figures, not braces?"""
    course = _course(tmp_path)
    anki_export.export(course, tmp_path / "anki")
    with zipfile.ZipFile(tmp_path / "anki" / "00-demo.apkg") as zf:
        zf.extract("collection.anki2", tmp_path)
    fields = [
        r[0]
        for r in sqlite3.connect(tmp_path / "collection.anki2").execute("select flds from notes")
    ]
    assert any("0.71, above the base rate 0.85 %" in f for f in fields), fields
    qti_export.export(course, tmp_path / "qti")
    with zipfile.ZipFile(tmp_path / "qti" / "00-demo-qti1.2.zip") as zf:
        xml = " ".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".xml"))
    assert "0.71" in xml and "{{" not in xml


def test_a_results_file_without_its_command_is_refused(tmp_path: Path) -> None:
    """Can a figure file that does not say what wrote it feed the text? (It must not.)"""
    course = _course(tmp_path)
    (course / "_data" / "demo.json").write_text(json.dumps({"meta": {}, "figures": {"a": 1}}))
    with pytest.raises(course_figures.FiguresError, match="meta.command"):
        course_figures.load_results(course)


@pytest.mark.parametrize("tool", ["anki_export.py", "qti_export.py"])
def test_the_export_tools_run_as_scripts_on_the_course(tool: str, tmp_path: Path) -> None:
    """Do `make cards` / `make qti` (a script run, not an import) export the real course?"""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "site" / "tools" / tool), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "hands-on-mlops" in proc.stdout
