"""The course text: every module has its lessons, flashcards and quiz, in the agreed formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
MODULES = [
    "00-what-is-mlops",
    "01-business-to-ml",
    "02-solution-design",
    "03-data-preparation",
    "04-training-and-testing",
    "05-pipelines",
    "06-serving",
    "07-monitoring",
    "08-governance",
    "09-capstone",
]
LESSON_GLOB = "[0-9][0-9]-*.md"
CARD_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CARD_KEYS = {"id", "q", "a", "tags", "term"}
QUIZ = re.compile(r"<quiz>(.*?)</quiz>", re.S)
OPTION = re.compile(r"^[-*] \[([xX ]?)\] (.+)$")
SNIPPET_RANGE = re.compile(r'^--8<-- "([^":]+):(\d+):(\d+)"$', re.M)
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)
PYTHON_INFO = {"python", "py", "pycon", "{.python}"}


class _IgnoreTags(yaml.SafeLoader):
    """Reads mkdocs.yml, whose `!!python/name:` tags safe_load refuses."""


_IgnoreTags.add_multi_constructor("", lambda loader, suffix, node: None)
_IgnoreTags.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def _lessons(module: str) -> list[Path]:
    return sorted((COURSE / module).glob(LESSON_GLOB))


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return []


def _quiz_blocks(module: str) -> list[str]:
    return QUIZ.findall((COURSE / module / "quiz.md").read_text(encoding="utf-8"))


def test_module_folders_are_the_expected_ones() -> None:
    """Is every module folder on disk one the tests know about (so none escapes the checks)?"""
    on_disk = sorted(p.name for p in COURSE.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
    assert on_disk == MODULES, "list every module folder in MODULES (tests/course/test_content.py)"


@pytest.mark.parametrize("module", MODULES)
def test_module_has_landing_page_and_at_least_two_lessons(module: str) -> None:
    """Does the module have a landing page with its required sections, and lessons to read?"""
    index = (COURSE / module / "index.md").read_text(encoding="utf-8")
    for section in (
        "## Goals",
        "## Prerequisites",
        "## Time",
        "## Outline",
        "## What you can now do",
    ):
        assert section in index, f"{module}/index.md lacks {section!r}"
    lessons = _lessons(module)
    assert len(lessons) >= 2, lessons
    for lesson in lessons:
        assert f"]({lesson.name})" in index, f"index.md does not link {lesson.name}"


@pytest.mark.parametrize("module", MODULES)
def test_every_lesson_cites_its_sources(module: str) -> None:
    """Does every lesson end with a References section listing at least two sources?"""
    for lesson in _lessons(module):
        text = lesson.read_text(encoding="utf-8")
        assert text.startswith("# "), f"{lesson.name} has no title"
        assert "\n## References\n" in text, f"{lesson.name} has no References section"
        refs = text.split("\n## References\n", 1)[1]
        assert len(re.findall(r"^- ", refs, re.M)) >= 2, f"{lesson.name} cites < 2 sources"


@pytest.mark.parametrize("module", MODULES)
def test_lessons_paste_no_python(module: str) -> None:
    """Is every Python sample an include of a tested file rather than pasted text?

    Include fences are opened as ```{.python}: ruff formats ```python blocks inside Markdown and
    would rewrite `--8<-- "file"` into `--8 < --"file"`, breaking the include.
    """
    for lesson in [COURSE / module / "index.md", *_lessons(module)]:
        for info, body in FENCE.findall(lesson.read_text(encoding="utf-8")):
            if info.strip() in PYTHON_INFO:
                lines = [line for line in body.splitlines() if line.strip()]
                assert all(line.strip().startswith("--8<--") for line in lines), lesson.name
                assert info.strip() == "{.python}", f"{lesson.name}: open includes with {{.python}}"


def test_line_range_includes_still_cover_whole_definitions() -> None:
    """Does every `file:start:end` include still show one whole top-level def/class?

    Line ranges break silently when the included file is edited; this catches the shift.
    """
    found = 0
    for page in COURSE.rglob("*.md"):
        for path, start, end in SNIPPET_RANGE.findall(page.read_text(encoding="utf-8")):
            found += 1
            lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
            first, last = int(start), int(end)
            tops = [f"{n}: {line[:40]}" for n, line in enumerate(lines, 1) if line[:1].isalpha()]
            where = (
                f"{page.relative_to(COURSE)} -> {path}:{start}:{end} no longer covers one whole "
                f"definition; update the range. Top-level lines now: {tops}"
            )
            assert re.match(r"(async def|def|class|@)", lines[first - 1]), where
            assert lines[last - 1].strip(), where
            rest = [line for line in lines[last:] if line.strip()]
            assert last == len(lines) or not lines[last].strip(), where
            assert not rest or not rest[0].startswith(" "), where
            body = lines[first : last - 1]
            # A decorated definition: decorator lines (possibly several, possibly wrapped), then
            # exactly one `def` line; after it, only indented lines, blank lines or `)`.
            decorating = lines[first - 1].startswith("@")
            for line in body:
                if decorating and line.startswith("@"):
                    continue
                if decorating and re.match(r"(async def|def|class) ", line):
                    decorating = False
                    continue
                assert not line or line.startswith((" ", ")")), where
            assert not decorating, where
    assert found >= 1


@pytest.mark.parametrize("module", MODULES)
def test_flashcards_follow_the_schema(module: str) -> None:
    """Are there at least 20 well-formed cards with unique, stable slug ids?"""
    deck = yaml.safe_load((COURSE / module / "flashcards.yml").read_text(encoding="utf-8"))
    assert set(deck) == {"deck", "cards"}
    assert isinstance(deck["deck"], str) and deck["deck"].startswith(f"{int(module[:2])} · ")
    cards = deck["cards"]
    assert len(cards) >= 20
    ids = [card["id"] for card in cards]
    assert len(ids) == len(set(ids)), "duplicate card ids"
    for card in cards:
        assert set(card) <= CARD_KEYS and {"id", "q", "a", "tags"} <= set(card), card
        assert CARD_ID.match(card["id"]), card["id"]
        assert isinstance(card["q"], str) and card["q"].strip(), card["id"]
        assert isinstance(card["a"], str) and card["a"].strip(), card["id"]
        assert card["tags"] and all(isinstance(t, str) and t for t in card["tags"]), card["id"]
        if "term" in card:
            assert isinstance(card["term"], str) and card["term"].strip(), card["id"]


def test_glossary_terms_are_defined_once_across_modules() -> None:
    """Does each glossary term come from exactly one card (the glossary refuses duplicates)?"""
    seen: dict[str, str] = {}
    for module in MODULES:
        deck = yaml.safe_load((COURSE / module / "flashcards.yml").read_text(encoding="utf-8"))
        for card in deck["cards"]:
            if "term" in card:
                key = card["term"].lower()
                assert key not in seen, f"{card['term']!r} in {module} and {seen[key]}"
                seen[key] = module


@pytest.mark.parametrize("module", MODULES)
def test_quiz_questions_explain_every_option(module: str) -> None:
    """Does the quiz have >= 8 questions, each with a right answer and feedback on every option?"""
    blocks = _quiz_blocks(module)
    assert len(blocks) >= 8
    for n, block in enumerate(blocks, 1):
        lines = block.strip("\n").splitlines()
        options = [(i, m) for i, line in enumerate(lines) if (m := OPTION.match(line))]
        assert len(options) >= 2, f"question {n}: fewer than two options"
        assert any(m.group(1) in "xX" and m.group(1) for _, m in options), f"question {n}"
        texts = [m.group(2) for _, m in options]
        assert len(texts) == len(set(texts)), f"question {n}: two options with the same text"
        for i, m in options:
            feedback = lines[i + 1] if i + 1 < len(lines) else ""
            assert feedback.startswith(">"), f"question {n}: no feedback for {m.group(2)!r}"
        assert lines[0].strip() and not OPTION.match(lines[0]), f"question {n} has no question"


def test_every_module_page_is_in_the_nav() -> None:
    """Can a reader reach every module page from the nav, modules in order, after the intro?"""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_IgnoreTags)
    pages = _nav_pages(config["nav"])
    assert pages[:3] == ["index.md", "overview.md", "how-it-works.md"]
    for module in MODULES:
        expected = ["index.md", *(p.name for p in _lessons(module)), "quiz.md"]
        for name in expected:
            assert f"{module}/{name}" in pages, f"{module}/{name} missing from nav"
    firsts = [pages.index(f"{module}/index.md") for module in MODULES]
    assert firsts == sorted(firsts)


def test_overview_lists_all_ten_modules() -> None:
    """Does the overview name modules 0-9 and link each available module's landing page?"""
    overview = (COURSE / "overview.md").read_text(encoding="utf-8")
    for n in range(10):
        assert re.search(rf"^\| \[?{n} · ", overview, re.M), f"module {n} missing"
    for module in MODULES:
        assert f"]({module}/index.md)" in overview


def test_module_0_answers_a_search_for_technical_debt() -> None:
    """Will the browser smoke test's search for 'technical debt' find a page about MLOps?"""
    text = (COURSE / "00-what-is-mlops" / "02-hidden-technical-debt.md").read_text(encoding="utf-8")
    assert "technical debt" in text.lower() and "MLOps" in text


@pytest.mark.slow
def test_strict_build_renders_quizzes_with_feedback(built_site: Path) -> None:
    """Does the strict build pass (every internal link resolves) and render per-option feedback?"""
    # `built_site` (tests/site_build.py) is the session's one `mkdocs build --strict` of the
    # repository's config: it fails there, naming the build's errors, if the build does not pass.
    for module in MODULES:
        html = (built_site / module / "quiz.html").read_text(encoding="utf-8")
        n_options = sum(
            1 for block in _quiz_blocks(module) for line in block.splitlines() if OPTION.match(line)
        )
        assert html.count('<div class="answer-feedback hidden">') == n_options


NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


@pytest.mark.parametrize("module", MODULES)
def test_quiz_intro_states_the_number_of_questions_it_has(module: str) -> None:
    """Does "Nine questions …" at the top of a quiz match the questions that follow?"""
    text = (COURSE / module / "quiz.md").read_text(encoding="utf-8")
    said = re.search(r"\b(" + "|".join(NUMBER_WORDS) + r") questions\b", text, re.I)
    assert said, f"{module}/quiz.md does not say how many questions it has"
    assert NUMBER_WORDS.index(said.group(1).lower()) == len(_quiz_blocks(module))
