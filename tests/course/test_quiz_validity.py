"""Quizzes cannot be passed from the options' shape: the right answer's position and length vary."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"
MODULES = sorted(p.name for p in COURSE.iterdir() if p.is_dir() and re.match(r"\d\d-", p.name))
QUIZ = re.compile(r"<quiz>(.*?)</quiz>", re.S)
OPTION = re.compile(r"^[-*] \[([xX ]?)\] (.+)$", re.M)
# A figure placeholder renders as a short number; count it as one, not as its template text.
PLACEHOLDER = re.compile(r"\{\{.*?\}\}")
MAX_SHARE_AT_ONE_POSITION = 0.5
MAX_SHARE_RIGHT_IS_LONGEST = 1 / 3


@dataclass(frozen=True)
class Question:
    options: tuple[str, ...]
    right: tuple[int, ...]  # 0-based positions of the right options

    @property
    def right_is_longest(self) -> bool:
        """Is the (single) right option at least as long as every wrong one?"""
        lengths = [len(PLACEHOLDER.sub("0.00", text)) for text in self.options]
        (r,) = self.right
        return lengths[r] >= max(length for i, length in enumerate(lengths) if i != r)


def parse(text: str) -> list[Question]:
    questions = []
    for block in QUIZ.findall(text):
        found = OPTION.findall(block)
        right = tuple(i for i, (mark, _) in enumerate(found) if mark.strip())
        questions.append(Question(tuple(t for _, t in found), right))
    return questions


def shape_problems(questions: list[Question]) -> list[str]:
    """What a guesser could exploit across one quiz: a favourite position, or the longest option."""
    single = [q for q in questions if len(q.right) == 1]
    if not single:
        return []
    problems = []
    positions = Counter(q.right[0] + 1 for q in single)
    position, count = positions.most_common(1)[0]
    if count > MAX_SHARE_AT_ONE_POSITION * len(single):
        problems.append(
            f"the right answer is option {position} in {count} of {len(single)} questions "
            f"(positions: {dict(sorted(positions.items()))})"
        )
    longest = [n for n, q in enumerate(questions, 1) if len(q.right) == 1 and q.right_is_longest]
    if len(longest) > MAX_SHARE_RIGHT_IS_LONGEST * len(single):
        problems.append(
            f"the right answer is the longest option in {len(longest)} of {len(single)} "
            f"questions (questions {longest})"
        )
    return problems


@pytest.mark.parametrize("module", MODULES)
def test_quiz_answers_cannot_be_guessed_from_position_or_length(module: str) -> None:
    """Across a module's quiz, is the right answer neither in one favourite slot nor longest?"""
    questions = parse((COURSE / module / "quiz.md").read_text(encoding="utf-8"))
    assert questions, f"{module}: no quiz questions found"
    assert shape_problems(questions) == [], f"{module}/quiz.md: {shape_problems(questions)}"


def _quiz(*questions: tuple[list[str], int]) -> str:
    blocks = []
    for options, right in questions:
        lines = ["Question?"]
        for i, text in enumerate(options):
            lines += [f"- [{'x' if i == right else ' '}] {text}", "> Why."]
        blocks.append("<quiz>\n" + "\n".join(lines) + "\n</quiz>")
    return "\n\n".join(blocks)


def test_a_quiz_with_the_answer_always_second_is_flagged() -> None:
    """Does the check catch the pattern measured on the old quizzes (answer in slot 2)?"""
    quiz = _quiz(*[(["aaaa", "b", "cccc", "dddd"], 1)] * 4, (["a", "bbbb", "cccc", "dddd"], 0))
    (problem,) = shape_problems(parse(quiz))
    assert "option 2 in 4 of 5" in problem


def test_a_quiz_whose_answer_is_the_longest_option_is_flagged() -> None:
    """Does the check catch a right answer that is the longest option in most questions?"""
    short = ["short", "tiny", "wee"]
    long_right = [(short[:i] + ["a much longer right answer"] + short[i:], i) for i in range(3)]
    (problem,) = shape_problems(parse(_quiz(*long_right)))
    assert "longest option in 3 of 3" in problem
    balanced = [(["a longer wrong option", "ok", "so", "no"], i) for i in (1, 2, 3)]
    assert shape_problems(parse(_quiz(*balanced))) == []


def test_a_placeholder_counts_as_a_number_not_as_its_template() -> None:
    """Is `{{ set.figure }}` measured as the short figure the reader sees?"""
    question = parse(_quiz((["about {{ numbers.a_long_figure_name }}", "a medium option"], 0)))[0]
    assert not question.right_is_longest


def test_mkdocs_quiz_shuffles_the_options() -> None:
    """Does the site ask mkdocs-quiz to shuffle options (the source order is not the shown one)?"""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    quiz = [p for p in config["plugins"] if isinstance(p, dict) and "mkdocs_quiz" in p]
    assert quiz and quiz[0]["mkdocs_quiz"].get("shuffle_answers") is True
