"""The printable lab book: a PDF with a cover, a table of contents and numbered headings."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import background
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "tools"))

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_make_book_prints_lessons_with_cover_and_numbered_headings(needs_tool: Any) -> None:
    """Does the lab book tool produce a multi-page PDF of the lessons, without study tools?"""
    import labbook

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        needs_tool("browser", "chromium missing: run `make sysdeps` as root")
    done = background.result("labbook")  # `site/tools/labbook.py`, started when the run began
    assert done.returncode == 0, done.stderr[-2000:]
    assert "lab book:" in done.stdout
    pdf = (done.work / "labbook.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 10
    page = (labbook.WORK / "site" / "print_page.html").read_text(encoding="utf-8")
    assert 'id="print-site-cover-page"' in page and "print-site-enumerate-headings" in page
    assert "What is MLOps" in page
    assert 'class="lf-study"' not in page and 'id="lf-progress"' not in page
    assert "(instructors)" not in page  # e.g. "Workshop plans (instructors)": answers to labs


@pytest.fixture(scope="module")
def fixture_book(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The print page of the fixture course's lab book (built once for this module's tests)."""
    import labbook

    work = tmp_path_factory.mktemp("book")
    page = labbook.build_print_site(ROOT / "tests" / "site" / "fixtures" / "mkdocs.yml", work)
    return page.read_text(encoding="utf-8")


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    end = html.find('<section class="print-page"', start)
    return html[start : end if end >= 0 else None]


def test_the_lab_book_holds_the_rendered_labs_without_widgets(fixture_book: str) -> None:
    """Are labs printed as rendered notebooks (no placeholder), with no study buttons?"""
    html = fixture_book
    assert "Tuning a fraud threshold" in html and "jupyter-wrapper" in html
    assert 'class="lf-notebook"' not in html and "secret_solution_marker" not in html
    for widget in ("lf-lesson-done", "lf-lab-done", "lf-module-progress", 'class="lf-study"'):
        assert widget not in html


def test_the_lab_book_prints_quizzes_without_answers_and_a_key_at_the_end(
    fixture_book: str,
) -> None:
    """Does the book print each quiz question with lettered options but no marks, inputs or
    explanations, and end with an answer key giving the right letters and their explanations?"""
    quiz = _section(fixture_book, "00-demo-quiz")
    assert "<strong>Question 1.</strong> Which component keeps each trained model" in quiz
    assert "<strong>A.</strong> A feature store" in quiz and "<strong>B.</strong> A " in quiz
    assert not re.search(r'<input\b|data-correct="true"\s*>|- \[x\]', quiz)  # (its JS may name it)
    assert "the registry stores the artifact" not in quiz  # the right option's explanation
    assert "keeps features, not models" not in quiz  # a wrong option's explanation
    key = _section(fixture_book, "answer-key")
    assert fixture_book.rindex('<section class="print-page"') == fixture_book.index(
        '<section class="print-page" id="answer-key"'
    )  # the last page of the book
    assert re.search(r"<li><strong>B</strong>: the registry stores the artifact", key)
    assert re.search(r"<li><strong>A</strong></li>", key)  # question 2: 'Data drift'
