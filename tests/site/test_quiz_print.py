"""Quizzes on paper (site/hooks/course_quiz_print.py): no answers on the page, a key at the end."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "hooks"))

import course_quiz_print as qp  # noqa: E402

QUIZZES = sorted((ROOT / "course").glob("[0-9][0-9]-*/quiz.md"))
SAMPLE = """# Quiz · Sample

<quiz>
What does this print?

```python
print(1 + 1)
```

- [ ] `11`
> Strings would concatenate; these are numbers.
- [x] `2`
> Right. Integers add.
</quiz>

<quiz>
Which are metrics of ranking?
- [x] AP
> Right: precision over the ranking.
- [ ] Accuracy
> Not a ranking metric.
- [x] CP@100
> Right.
</quiz>
"""


def test_a_printed_quiz_keeps_questions_and_options_and_drops_the_answers() -> None:
    """Does the printed page keep the code and letter the options, with no mark or explanation?"""
    printed = qp.for_print(SAMPLE)
    assert "**Question 1.** What does this print?\n\n```python\nprint(1 + 1)\n```" in printed
    assert "- **A.** `11`\n- **B.** `2`" in printed
    assert "**Question 2.** Which are metrics of ranking?\n\n*More than one answer is right.*" in (
        printed
    )
    assert "<quiz>" not in printed and "[x]" not in printed and "\n>" not in printed
    assert "Integers add" not in printed and "Not a ranking metric" not in printed


def test_the_answer_key_gives_the_right_letters_and_their_explanations() -> None:
    key = qp.answer_key([("Quiz · Sample", SAMPLE)])
    assert "## Quiz · Sample" in key
    assert "1. **B**: Integers add." in key
    assert "2. **A, C**: precision over the ranking." in key  # 'Right.' alone adds nothing


def test_a_question_without_a_right_option_is_an_error_naming_it() -> None:
    broken = SAMPLE.replace("- [x] `2`", "- [ ] `2`")
    with pytest.raises(qp.QuizError, match="question 1 has no right option"):
        qp.for_print(broken)


@pytest.mark.parametrize("quiz", QUIZZES, ids=[q.parent.name for q in QUIZZES])
def test_every_course_quiz_prints_every_question_and_has_a_key_line_for_each(quiz: Path) -> None:
    """Is each of a module's questions printed (none lost, none with an answer), and keyed?"""
    text = quiz.read_text(encoding="utf-8")
    blocks = text.count("<quiz>")
    printed = qp.for_print(text)
    assert len(re.findall(r"^\*\*Question \d+\.\*\*", printed, re.M)) == blocks
    assert "<quiz>" not in printed and not re.search(r"^[-*] \[[xX ]?\]", printed, re.M)
    key = qp.answer_key([("t", text)])
    assert len(re.findall(r"^\d+\. \*\*[A-J](, [A-J])*\*\*", key, re.M)) == blocks
