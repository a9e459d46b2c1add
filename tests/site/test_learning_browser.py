"""Learning features in a real browser: flashcards, quiz, progress, labs, offline, file://."""

from __future__ import annotations

import json
import math
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
    # Honest counts: nothing is due for review yet; both are cards never seen.
    assert "Flashcards today: 0 to review, 2 new" in page.locator(".lf-home-total").inner_text()
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


# FSRS-6 default parameters as published by open-spaced-repetition (fsrs4anki wiki, "The
# Algorithm"; py-fsrs and ts-fsrs DEFAULT_PARAMETERS), and the model's formulas, ported from the
# wiki independently of ts-fsrs so the browser's scheduler is checked against the reference.
W = (0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
     1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542)  # fmt: skip
DECAY = -W[20]
FACTOR = 0.9 ** (1 / DECAY) - 1
RATING = {"again": 1, "hard": 2, "good": 3, "easy": 4}


def _d0(g: int) -> float:
    return W[4] - math.exp(W[5] * (g - 1)) + 1


def _clamp(d: float) -> float:
    return min(10.0, max(1.0, d))


def _fsrs6(s: float, d: float, days: float, grade: str) -> tuple[float, float]:
    """One review of a card with stability s and difficulty d, `days` after the last one."""
    g = RATING[grade]
    r = (1 + FACTOR * days / s) ** DECAY
    if g == 1:
        s2 = min(W[11] * d ** -W[12] * ((s + 1) ** W[13] - 1) * math.exp(W[14] * (1 - r)), s)
    else:
        bonus = (W[15] if g == 2 else 1) * (W[16] if g == 4 else 1)
        growth = math.exp(W[8]) * (11 - d) * s ** -W[9] * (math.exp(W[10] * (1 - r)) - 1)
        s2 = s * (1 + growth * bonus)
    d2 = d + -W[6] * (g - 3) * (10 - d) / 9
    return s2, _clamp(W[7] * _d0(4) + (1 - W[7]) * d2)


def test_again_keeps_a_card_due_today_after_reload(page, fixture_url: str) -> None:
    """Does "again" keep a card in today's queue, also after a reload?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    page.keyboard.press("Space")
    page.keyboard.press("1")
    page.reload()
    assert _due(page) == 3


def test_a_new_card_starts_from_the_published_fsrs6_defaults(page, fixture_url: str) -> None:
    """Is a first review's stability w0..w3 and its difficulty D0(G), as FSRS-6 publishes?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    first = page.evaluate(
        """() => ["again", "hard", "good", "easy"].map(g => {
                 const s = LF.schedule(null, g, new Date(2026, 0, 1, 12));
                 return [s.stability, s.difficulty, s.scheduled_days]; })"""
    )
    for (stability, difficulty, _), g in zip(first, (1, 2, 3, 4), strict=True):
        assert stability == pytest.approx(W[g - 1], abs=1e-9)
        assert difficulty == pytest.approx(_clamp(_d0(g)), abs=1e-6)
    # At 90 % desired retention the interval is the stability in days, kept in grade order.
    assert [days for *_, days in first] == [1, 2, 3, 8]


def test_reviews_follow_the_fsrs6_formulas(page, fixture_url: str) -> None:
    """Over good, good, good, again, good (each on its due day), do stability and difficulty
    match a port of the published FSRS-6 formulas, and is each next interval the stability?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    grades = ["good", "good", "good", "again", "good", "hard", "easy"]
    states = page.evaluate(
        """(grades) => { let s = null, now = new Date(2026, 0, 1, 12), out = [];
             for (const g of grades) {
               s = LF.schedule(s, g, now); out.push(s);
               now = new Date(s.due + "T12:00:00"); }
             return out; }""",
        grades,
    )
    s, d = W[2], _clamp(_d0(3))
    for grade, before, after in zip(grades[1:], states[:-1], states[1:], strict=True):
        s, d = _fsrs6(s, d, before["scheduled_days"], grade)
        assert after["stability"] == pytest.approx(s, rel=1e-6), grade
        assert after["difficulty"] == pytest.approx(d, rel=1e-6), grade
    goods = [st for g, st in zip(grades, states, strict=True) if g == "good"][1:]
    assert [st["scheduled_days"] for st in goods] == [round(st["stability"]) for st in goods]
    assert [entry[1] for entry in states[-1]["log"]] == grades  # the review log is kept


def test_desired_retention_set_on_the_progress_page_spaces_reviews(page, fixture_url: str) -> None:
    """Does choosing 80 % retention lengthen intervals as FSRS-6 says, and is it kept on reload?"""
    page.goto(f"{fixture_url}/progress.html")
    easy = "() => LF.schedule(null, 'easy', new Date(2026, 0, 1, 12)).scheduled_days"
    assert page.evaluate(easy) == round(W[3])  # at 90 % the interval is the stability
    page.locator("#lf-retention").select_option("0.8")
    page.reload()
    assert page.locator("#lf-retention").input_value() == "0.8"
    # Interval for retention r: S / FACTOR * (r ** (1 / DECAY) - 1)
    assert page.evaluate(easy) == round(W[3] / FACTOR * (0.8 ** (1 / DECAY) - 1))


def test_a_stored_sm2_profile_migrates_to_fsrs(page, fixture_url: str) -> None:
    """Does a learner's SM-2 progress become FSRS state without losing due dates or history?"""
    page.goto(f"{fixture_url}/00-demo/flashcards.html")
    page.evaluate(
        """() => {
          const day = (n) => { const d = new Date(); d.setDate(d.getDate() + n);
            return d.toLocaleDateString("sv"); };  // YYYY-MM-DD, local time
          localStorage.setItem("lf:v1:cards", JSON.stringify({
            "00-demo/registry": {reps: 3, interval: 15, ef: 2.6, due: day(5), last: day(-10),
                                 first: day(-30), reviews: 3},
            "00-demo/drift": {reps: 2, interval: 6, ef: 2.36, due: day(-1), last: day(-7),
                              first: day(-20), reviews: 2}}));
        }"""
    )
    page.reload()
    assert _due(page) == 2  # drift (overdue) and the one new card; registry is due in 5 days
    stored = json.loads(page.evaluate("() => localStorage.getItem('lf:v1:cards')"))
    registry, drift = stored["00-demo/registry"], stored["00-demo/drift"]
    assert registry["v"] == 2 and registry["stability"] == 15 and registry["reviews"] == 3
    assert registry["sm2"] == {"reps": 3, "interval": 15, "ef": 2.6}
    assert 1 <= drift["difficulty"] <= 10 and drift["stability"] == 6
    assert registry["difficulty"] < drift["difficulty"]  # the higher-ease card stays the easier
    page.keyboard.press("Space")
    page.keyboard.press("3")
    assert _due(page) == 1
    graded = json.loads(page.evaluate("() => localStorage.getItem('lf:v1:cards')"))
    assert graded["00-demo/drift"]["reviews"] == 3 and graded["00-demo/drift"]["stability"] > 6


def test_new_cards_come_at_the_learners_pace_across_the_course(page, fixture_url: str) -> None:
    """Are new cards introduced at most 10 a day across all modules (not per module), does a pace
    chosen on the progress page survive a reload, and does it travel with export/import?"""
    page.goto(f"{fixture_url}/index.html")
    stats = """() => {
      const a = {slug: "big-a", cards: Array.from({length: 25}, (_, i) => "c" + i)};
      const b = {slug: "big-b", cards: Array.from({length: 25}, (_, i) => "c" + i)};
      return [LF.cardStats(a).due, LF.cardStats(b).due, LF.cardStats(b).fresh]; }"""
    assert page.evaluate(stats) == [10, 10, 25]  # either deck may use today's ten
    page.evaluate(
        """() => { const states = {};
          for (let i = 0; i < 10; i++) states["big-a/c" + i] = LF.schedule(null, "good");
          localStorage.setItem("lf:v1:cards", JSON.stringify(states)); }"""
    )
    assert page.evaluate(stats) == [0, 0, 25]  # ten seen in one module: none left in the other
    page.goto(f"{fixture_url}/progress.html")
    assert page.locator("#lf-new-per-day").input_value() == "10"
    page.locator("#lf-new-per-day").select_option("15")
    page.reload()
    assert page.locator("#lf-new-per-day").input_value() == "15"
    assert page.evaluate(stats) == [5, 5, 25]
    exported = page.evaluate("() => LF.exportProgress()")
    assert exported["settings"]["newPerDay"] == 15
    page.evaluate("(data) => { localStorage.clear(); LF.importProgress(data); }", exported)
    page.reload()
    assert page.locator("#lf-new-per-day").input_value() == "15"
    assert page.evaluate(stats) == [5, 5, 25]


def test_the_home_page_gives_todays_new_cards_to_the_first_modules(page, fixture_url: str) -> None:
    """With a pace of 5 and 3 + 1 unseen cards, does the home page offer all 4, and after 4 new
    cards studied elsewhere today, only 1 more, from module 0 (course order)?"""
    page.goto(f"{fixture_url}/progress.html")
    page.locator("#lf-new-per-day").select_option("5")
    page.goto(f"{fixture_url}/index.html")
    total = page.locator(".lf-home-total")
    assert "0 to review, 4 new" in total.inner_text()
    assert "at most 5 new cards a day" in total.inner_text()
    page.evaluate(
        """() => { const states = {};
          for (const id of ["x1", "x2", "x3", "x4"])
            states["elsewhere/" + id] = LF.schedule(null, "good");
          localStorage.setItem("lf:v1:cards", JSON.stringify(states)); }"""
    )
    page.reload()
    assert _due(page, ".lf-home-total") == 1
    items = page.locator(".lf-home-due li")
    assert items.nth(0).inner_text().endswith("0 to review, 1 new")
    assert items.nth(1).inner_text().endswith("0 to review, 0 new")


def test_the_home_page_says_what_to_do_first(page, fixture_url: str) -> None:
    """Does a first visit point to module 0's lessons, and once they are read and its lab checked,
    to the next module?"""
    page.goto(f"{fixture_url}/index.html")
    step = page.locator(".lf-home-next")
    assert step.inner_text().startswith("New here? Start with 0 · Demo")
    assert step.get_attribute("data-module") == "00-demo"
    assert step.locator("a").get_attribute("href").endswith("00-demo/index.html")
    page.evaluate(
        """() => { const m = LF_COURSE.modules[0], read = {};
          m.lessons.forEach((u) => { read[u] = "2026-01-01"; });
          localStorage.setItem("lf:v1:progress",
            JSON.stringify({[m.slug]: {read: read, lab: "2026-01-01"}})); }"""
    )
    page.reload()
    assert step.inner_text().startswith("Next: ")
    assert step.get_attribute("data-module") == "01-second"


def _option_orders(page) -> list[list[str]]:
    page.locator(".quiz fieldset").first.wait_for()
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(".quiz fieldset")).map(f =>
                 Array.from(f.querySelectorAll(":scope > div > label")).map(l => l.textContent))"""
    )


def test_quiz_options_are_shuffled_per_learner_and_stable_across_reloads(
    page, fixture_url: str
) -> None:
    """Does a learner see the same option order on every visit, set by their own seed?"""
    quiz = f"{fixture_url}/00-demo/quiz.html"
    page.goto(quiz)
    first = _option_orders(page)
    for _ in range(3):
        page.reload()
        assert _option_orders(page) == first
    orders = set()
    for seed in ("a", "b", "c", "d", "e", "f"):
        page.evaluate(
            f"() => localStorage.setItem('lf:v1:settings', '{{\"quizSeed\": \"{seed}\"}}')"
        )
        page.reload()
        orders.add(json.dumps(_option_orders(page)))
    assert len(orders) > 1  # the seed, not the source, decides the order


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
    assert [grade for _, grade in data["cards"]["00-demo/registry"]["log"]] == ["good"]

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
