"""Learning features in a real browser: flashcards, quiz, progress, labs, offline, file://."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _due(page, selector: str = ".lf-due") -> int:
    node = page.locator(selector)
    node.wait_for()
    return int(node.get_attribute("data-due"))


def _study_two_cards(page) -> None:
    """Grade the first card with the keyboard (good), the second with the mouse (easy)."""
    first = page.locator(".lf-stage").get_attribute("data-card")
    page.keyboard.press("Space")
    page.locator(".lf-back").wait_for(state="visible")
    page.keyboard.press("3")
    assert page.locator(".lf-stage").get_attribute("data-card") != first
    page.get_by_role("button", name="Show answer").click()
    page.get_by_role("button", name="4 · easy").click()


def test_studying_cards_lowers_the_due_count_after_reload(
    page, fixture_url: str, artifacts_dir: Path
) -> None:
    """Do graded cards leave today's queue, also after a reload and on the home page?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    assert _due(page) == 3
    _study_two_cards(page)
    assert _due(page) == 1
    page.keyboard.press("Enter")
    page.screenshot(path=str(artifacts_dir / "study-page.png"), full_page=True)
    page.reload()
    assert _due(page) == 1
    page.goto(f"{fixture_url}/index.html")
    assert _due(page, ".lf-home-total") == 2  # one left in module 0, one new card in module 1
    assert page.requests.external() == []


ANSWERS = {  # the fixture deck's answers (tests/site/fixtures/course/00-demo/flashcards.yml)
    "registry": "with its metadata",
    "drift": "A change of the input distribution",
    "gate": "Blocks a model whose metrics miss the bar",
}


def _visible_answers(page) -> set[str]:
    return {
        card
        for card, text in ANSWERS.items()
        if any(node.is_visible() for node in page.get_by_text(text).all())
    }


def test_no_answer_is_visible_until_show_answer(page, fixture_url: str) -> None:
    """While studying, is every answer hidden until "show answer", and then only that card's?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    _due(page)
    assert _visible_answers(page) == set()
    page.mouse.wheel(0, 10_000)  # scrolling down the page gives nothing away either
    assert _visible_answers(page) == set()
    current = page.locator(".lf-stage").get_attribute("data-card")
    page.get_by_role("button", name="Show answer").click()
    assert _visible_answers(page) == {current}
    page.get_by_text("Show all 3 cards with their answers").click()
    assert _visible_answers(page) == set(ANSWERS)


def test_again_keeps_a_card_due_and_sm2_intervals_grow(page, fixture_url: str) -> None:
    """Does "again" keep a card in today's queue, and do SM-2 intervals grow 1, 6, 15 days?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    page.keyboard.press("Space")
    page.keyboard.press("1")
    page.reload()
    assert _due(page) == 3
    intervals = page.evaluate(
        """() => { let s = null, out = [];
                   for (let i = 0; i < 3; i++) { s = LF.schedule(s, "good"); out.push(s.interval); }
                   out.push(LF.schedule(s, "again").interval); return out; }"""
    )
    assert intervals == [1, 6, 15, 0]


def test_at_most_20_new_cards_a_day_per_module(page, fixture_url: str) -> None:
    """Is a big deck introduced 20 new cards a day, as in Anki, instead of all at once?"""
    page.goto(f"{fixture_url}/index.html")
    due = page.evaluate(
        """() => {
          const m = {slug: "big", cards: Array.from({length: 25}, (_, i) => "c" + i)};
          const before = LF.cardStats(m).due;
          const states = {};
          for (let i = 0; i < 20; i++) states["big/c" + i] = LF.schedule(null, "good");
          localStorage.setItem("lf:v1:cards", JSON.stringify(states));
          return [before, LF.cardStats(m).due, LF.cardStats(m).fresh];
        }"""
    )
    assert due == [20, 0, 5]


def test_quiz_answer_shows_on_the_progress_page(page, fixture_url: str) -> None:
    """Does answering a quiz question count in the module's quiz score?"""
    page.goto(f"{fixture_url}/00-demo/quiz.html")
    first = page.locator(".quiz").first
    first.get_by_text("A model registry").click()
    submit = first.locator("button[type=submit]")
    if submit.is_visible():
        submit.click()
    first.locator(".correct").first.wait_for()
    page.goto(f"{fixture_url}/progress.html")
    row = page.locator("tr[data-module='00-demo']")
    assert row.locator("td").nth(4).inner_text() == "1/2"
    assert page.requests.external() == []


def test_progress_survives_reload_and_round_trips_export_import(
    page, browser, fixture_url: str, artifacts_dir: Path, tmp_path: Path
) -> None:
    """Is progress kept across reloads, and does an exported file restore it in a fresh browser?"""
    page.goto(f"{fixture_url}/00-demo/index.html")
    page.get_by_role("button", name="Mark this lesson as read").click()
    page.reload()
    assert page.get_by_role("button", name="✓ Lesson read (undo)").is_visible()
    checklist = page.locator(".lf-module-progress").inner_text()
    assert "Lessons read: 1/1" in checklist
    page.goto(f"{fixture_url}/labs/lab00_demo.html")
    page.get_by_role("button", name="mark this lab as checked").click()
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    page.keyboard.press("Space")
    page.keyboard.press("3")

    page.goto(f"{fixture_url}/progress.html")
    row = page.locator("tr[data-module='00-demo']").inner_text()
    assert "1/1" in row and "✓ checked" in row and "1/3 · 2 due" in row, row
    page.screenshot(path=str(artifacts_dir / "progress-page.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export progress (JSON)").click()
    exported = tmp_path / "progress.json"
    info.value.save_as(exported)
    data = json.loads(exported.read_text())
    assert data["format"] == "mlops-course-progress" and "00-demo/registry" in data["cards"]

    fresh = browser.new_context().new_page()
    try:
        fresh.goto(f"{fixture_url}/progress.html")
        before = fresh.locator("tr[data-module='00-demo']").inner_text()
        assert "✓ checked" not in before
        fresh.locator("#lf-import").set_input_files(str(exported))
        fresh.get_by_text("Imported progress.json.").wait_for()
        assert fresh.locator("tr[data-module='00-demo']").inner_text() == row
        fresh.reload()
        assert fresh.locator("tr[data-module='00-demo']").inner_text() == row
    finally:
        fresh.context.close()


def test_import_rejects_a_file_that_is_not_progress(page, fixture_url: str, tmp_path: Path) -> None:
    """Does a wrong file leave progress untouched and say why?"""
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    page.goto(f"{fixture_url}/progress.html")
    page.locator("#lf-import").set_input_files(str(bad))
    page.get_by_text("Not imported: not a progress file of this course").wait_for()


def _search(page, term: str) -> list[str]:
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(term, delay=30)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    return results.all_inner_texts()


def test_search_finds_a_lab_and_the_lab_page_is_offline(page, fixture_url: str) -> None:
    """Does search reach the rendered lab, which loads nothing from the internet?"""
    page.goto(f"{fixture_url}/index.html")
    hits = _search(page, "fraud threshold")
    assert any("Lab 00" in hit for hit in hits), hits
    page.goto(f"{fixture_url}/labs/lab00_demo.html")
    page.wait_for_load_state("networkidle")
    assert "raise NotImplementedError()" in page.locator(".jupyter-wrapper").inner_text()
    assert page.requests.external() == []


def test_flashcards_and_progress_work_from_file_urls(page, fixture_site: Path) -> None:
    """Opened straight from disk: do study, due counts and progress still work offline?"""
    page.goto((fixture_site / "00-demo" / "flashcards.html").as_uri())
    assert _due(page) == 3
    _study_two_cards(page)
    page.reload()
    assert _due(page) == 1
    page.goto((fixture_site / "index.html").as_uri())
    assert _due(page, ".lf-home-total") == 2
    page.goto((fixture_site / "progress.html").as_uri())
    assert "2/3 · 1 due" in page.locator("tr[data-module='00-demo']").inner_text()
    hits = _search(page, "fraud threshold")
    assert any("Lab 00" in hit for hit in hits), hits
    page.goto((fixture_site / "00-demo" / "quiz.html").as_uri())
    page.locator(".quiz").first.get_by_text("A model registry").click()
    page.locator(".quiz .correct").first.wait_for()
    page.goto((fixture_site / "progress.html").as_uri())
    assert page.locator("tr[data-module='00-demo'] td").nth(4).inner_text() == "1/2"
    assert page.requests.external() == []
