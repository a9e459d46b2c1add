"""Flashcards are atomic: no card asks to recite a list (issue 23; one fact or idea per card)."""

from __future__ import annotations

import re
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
