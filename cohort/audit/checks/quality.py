"""Tests, data validation and model tests (ML Test Score: data, model and infrastructure tests)."""

from __future__ import annotations

import re

from cohort.audit.checks import Finding, first
from cohort.audit.repo import Repo

TEST_FILES = ("test_*.py", "*_test.py")
ENOUGH_TESTS = 10  # test functions for "a real suite" rather than a placeholder


def test_files(repo: Repo) -> list[str]:
    return [f for f in repo.named(*TEST_FILES) if f.endswith(".py")]


def check_tests(repo: Repo) -> Finding:
    """Level 1: tests exist. Level 2: at least ENOUGH_TESTS test functions in several suites."""
    files = test_files(repo)
    if not files:
        return Finding(0, missing=["no test files (tests/test_*.py)"])
    count = sum(
        len(re.findall(r"^\s*(?:async\s+)?def\s+test_", repo.text(f), re.MULTILINE)) for f in files
    )
    suites = {f.rsplit("/", 1)[0] for f in files}
    evidence = first(files) + [f"{count} test functions in {len(suites)} folder(s)"]
    if count >= ENOUGH_TESTS and len(suites) >= 2:
        return Finding(2, evidence)
    return Finding(
        1,
        evidence,
        [f"grow the suite: {ENOUGH_TESTS}+ tests split by what they test (code/data/model)"],
    )


def check_data_validation(repo: Repo) -> Finding:
    """Level 1: a data contract in code or data tests. Level 2: both."""
    # Validation steps and libraries first: a file named *schema* may describe a database.
    contract = list(
        dict.fromkeys(
            first(repo.src("*validat*.py", "*contract*.py", "*expectation*"))
            + repo.grep(
                r"\b(?:import|from)\s+"
                r"(?:pandera|great_expectations|deepchecks|tensorflow_data_validation)\b"
            )
            + first(repo.src("*schema*.py"))
        )
    )
    data_tests = [
        f
        for f in test_files(repo)
        if "/data/" in f or re.search(r"(?:data|schema|validat|contract|expectation)\w*\.py$", f)
    ]
    evidence = contract[:3] + first(data_tests, 3)
    if contract and data_tests:
        return Finding(2, evidence)
    if contract or data_tests:
        gap = (
            "data tests (tests/data/)"
            if contract
            else "a data contract checked before training (schema/validate)"
        )
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(0, missing=["no schema or validation step, no data tests"])


def check_model_tests(repo: Repo) -> Finding:
    """Level 1: model behaviour tests or an evaluation gate. Level 2: both."""
    tests = test_files(repo)
    behaviour = [
        f
        for f in tests
        if re.search(r"/models?/|/test_models?(?:_\w+)?\.py$", f)
        or re.search(r"\b(?:invarian\w+|directional|minimum\sfunctionality)\b", repo.text(f))
    ]
    gate = [
        f
        for f in repo.src("*evaluat*.py", "*gate*.py", "*validate_model*.py")
        if f not in tests and re.search(r"threshold|gate|minimum|min_\w+|>=", repo.text(f))
    ]
    evidence = first(behaviour, 3) + first(gate, 2)
    if behaviour and gate:
        return Finding(2, evidence)
    if behaviour or gate:
        gap = (
            "an evaluation gate that blocks a worse model" if behaviour else "model behaviour tests"
        )
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(
        0, missing=["no model tests (invariance, directional, minimum functionality), no gate"]
    )
