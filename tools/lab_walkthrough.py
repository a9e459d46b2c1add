"""Learner-time estimates for the labs, from measured walk-throughs (`labs/<lab>/walkthrough.yml`).

A walk-through records what only solving the lab as a learner can tell: the lesson sections each
exercise needed, the lines of code (or words of prose) written, the self-check runs until green,
the concepts new to a learner who did the earlier modules, and the points that were unclear or
wrong (and whether they were fixed since). This tool counts the words a learner reads (the
exercise's part of the *released* notebook, the lesson sections named) from the current files and
applies one rule, the same for every exercise of every lab, to turn it all into minutes:

    minutes = notebook words / notebook_wpm + lesson words / lesson_wpm
            + logic lines × per_logic_line + literal lines × per_literal_line
            + written words / written_wpm + check runs × per_check_run
            + new concepts × per_new_concept + issues still open × per_open_issue

with a low (fluent learner) and a high (typical learner) value for each rate, in `RULE`. The
walk-through's own wall time is recorded but never used: an agent types and reads far faster
than a learner. The rates are assumptions stated here, not measurements: reading speeds below
the ~240 words/min of ordinary non-fiction (a specification with tables and code is read
slower; a lesson section studied before the lab is re-read faster than the notebook), 100–200
lines of small specified functions an hour, and a few minutes for each API or idea met for the
first time. Calibrating them against logged learner times is the next step.

    python tools/lab_walkthrough.py               # the per-exercise tables
    python tools/lab_walkthrough.py --out F.json  # the figures (a `tools/course_numbers.py` set)
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
COURSE = ROOT / "course"
FILE = "walkthrough.yml"

# (low: a fluent learner, high: a typical learner). Words per minute, minutes per item.
RULE: dict[str, tuple[float, float]] = {
    "notebook_wpm": (200, 120),
    "lesson_wpm": (300, 180),
    "per_logic_line": (0.3, 0.6),
    "per_literal_line": (0.05, 0.15),
    "written_wpm": (20, 10),
    "per_check_run": (0.5, 1.5),
    "per_new_concept": (2, 5),
    "per_open_issue": (2, 6),
}
EXERCISE_KEYS = {
    "id",
    "my_seconds",
    "lessons",
    "code_read",
    "lines_logic",
    "lines_literal",
    "words_written",
    "check_runs",
    "new_concepts",
    "issues",
}
TOP_KEYS = {"who", "when", "how", "grading", "setup", "exercises"}
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
INCLUDE = re.compile(r'^\s*--8<--\s+"([^":]+)(?::(\d+):(\d+))?"\s*$')
PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}")


class WalkthroughError(ValueError):
    """A walk-through file is wrong; str() names the file and the problem."""


def words(text: str) -> int:
    return len(PLACEHOLDER.sub("N", text).split())


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def notebook_words(notebook: Path) -> dict[str, int]:
    """Words a learner reads per exercise: its `## ` section of the released notebook (text,
    locked code, the answer cell's stub, the public test); `setup` is what comes before the first
    exercise, `closing` what follows the last."""
    from graders.release import release_notebook  # the learner's version, as `mlops-grade release`

    source = json.loads(notebook.read_text(encoding="utf-8"))
    nb, _ = release_notebook(source, notebook.stem)
    sections: list[tuple[str | None, int]] = []  # (answer grade_id or None, words)
    current_id: str | None = None
    current = 0
    for cell in nb["cells"]:
        text = _source(cell)
        if cell.get("cell_type") == "markdown" and text.lstrip().startswith("## "):
            sections.append((current_id, current))
            current_id, current = None, 0
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            if current_id is not None:
                raise WalkthroughError(f"{notebook}: two answer cells in one `## ` section")
            current_id = str(meta["grade_id"])
        current += words(text)
    sections.append((current_id, current))
    out: dict[str, int] = {"setup": 0, "closing": 0}
    seen_answer = False
    for grade_id, count in sections:
        if grade_id is not None:
            out[grade_id] = count
            seen_answer = True
        else:
            out["closing" if seen_answer else "setup"] += count
    return out


def _include_words(spec: re.Match[str], page: Path) -> int:
    path = ROOT / spec.group(1)
    if not path.is_file():
        raise WalkthroughError(f"{page}: included file {spec.group(1)} not found")
    lines = path.read_text(encoding="utf-8").splitlines()
    if spec.group(2):
        lines = lines[int(spec.group(2)) - 1 : int(spec.group(3))]
    return words("\n".join(lines))


def section_words(page: Path, title: str) -> int:
    """Words of the lesson section headed `title` (to the next heading of its level or above),
    the files it includes (`--8<--`) counted as read."""
    level = 0
    total = 0
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        if heading and level and len(heading.group(1)) <= level:
            return total
        if heading and not level and heading.group(2) == title:
            level = len(heading.group(1))
        if level:
            include = INCLUDE.match(line)
            total += _include_words(include, page) if include else words(line)
    if not level:
        raise WalkthroughError(f"{page}: no section headed {title!r}")
    return total


def code_words(path: str, lines: str) -> int:
    first, _, last = lines.partition("-")
    text = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return words("\n".join(text[int(first) - 1 : int(last or first)]))


@dataclass(frozen=True)
class Estimate:
    low: float
    high: float


def estimate(measured: dict[str, Any]) -> Estimate:
    """The rule, applied to one exercise's measured quantities."""
    open_issues = sum(1 for issue in measured["issues"] if not issue.get("fixed"))

    def minutes(i: int) -> float:
        return (
            measured["notebook_words"] / RULE["notebook_wpm"][i]
            + measured["lesson_words"] / RULE["lesson_wpm"][i]
            + measured["lines_logic"] * RULE["per_logic_line"][i]
            + measured["lines_literal"] * RULE["per_literal_line"][i]
            + measured["words_written"] / RULE["written_wpm"][i]
            + measured["check_runs"] * RULE["per_check_run"][i]
            + len(measured["new_concepts"]) * RULE["per_new_concept"][i]
            + open_issues * RULE["per_open_issue"][i]
        )

    return Estimate(minutes(0), minutes(1))


def load(lab_dir: Path) -> dict[str, Any]:
    """The walk-through of one lab, checked against its notebook; WalkthroughError if wrong."""
    path = lab_dir / FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise WalkthroughError(f"{path}: needs a mapping with an `exercises` list")
    if unknown := set(data) - TOP_KEYS:
        raise WalkthroughError(f"{path}: unknown keys {sorted(unknown)}")
    counted = notebook_words(lab_dir / f"{lab_dir.name}.ipynb")
    rows = []
    setup = {"id": "setup", "issues": [], **(data.get("setup") or {})}
    for item in [setup, *data["exercises"], {"id": "closing", "issues": [], "check_runs": 0}]:
        if unknown := set(item) - EXERCISE_KEYS:
            raise WalkthroughError(f"{path}: {item.get('id')}: unknown keys {sorted(unknown)}")
        if item["id"] not in counted:
            raise WalkthroughError(f"{path}: {item['id']!r} is no answer cell of the notebook")
        lessons = item.get("lessons") or []
        measured = {
            "id": item["id"],
            "notebook_words": counted[item["id"]],
            "lesson_words": sum(section_words(COURSE / s["page"], s["section"]) for s in lessons)
            + sum(code_words(c["path"], str(c["lines"])) for c in item.get("code_read") or []),
            "lines_logic": int(item.get("lines_logic", 0)),
            "lines_literal": int(item.get("lines_literal", 0)),
            "words_written": int(item.get("words_written", 0)),
            "check_runs": int(item.get("check_runs", 1)),
            "new_concepts": list(item.get("new_concepts") or []),
            "issues": list(item.get("issues") or []),
            "my_seconds": item.get("my_seconds"),
        }
        rows.append(measured)
    return {"path": path, "meta": data, "rows": rows}


def figures(labs_dir: Path = LABS) -> dict[str, Any]:
    """Per lab: the estimate's range in whole minutes and each exercise's measured quantities."""
    out: dict[str, Any] = {}
    for lab_dir in sorted(p.parent for p in labs_dir.glob(f"lab*/{FILE}")):
        walk = load(lab_dir)
        exercises: dict[str, Any] = {}
        low = high = 0.0
        for row in walk["rows"]:
            est = estimate(row)
            low, high = low + est.low, high + est.high
            exercises[row["id"]] = {
                "notebook_words": row["notebook_words"],
                "lesson_words": row["lesson_words"],
                "lines_logic": row["lines_logic"],
                "lines_literal": row["lines_literal"],
                "words_written": row["words_written"],
                "check_runs": row["check_runs"],
                "new_concepts": len(row["new_concepts"]),
                "issues_found": len(row["issues"]),
                "issues_open": sum(1 for i in row["issues"] if not i.get("fixed")),
                "minutes_low": round(est.low, 1),
                "minutes_high": round(est.high, 1),
            }
        out[lab_dir.name] = {
            "minutes_low": math.floor(low),
            "minutes_high": math.ceil(high),
            "graded_exercises": len(walk["rows"]) - 2,
            "exercises": exercises,
        }
    return {"rule": {k: list(v) for k, v in RULE.items()}, "labs": out}


def table(lab: str, data: dict[str, Any]) -> str:
    head = "exercise            nb.words lesson.words logic literal written checks new open  min"
    lines = [f"{lab}: {data['minutes_low']}–{data['minutes_high']} min", head]
    for name, e in data["exercises"].items():
        lines.append(
            f"{name:20s}{e['notebook_words']:8d}{e['lesson_words']:13d}{e['lines_logic']:6d}"
            f"{e['lines_literal']:8d}{e['words_written']:8d}{e['check_runs']:7d}"
            f"{e['new_concepts']:4d}{e['issues_open']:5d}"
            f"  {e['minutes_low']:.0f}–{e['minutes_high']:.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    try:
        result = figures()
    except (WalkthroughError, OSError, KeyError, yaml.YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    else:
        print("\n\n".join(table(lab, data) for lab, data in result["labs"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
