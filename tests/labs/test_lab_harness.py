"""The lab harness's own helpers, on tiny in-memory notebooks (fast: no grading)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lab_harness import (
    exercise_test_id,
    lab_folders,
    read_mutants,
    released_lines,
    secret_lines,
    solved_submission,
    write_nb,
)

from graders import cells as C
from graders.release import release_notebook


def _cell(source: str, kind: str = "code", **flags: Any) -> dict[str, Any]:
    meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if flags:
        cell["metadata"]["nbgrader"] = {**meta, **flags}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _notebook() -> dict[str, Any]:
    return {
        "cells": [
            _cell("import numpy as np", grade_id="setup", locked=True),
            _cell(
                "def f(x):\n    ### BEGIN SOLUTION\n    return np.square(x) + 0\n"
                "    ### END SOLUTION",
                grade_id="f_answer",
                solution=True,
            ),
            _cell(
                "assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(-3) == 9  # negative input\n"
                "### END HIDDEN TESTS",
                grade_id="test_f",
                grade=True,
                points=1,
            ),
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_secret_lines_are_solutions_and_hidden_tests_only() -> None:
    """Are solution and hidden-test lines secret, and public lines (even short ones) not?"""
    secrets = secret_lines(_notebook())
    assert secrets == {"return np.square(x) + 0", "assert f(-3) == 9  # negative input"}


def test_released_lines_of_the_engines_release_hold_no_secret(tmp_path: Path) -> None:
    """Does the engine's release of the tiny notebook keep every secret line out?"""
    released, _ = release_notebook(_notebook(), "tiny")
    lines = released_lines(write_nb(released, tmp_path / "tiny.ipynb"))
    assert "assert f(2) == 4" in lines
    assert not secret_lines(_notebook()) & lines


def test_a_leaking_file_is_seen(tmp_path: Path) -> None:
    """Would a fixture that copies a solution line be caught?"""
    leak = tmp_path / "notes.txt"
    leak.write_text("hint:\n    return np.square(x) + 0\n")
    assert secret_lines(_notebook()) & released_lines(leak)


def test_solved_submission_and_mutants_replace_answer_cells_only() -> None:
    """Does the solved submission carry the source answers, and an override replace one?"""
    released, _ = release_notebook(_notebook(), "tiny")
    solved = solved_submission(_notebook(), released)
    assert "np.square" in C.source(solved["cells"][1])
    assert C.source(solved["cells"][2]) == C.source(released["cells"][2])
    mutant = solved_submission(_notebook(), released, {"f_answer": "def f(x):\n    return 4"})
    assert C.source(mutant["cells"][1]) == "def f(x):\n    return 4"


def test_each_answer_maps_to_the_test_after_it() -> None:
    """Is an answer cell's test the first test cell that follows it?"""
    assert exercise_test_id(_notebook(), "f_answer") == "test_f"


def test_every_mutant_names_an_answer_cell() -> None:
    """Does each `mutants.yml` entry name an existing answer cell of its lab (no typo)?"""
    for folder in lab_folders():
        nb = json.loads((folder / f"{folder.name}.ipynb").read_text())
        answers = {C.grade_id(c) for c in nb["cells"] if C.is_solution(c)}
        unknown = set(read_mutants(folder)) - answers
        assert not unknown, f"{folder.name}/mutants.yml: no answer cell {sorted(unknown)}"
