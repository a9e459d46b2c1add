"""nbgrader cell metadata (schema v3), markers and checksums, shared by every step.

A course authored for nbgrader works unchanged: the metadata keys, the markers and the checksum
are nbgrader's. What we add lives under ``metadata["mlops_grader"]`` (nbgrader ignores it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
OUR_KEY = "mlops_grader"
# An assertion group inside a test cell: `# TEST: name (2 points)`; the points are optional.
GROUP_RE = re.compile(r"^\s*#\s*TEST:\s*(?P<name>.+?)\s*(?:\((?P<points>[\d.]+)\s*points?\))?\s*$")

Cell = dict[str, Any]


def nbmeta(cell: Cell) -> dict[str, Any]:
    """The cell's ``nbgrader`` metadata (empty when it has none)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_grade(cell: Cell) -> bool:
    return bool(nbmeta(cell).get("grade", False))


def is_solution(cell: Cell) -> bool:
    return bool(nbmeta(cell).get("solution", False))


def is_task(cell: Cell) -> bool:
    return bool(nbmeta(cell).get("task", False))


def is_locked(cell: Cell) -> bool:
    """nbgrader's rule: solution cells never locked, grade cells always, others when marked."""
    if "nbgrader" not in cell.get("metadata", {}) or is_solution(cell):
        return False
    return is_grade(cell) or bool(nbmeta(cell).get("locked", False))


def is_test(cell: Cell) -> bool:
    """An autograder test cell: a graded code cell that is not also a student's answer."""
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


def grade_id(cell: Cell) -> str | None:
    gid = nbmeta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def points(cell: Cell) -> float:
    return float(nbmeta(cell).get("points", 0) or 0)


def source(cell: Cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def compute_checksum(cell: Cell) -> str:
    """nbgrader's checksum of a cell (``nbgrader.utils.compute_checksum``), bit for bit."""
    m = hashlib.md5()
    m.update(source(cell).encode())
    m.update(str(cell.get("cell_type")).encode())
    m.update(str(is_grade(cell)).encode())
    m.update(str(is_solution(cell)).encode())
    m.update(str(is_locked(cell)).encode())
    m.update(str(nbmeta(cell).get("grade_id", "")).encode())
    if is_grade(cell):
        m.update(str(points(cell)).encode())
    return m.hexdigest()


def has_marker(line: str, marker: str) -> bool:
    """nbgrader matches a delimiter anywhere in the line."""
    return marker in line


def replace_regions(text: str, begin: str, end: str, stub: str | None) -> tuple[str, int]:
    """Replace each ``begin``..``end`` region by ``stub`` (indented like the marker).

    Returns the new text and the number of regions replaced. Markers must be balanced
    (``check_markers`` refuses the notebook before this runs).
    """
    out: list[str] = []
    inside = False
    count = 0
    for line in text.split("\n"):
        if has_marker(line, begin):
            inside, count = True, count + 1
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
                out.extend(indent + s for s in stub.split("\n"))
        elif has_marker(line, end):
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out), count


@dataclass(frozen=True)
class Group:
    """An assertion group of a test cell; ``code`` excludes the cell's shared setup."""

    name: str
    points: float | None
    code: str
    hidden: bool


def split_groups(text: str) -> tuple[str, list[Group]]:
    """Split test code into its shared setup and its ``# TEST:`` groups.

    A cell without markers is one group named ``""`` holding everything (nbgrader's all-or-nothing
    cell). A group is hidden when any of its lines lies inside a hidden-tests region.
    """
    setup: list[str] = []
    groups: list[tuple[str, str | None, list[str], bool]] = []
    hidden = False
    for line in text.split("\n"):
        if has_marker(line, BEGIN_HIDDEN):
            hidden = True
            continue
        if has_marker(line, END_HIDDEN):
            hidden = False
            continue
        match = GROUP_RE.match(line)
        if match:
            groups.append((match["name"], match["points"], [], hidden))
            continue
        if groups:
            name, pts, lines, was_hidden = groups[-1]
            groups[-1] = (name, pts, [*lines, line], was_hidden or (hidden and bool(line.strip())))
        else:
            setup.append(line)
    if not groups:
        return "", [Group("", None, text, BEGIN_HIDDEN in text)]
    return "\n".join(setup), [
        Group(n, float(p) if p else None, "\n".join(lines), h) for n, p, lines, h in groups
    ]


def group_points(groups: list[Group], cell_points: float) -> list[float]:
    """Points per group: explicit ones as written, the rest of the cell's points shared equally."""
    explicit = sum(g.points for g in groups if g.points is not None)
    implicit = [g for g in groups if g.points is None]
    share = (cell_points - explicit) / len(implicit) if implicit else 0.0
    return [g.points if g.points is not None else round(share, 6) for g in groups]


def count_hidden_units(text: str) -> int:
    """How many scoring units of a test cell contain hidden tests."""
    _, groups = split_groups(text)
    return sum(1 for g in groups if g.hidden)
