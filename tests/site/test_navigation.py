"""Learners and instructors: two paths through the built site's navigation.

A learner's path (the modules, whatever their number, the labs, the study aids) holds no
instructor page; the instructors' section comes last and reaches every instructor page.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
sys.path.insert(0, str(ROOT / "site" / "hooks"))

import audiences  # noqa: E402


class PrimaryNav(HTMLParser):
    """Material's primary navigation: [(top-level label, [page hrefs under it])]."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[tuple[str, list[str]]] = []
        self.stack: list[str] = []  # open <nav>/<li> tags from the primary nav down
        self.li = 0  # <li> depth inside the primary nav
        self.skip = 0  # inside a page's table of contents (md-nav--secondary)
        self.want_label = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if not self.stack:
            if tag == "nav" and "md-nav--primary" in cls and not self.done:
                self.stack.append(tag)
            return
        if tag in ("nav", "li"):
            self.stack.append(tag)
        if tag == "nav" and "md-nav--secondary" in cls:
            self.skip = len(self.stack)
        if self.skip:
            return
        if tag == "li":
            self.li += 1
            if self.li == 1:
                self.sections.append(("", []))
                self.want_label = True
        elif tag == "a" and self.li and "md-nav__link" in cls:
            href = dict(attrs).get("href") or ""
            if href and not href.startswith("#"):
                self.sections[-1][1].append(href)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or tag not in ("nav", "li"):
            return
        if self.skip == len(self.stack):
            self.skip = 0
        if tag == "li" and not self.skip:
            self.li -= 1
        self.stack.pop()
        self.done = not self.stack  # the primary nav closed: stop listening

    def handle_data(self, data: str) -> None:
        if self.stack and self.want_label and data.strip() and not self.skip:
            label, links = self.sections[-1]
            self.sections[-1] = (data.strip(), links)
            self.want_label = False


def _sections(built_site: Path) -> list[tuple[str, list[str]]]:
    parser = PrimaryNav()
    parser.feed((built_site / "index.html").read_text(encoding="utf-8"))
    return parser.sections


def _instructor_pages() -> set[str]:
    pages = {p.relative_to(COURSE).as_posix() for p in COURSE.rglob("*.md")}
    return {p.removesuffix(".md") + ".html" for p in pages if audiences.is_instructor_page(p)}


def test_the_rule_names_the_instructor_pages() -> None:
    """Does the rule catch instructors/ and instructors.md pages, and no lesson?"""
    assert audiences.is_instructor_page("instructors/hub.md")
    assert audiences.is_instructor_page("project/instructors.md")
    assert not audiences.is_instructor_page("project/index.md")
    assert not audiences.is_instructor_page("09-capstone/02-review-audit-and-grade.md")
    assert "project/instructors.html" in _instructor_pages()


def test_the_hook_puts_instructors_last_before_only_the_books_answer_key(tmp_path: Path) -> None:
    """After the sections other hooks append, before the printed book's answer key, with any
    unlisted instructors/*.md page added?"""
    (tmp_path / "instructors").mkdir()
    for name in ("hub.md", "new-workshop.md"):
        (tmp_path / "instructors" / name).write_text("# x\n")
    nav = [
        "index.md",
        {audiences.INSTRUCTORS: [{"Hub": "instructors/hub.md"}]},
        {"Labs": ["labs/index.md"]},
        {"Glossary": "glossary.md"},
        {"Answer key": "answer-key.md"},
    ]
    audiences.on_config({"nav": nav, "docs_dir": str(tmp_path)})
    assert [next(iter(i)) if isinstance(i, dict) else i for i in nav] == [
        "index.md", "Labs", "Glossary", audiences.INSTRUCTORS, "Answer key"
    ]  # fmt: skip
    assert nav[3][audiences.INSTRUCTORS][-1] == "instructors/new-workshop.md"


@pytest.mark.slow
def test_the_learner_path_holds_no_instructor_page(built_site: Path) -> None:
    """Modules, labs, study aids: all in the learner's nav, and no instructor page among them?"""
    sections = _sections(built_site)
    labels = [label for label, _ in sections]
    assert labels[-1] == audiences.INSTRUCTORS, labels
    learner = [href for _, links in sections[:-1] for href in links]
    leaked = [href for href in learner if audiences.is_instructor_page(href)]
    assert not leaked, f"instructor pages in the learners' navigation: {leaked}"
    modules = sorted(p.parent.name for p in COURSE.glob("[0-9][0-9]-*/index.md"))
    assert len(modules) >= 8, modules
    expected = [f"{m}/index.html" for m in modules] + [f"{m}/quiz.html" for m in modules]
    expected += [
        f"{p.parent.name}/flashcards.html" for p in COURSE.glob("[0-9][0-9]-*/flashcards.yml")
    ]
    expected += ["labs/index.html", "progress.html", "glossary.html"]
    expected += [
        f"labs/{p.name}.html" for p in (ROOT / "labs").glob("lab[0-9][0-9]_*") if p.is_dir()
    ]
    missing = [page for page in expected if page not in learner]
    assert not missing, f"not in the learners' navigation: {missing}"


@pytest.mark.slow
def test_every_instructor_page_is_in_the_instructors_section(built_site: Path) -> None:
    """Is every instructor page reachable from "For instructors", and only those pages?"""
    label, links = _sections(built_site)[-1]
    assert label == audiences.INSTRUCTORS
    assert set(links) == _instructor_pages(), set(links) ^ _instructor_pages()
