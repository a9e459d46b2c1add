"""Tests, data validation and model tests (ML Test Score: data, model and infrastructure tests)."""

from __future__ import annotations

import re

from cohort.audit.checks import Finding, first
from cohort.audit.checks.course import (
    ordered_splits,
    random_splits,
    read_gate,
    tests_that_cannot_fail,
)
from cohort.audit.checks.evidence import model_card_gaps
from cohort.audit.repo import Repo

TEST_FILES = ("test_*.py", "*_test.py")
ENOUGH_TESTS = 10  # test functions for "a real suite" rather than a placeholder
NOT_RUN = "not run: audit with --run-tests"


def test_files(repo: Repo) -> list[str]:
    return [f for f in repo.named(*TEST_FILES) if f.endswith(".py")]


def check_tests(repo: Repo) -> Finding:
    """Level 1: a suite of ENOUGH_TESTS+ tests in several folders. Level 2 only when the suite is
    run (`--run-tests`, in the sandbox) and passes: reading tests proves nothing about them."""
    files = test_files(repo)
    if not files:
        return Finding(0, missing=["no test files (tests/test_*.py)"])
    count = sum(
        len(re.findall(r"^\s*(?:async\s+)?def\s+test_", repo.text(f), re.MULTILINE)) for f in files
    )
    suites = {f.rsplit("/", 1)[0] for f in files}
    evidence = first(files) + [f"{count} test functions in {len(suites)} folder(s)"]
    if count >= ENOUGH_TESTS and len(suites) >= 2:
        return Finding(1, evidence, [f"{NOT_RUN} to show they pass"])
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
    # Wired: a declared pipeline stage runs the contract (a contract nobody calls checks nothing).
    wired = [
        f
        for f in repo.named("dvc.yaml", "MLproject", "Makefile", "pipeline*.py", "cli.py")
        if re.search(r"\bvalidat\w*", repo.text(f))
    ]
    if contract and data_tests and wired:
        return Finding(2, evidence + first(wired, 1))
    if contract and data_tests:
        return Finding(1, evidence, ["run the contract as a pipeline stage before training"])
    if contract or data_tests:
        gap = (
            "data tests (tests/data/)"
            if contract
            else "a data contract checked before training (schema/validate)"
        )
        return Finding(1, evidence, [f"add {gap}"])
    return Finding(0, missing=["no schema or validation step, no data tests"])


def check_model_tests(repo: Repo) -> Finding:
    """Level 1: model behaviour tests or an evaluation gate. Level 2: both, and every test can
    fail (a test function without an assertion passes whatever the model does)."""
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
    # A model test without an assertion, or many hollow tests anywhere, cap the item.
    hollow = tests_that_cannot_fail(repo, tests)
    hollow_model = [h for h in hollow if h.split("::")[0] in behaviour]
    n_tests = sum(len(re.findall(r"^\s*def\s+test", repo.text(f), re.M)) for f in tests)
    hollow = hollow_model if hollow_model or len(hollow) * 10 <= n_tests else hollow
    if behaviour and gate and hollow:
        shown = ", ".join(hollow[:3]) + (f" and {len(hollow) - 3} more" if len(hollow) > 3 else "")
        return Finding(1, evidence, [f"tests that cannot fail (no assertion): {shown}"])
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


def check_evaluation(repo: Repo) -> Finding:
    """Does evaluation follow the course? One point for a time-aware split and no random one, one
    for a gate that meets the champion on a business KPI (not an ML metric vs a fixed number)."""
    randoms, aware = random_splits(repo), ordered_splits(repo)
    gate = read_gate(repo)
    evidence, missing = [], []
    split_ok = bool(aware) and not randoms
    if randoms:
        missing.append(
            f"random split on time-ordered data ({', '.join(randoms[:2])}): "
            "train on the past, test on the future (module 4)"
        )
    elif not aware:
        missing.append("no time-aware split found (time order, delay, groups: module 4)")
    else:
        evidence += first(aware, 2)
    if not gate.files:
        missing.append("no gate: nothing decides whether a model may be registered (module 5)")
    if gate.ml_only:
        missing.append(
            f"gate on an ML metric against a fixed number ({', '.join(first(gate.ml_only, 2))}): "
            "gate on the business KPI (module 5)"
        )
    if gate.files and not gate.champion:
        missing.append("the gate never meets the champion: compare on the same test rows")
    gate_ok = bool(gate.champion) and not gate.ml_only
    if gate_ok:
        evidence += first(gate.champion, 2)
    return Finding(int(split_ok) + int(gate_ok), evidence, missing)


def check_model_card(repo: Repo) -> Finding:
    """Level 1: a model card. Level 2: every field filled in (no `Field:` left empty, no TODO)."""
    cards = repo.named("model_card*.md", "MODEL_CARD*.md", "model-card*.md")
    if not cards:
        return Finding(0, missing=["no model card (docs/model_card.md, module 8)"])
    gaps = [g for c in cards for g in model_card_gaps(repo.text(c))]
    if gaps:
        shown = "; ".join(f"'{g}'" for g in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        return Finding(1, first(cards, 1), [f"fill in the model card: {shown}{more}"])
    return Finding(2, first(cards, 1))
