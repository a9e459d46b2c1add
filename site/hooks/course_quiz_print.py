"""Quizzes on paper: the lab book prints each question without its answers, and a key at the end.

On the site, mkdocs-quiz turns each `<quiz>` block into an interactive question (it also writes
which option is right into the page, as any self-check that grades in the browser must). The
printed lab book is for working offline with a pen, so there a question keeps its text and its
options, lettered A, B, ... in source order, and loses its marks and explanations; the answer key
(right letters and the right options' explanations) is a page of its own at the end of the book.
No mkdocs import here: `learning.py` calls it, tests call it directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUIZ = re.compile(r"^<quiz>[ \t]*\n(.*?)^</quiz>[ \t]*$", re.S | re.M)
OPTION = re.compile(r"^[-*] \[([xX ]?)\] (.*)$")
LETTERS = "ABCDEFGHIJ"
RIGHT = re.compile(r"^Right[.:!]?\s*")  # explanations of right options open with it


@dataclass(frozen=True)
class Question:
    number: int
    text: str  # Markdown: the question, code blocks included
    options: tuple[str, ...]
    right: tuple[int, ...]  # positions of the right options
    explanations: tuple[str, ...]  # one per option ("" when the source gives none)

    @property
    def key(self) -> str:
        return ", ".join(LETTERS[i] for i in self.right)


class QuizError(ValueError):
    """A quiz block cannot be printed (no options, or none marked right)."""


def parse(block: str, number: int) -> Question:
    """One `<quiz>` block's inside → Question."""
    lines = block.strip("\n").splitlines()
    first = next((i for i, line in enumerate(lines) if OPTION.match(line)), None)
    if first is None:
        raise QuizError(f"question {number} has no options")
    options: list[str] = []
    right: list[int] = []
    notes: list[list[str]] = []
    for line in lines[first:]:
        match = OPTION.match(line)
        if match:
            if match.group(1).strip():
                right.append(len(options))
            options.append(match.group(2).strip())
            notes.append([])
        elif line.startswith(">") and notes:
            notes[-1].append(line[1:].strip())
        elif line.strip() and options:
            options[-1] += " " + line.strip()  # an option's continuation line
    if not right:
        raise QuizError(f"question {number} has no right option")
    text = "\n".join(lines[:first]).strip()
    return Question(number, text, tuple(options), tuple(right), tuple(" ".join(n) for n in notes))


def questions(markdown: str) -> list[Question]:
    return [parse(m.group(1), n) for n, m in enumerate(QUIZ.finditer(markdown), 1)]


def _printed(q: Question) -> str:
    note = ""
    if len(q.right) > 1 and "select all" not in q.text.lower():
        note = "\n\n*More than one answer is right.*"
    options = "\n".join(f"- **{LETTERS[i]}.** {text}" for i, text in enumerate(q.options))
    return f"**Question {q.number}.** {q.text}{note}\n\n{options}\n"


def for_print(markdown: str) -> str:
    """A quiz page with every `<quiz>` block as a plain question: text and lettered options."""
    numbers = iter(range(1, 1000))
    return QUIZ.sub(lambda m: _printed(parse(m.group(1), next(numbers))), markdown)


def answer_key(quizzes: list[tuple[str, str]]) -> str:
    """The answer key page: per (title, quiz page Markdown), each question's right letters and
    the right options' explanations."""
    lines = [
        "# Answer key",
        "",
        "The right options of every quiz in this book, with their explanations. Try the questions",
        "first: recalling an answer teaches more than reading it.",
    ]
    for title, markdown in quizzes:
        lines += ["", f"## {title}", ""]
        for q in questions(markdown):
            why = " ".join(RIGHT.sub("", q.explanations[i]) for i in q.right if q.explanations[i])
            lines.append(f"{q.number}. **{q.key}**" + (f": {why}" if why else ""))
    return "\n".join(lines) + "\n"
