"""Find metric figures typed by hand in the course (lessons, flashcards, quizzes).

A *metric figure* is a number (a decimal, a percentage, or a count of ms or req/s) within a few
words of AP, AUC, CP@k, recall, precision, Brier, PSI, latency, ms or req/s, or anywhere on a
flashcard that names one of them (its question names the metric, its answer gives the figure).
A number right after a comparison (≥, <, "at least", "below", ...) is a threshold someone sets,
not a result, and a lesson number ("lesson 2.3") or a duration in hours is neither. In the
course such a figure must be inserted from a results file (`{{ set.figure }}`, see
`site/hooks/course_figures.py`); placeholders are removed before the scan. Textbook arithmetic
and requirements (thresholds a team sets, not results a model reaches) are exempted by the short,
reviewed allow-list `tools/figure_allowlist.yml`: each entry names the file, a regular expression
whose match on the figure's line must cover the figure, and why it is not a result.

    python tools/figure_scan.py [course]     # prints file:line: figure … context; exit 1 if any
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = Path(__file__).with_name("figure_allowlist.yml")
PLACEHOLDER = re.compile(r"(?<!\$)\{\{(?:\s|[A-Za-z_]\w*\.)[^{}]*?\}\}")  # as course_figures
METRIC = re.compile(
    r"(?<![\w@])(?:ROC AUC|AUC(?: ROC)?|AP|average precision|CP@(?:k|\d+)|card precision"
    r"|recall|precision|Brier(?: score)?|PSI|latency|req/s|ms)(?![\w@])",
    re.I,
)
# Case matters for the short ones: "ap"/"ms" inside prose words are excluded by \b, but "ms" as
# a unit follows a number; "AP" and "PSI" are written in capitals in the course.
CASE_SENSITIVE = {"ap", "auc", "psi", "ms"}
NUMBER = re.compile(
    r"(?<![\w.@/])(?<!lesson )(?<!Lesson )(?<!module )"
    r"(\d+(?:[.,]\d+)?\s?(?:%|\\,\\%|ms\b|req/s)|\d*\.\d+)(?!\w|\.\d|\s(?:hours?|minutes?)\b)"
)
# A number right after a comparison is a threshold someone sets (a requirement, a gate, a
# monitoring level), not a result the code produced: "AP ≥ 0.45", "PSI > 0.25", "at most 1 %".
THRESHOLD = re.compile(
    r"(?:[≥≤<>]=?|\bat (?:least|most)|\b(?:more|less) than|\babove|\bbelow|\bunder|\bwithin"
    r"|\bexceeds?|\bpasses)\s*$"
)
BEFORE, AFTER = 40, 60  # characters around a metric word that count as "next to"
CARD_START = re.compile(r"^\s*- id:", re.M)  # a card of a flashcards.yml


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    figure: str
    metric: str
    context: str  # the whole line
    column: int  # where the figure starts in `context`

    def __str__(self) -> str:
        lo = max(0, self.column - 50)
        snippet = self.context[lo : self.column + 50].strip()
        return f"{self.path}:{self.line}: {self.figure} next to {self.metric}: …{snippet}…"


def _masked(text: str) -> str:
    """`text` with placeholders blanked out (same length, so offsets and lines stay right)."""
    return PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), text)


def _metrics(text: str) -> list[re.Match[str]]:
    out = []
    for m in METRIC.finditer(text):
        word = m.group(0)
        if word.lower() in CASE_SENSITIVE and word not in {"AP", "AUC", "PSI", "ms"}:
            continue
        out.append(m)
    return out


def _windows(masked: str, path: Path) -> list[tuple[int, int, str]]:
    """(start, end, metric word) of each stretch whose numbers count as next to a metric: a few
    words around each metric word, and in a flashcards file the whole card, since a card's
    question names the metric and its answer gives the figure ("What CP@100 does ...?" / "0.42")."""
    out = [
        (max(0, m.start() - BEFORE), min(len(masked), m.end() + AFTER), m.group(0))
        for m in _metrics(masked)
    ]
    if path.name == "flashcards.yml":
        starts = [m.start() for m in CARD_START.finditer(masked)] + [len(masked)]
        for lo, hi in zip(starts, starts[1:], strict=False):
            metrics = _metrics(masked[lo:hi])
            if metrics:
                out.append((lo, hi, metrics[0].group(0)))
    return out


def scan_text(text: str, path: Path) -> list[Finding]:
    """Figures next to metric words in `text` (one finding per figure)."""
    masked = _masked(text)
    found: dict[int, Finding] = {}
    for lo, hi, metric in _windows(masked, path):
        for number in NUMBER.finditer(masked, lo, hi):
            if number.start() in found or THRESHOLD.search(
                masked[max(0, number.start() - 12) : number.start()]
            ):
                continue
            start = number.start()
            line_start = masked.rfind("\n", 0, start) + 1
            line_end = masked.find("\n", start)
            found[start] = Finding(
                path=path,
                line=masked.count("\n", 0, start) + 1,
                figure=number.group(1),
                metric=metric,
                context=masked[line_start : line_end if line_end >= 0 else None],
                column=start - line_start,
            )
    return [found[k] for k in sorted(found)]


def load_allowlist(path: Path = ALLOWLIST) -> list[dict[str, str]]:
    """The reviewed exemptions; each needs `file`, `context` (a regex) and `why`."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for i, entry in enumerate(entries):
        missing = {"file", "context", "why"} - set(entry)
        if missing:
            raise ValueError(f"{path}: entry {i + 1} lacks {sorted(missing)}")
    return entries


def allowed(finding: Finding, course: Path, entries: list[dict[str, str]]) -> bool:
    """Whether an entry for this file has a match on the figure's line that covers the figure."""
    rel = finding.path.relative_to(course).as_posix()
    return any(
        m.start() <= finding.column < m.end()
        for e in entries
        if e["file"] == rel
        for m in re.finditer(e["context"], finding.context)
    )


def course_files(course: Path) -> list[Path]:
    """Lessons, module pages, quizzes and flashcards: everything a learner reads as text."""
    files = [p for p in course.rglob("*.md") if "_data" not in p.parts]
    return sorted(files + list(course.rglob("flashcards.yml")))


def scan(course: Path, entries: list[dict[str, str]] | None = None) -> list[Finding]:
    """Every hand-typed metric figure under `course` that the allow-list does not exempt."""
    entries = load_allowlist() if entries is None else entries
    out = []
    for path in course_files(course):
        for finding in scan_text(path.read_text(encoding="utf-8"), path):
            if not allowed(finding, course, entries):
                out.append(finding)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    course = Path(args[0]) if args else ROOT / "course"
    findings = scan(course)
    for f in findings:
        print(f)
    if findings:
        print(
            f"{len(findings)} metric figure(s) typed by hand: insert them from course/_data "
            "({{ set.figure }}) or, for textbook arithmetic, justify them in "
            "tools/figure_allowlist.yml",
            file=sys.stderr,
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
