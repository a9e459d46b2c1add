"""The printable lab book: a PDF with a cover, a table of contents and numbered headings."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "tools"))

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_make_book_prints_lessons_with_cover_and_numbered_headings(
    tmp_path: Path, needs_tool: Any
) -> None:
    """Does the lab book tool produce a multi-page PDF of the lessons, without study tools?"""
    import labbook

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        needs_tool("browser", "chromium missing: run `make sysdeps` as root")
    out = tmp_path / "labbook.pdf"
    assert labbook.main(["--out", str(out), "--chromium", str(chromium)]) == 0
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 10
    page = (labbook.WORK / "site" / "print_page.html").read_text(encoding="utf-8")
    assert 'id="print-site-cover-page"' in page and "print-site-enumerate-headings" in page
    assert "What is MLOps" in page
    assert 'class="lf-study"' not in page and 'id="lf-progress"' not in page


def test_the_lab_book_holds_the_rendered_labs_without_widgets(tmp_path: Path) -> None:
    """Are labs printed as rendered notebooks (no placeholder), with no study buttons?"""
    import labbook

    page = labbook.build_print_site(ROOT / "tests" / "site" / "fixtures" / "mkdocs.yml", tmp_path)
    html = page.read_text(encoding="utf-8")
    assert "Tuning a fraud threshold" in html and "jupyter-wrapper" in html
    assert 'class="lf-notebook"' not in html and "secret_solution_marker" not in html
    for widget in ("lf-lesson-done", "lf-lab-done", "lf-module-progress", 'class="lf-study"'):
        assert widget not in html
