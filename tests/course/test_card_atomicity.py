"""Flashcards are atomic: no card asks to recite a list or to recall a figure the code measured
(issue 23; one fact or idea per card; figures belong to the lessons, and where a card shows one it
is inserted from course/_data, never typed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
MODULES = sorted(p.name for p in COURSE.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
# "Name the six stages ...", "List five triggers ...", "Which four things ...": recall of a list of
# three or more items, which is learnt as a string to recite, not as facts.
LIST_RECALL = re.compile(
    r"\b(name|list|what|which|give)\b.*\b(three|four|five|six|seven|eight|nine|ten)\b"
    r"(?!\s*(%|days?|weeks?|standard))",
    re.I,
)


# "What CP@100 does a perfect ranker reach on the reference test week?", "what are their APs?":
# the answer is a figure of the course's own system, to be memorised.
OWN_SYSTEM = re.compile(
    r"reference (?:system|benchmark|model|test|folds?|pipeline)|test weeks?|\bdrill\b"
    r"|simulat(?:or|ed)|(?:small|full) preset",
    re.I,
)
FIGURE = r"(?:accuracy|APs?|AUCs?|CP@\w+|PSI|Brier(?: score)?|recall|precision|latency|p99)"
FIGURE_QUESTION = re.compile(
    rf"\bwhat\b[^?]*?\b{FIGURE}\b[^?]*?\b(?:reach|score|get|have|had|achieve)s?\b"
    rf"|\bwhat (?:is|are|was|were) (?:the |their |its ){FIGURE}\b"
    rf"|\bhow (?:high|low|large|much) (?:is|was|are|were) (?:the |their |its )?{FIGURE}\b",
    re.I,
)


def number_recall_cards(cards: list[dict[str, object]]) -> list[str]:
    return [
        f"{c['id']}: {c['q']}"
        for c in cards
        if OWN_SYSTEM.search(str(c["q"])) and FIGURE_QUESTION.search(str(c["q"]))
    ]


def list_recall_cards(cards: list[dict[str, object]]) -> list[str]:
    return [f"{c['id']}: {c['q']}" for c in cards if LIST_RECALL.search(str(c["q"]))]


def _cards(module: str) -> list[dict[str, object]]:
    path = COURSE / module / "flashcards.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["cards"]


@pytest.mark.parametrize("module", MODULES)
def test_no_card_asks_to_recite_a_list(module: str) -> None:
    """Does every card ask for one fact, with lists split into cards, and >= 20 cards left?"""
    cards = _cards(module)
    assert list_recall_cards(cards) == [], f"{module}: split these cards"
    assert len(cards) >= 20


@pytest.mark.parametrize("module", MODULES)
def test_no_card_asks_to_recall_a_measured_figure(module: str) -> None:
    """Does no card ask for a figure the code measured (ask what it shows instead)?"""
    assert number_recall_cards(_cards(module)) == [], f"{module}: ask for the idea, not the number"


def test_the_check_flags_figure_questions_and_spares_calculations() -> None:
    """Are questions that ask for a measured figure caught, and worked calculations, definitions
    and questions about what a figure means spared?"""
    flagged = number_recall_cards(
        [
            {"id": "a", "q": "What CP@100 does a perfect ranker reach on the reference test week?"},
            {"id": "b", "q": "In the reference benchmark, what are their APs?"},
            {"id": "c", "q": "What accuracy does 'approve everything' reach on the test week?"},
            {"id": "d", "q": "How high was the PSI of volume growth in the drill?"},
            {"id": "e", "q": "Monday: 3 of the top 5 cards compromised. What is CP@5?"},
            {"id": "f", "q": "What recall does a 0.5 % goal need at the simulated base rate?"},
            {"id": "g", "q": "Against what do you judge CP@100 on the reference test weeks?"},
            {"id": "h", "q": "What is the Brier score, and what does a constant prediction score?"},
        ]
    )
    assert [line.split(":")[0] for line in flagged] == ["a", "b", "c", "d"]


def test_a_figure_typed_on_a_card_is_caught_even_far_from_its_metric(tmp_path: Path) -> None:
    """A card names the metric in its question and types the figure in its answer: does the
    figure scan (tools/figure_scan.py, run on the course by tests/course/test_figures.py) flag
    the answer's figure, and pass the same card with the figure inserted from course/_data?"""
    sys.path.insert(0, str(ROOT / "tools"))
    import figure_scan

    path = tmp_path / "00-x" / "flashcards.yml"
    path.parent.mkdir()
    card = (
        "cards:\n  - id: ceiling\n"
        '    q: "Against what do you judge a CP@100 on the reference test weeks, and why?"\n'
        '    a: "A random ranker and a perfect one, which reaches only about {}, since on most'
        ' days fewer cards than slots remain."\n'
    )
    path.write_text(card.format("0.42"), encoding="utf-8")
    found = figure_scan.scan(tmp_path, entries=[])
    assert [(f.line, f.figure, f.metric) for f in found] == [(4, "0.42", "CP@100")]
    path.write_text(card.format("{{ models_full.data.card_precision_100_perfect | .2f }}"))
    assert figure_scan.scan(tmp_path, entries=[]) == []
    # The same sentence in a lesson is too far from its metric word to count (the window is
    # per card only in flashcards files).
    lesson = tmp_path / "00-x" / "lesson.md"
    lesson.write_text(card.format("0.42"), encoding="utf-8")
    path.unlink()
    assert figure_scan.scan(tmp_path, entries=[]) == []


def test_the_check_flags_list_cards_and_spares_single_facts() -> None:
    """Are the issue's examples caught, and questions that merely contain a number spared?"""
    flagged = list_recall_cards(
        [
            {"id": "a", "q": "Name the six stages of the ML lifecycle used in this course."},
            {"id": "b", "q": "Which seven requirements should you write down?"},
            {"id": "c", "q": "What eight parts should a problem statement have?"},
            {"id": "d", "q": "Why compare trailing seven-day windows, not single days?"},
            {"id": "e", "q": "What is the Kolmogorov–Smirnov distance between two samples?"},
            {"id": "f", "q": "Which stage follows data preparation in the lifecycle?"},
            {"id": "g", "q": "Monday: 3 of the top 5 cards compromised. What is CP@5?"},
        ]
    )
    assert [line.split(":")[0] for line in flagged] == ["a", "b", "c"]
