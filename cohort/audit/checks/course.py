"""Does the project do what the course teaches? Read the code (with `ast`, never run it):

* the split is not random on time-ordered data (module 4: `train_test_split` trains on the future);
* the gate compares the business KPI with the champion, not an ML metric with a fixed number
  (module 5: `roc_auc >= 0.70` says nothing about the decision the model drives);
* tests can fail: a test function with no assertion passes whatever the model does.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from cohort.audit.repo import Repo

# Random unless told otherwise (train_test_split), or random when asked to (KFold shuffle=True).
RANDOM_BY_DEFAULT = {"train_test_split"}
RANDOM_WHEN_SHUFFLED = {"KFold", "StratifiedKFold", "RepeatedKFold", "RepeatedStratifiedKFold"}
ALWAYS_RANDOM = {"ShuffleSplit", "StratifiedShuffleSplit"}
TIME_AWARE = re.compile(
    r"\bTimeSeriesSplit\b|\bGroupKFold\b|\bGroupShuffleSplit\b|\bStratifiedGroupKFold\b"
    r"|\b\w*time\w*_split\w*\s*\(|\bsplit_by_(?:time|date|day)\w*\s*\(|\bprequential\w*\s*\("
    r"|\bshuffle\s*=\s*False\b",
    re.I,
)
CHECKS = {"raises", "fail", "warns", "approx"}
GATE_FILES = ("*evaluat*.py", "*gate*.py", "*release*.py", "*promot*.py", "*validate_model*.py")
CHAMPION = re.compile(r"\b(?:champion|incumbent|production_model|current_model|load_latest)", re.I)
ML_ONLY = r"(?:roc_)?auc|accuracy|f1(?:_score)?"
ML_ONLY_PARAM = re.compile(rf"^\s*(?:metric|gate_metric)\s*:\s*['\"]?(?:{ML_ONLY})\b", re.M | re.I)
ML_ONLY_COMPARE = re.compile(
    rf"""(?:\b(?:{ML_ONLY})\b['"]?\]?\s*(?:>=|>)\s*\d*\.\d+)|(?:\d*\.\d+\s*(?:<=|<)\s*\w*\[?['"]?(?:{ML_ONLY})\b)""",
    re.I,
)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _keyword(call: ast.Call, name: str) -> object:
    for kw in call.keywords:
        if kw.arg == name and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def random_splits(repo: Repo) -> list[str]:
    """`file:line name(...)` of each random split in the project's code (tests excluded)."""
    found = []
    for f in repo.src("*.py"):
        tree = _parse(repo.text(f))
        if tree is None:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            shuffle = _keyword(node, "shuffle")
            if (
                (name in RANDOM_BY_DEFAULT and shuffle is not False)
                or (name in RANDOM_WHEN_SHUFFLED and shuffle is True)
                or name in ALWAYS_RANDOM
            ):
                found.append(f"{f}:{node.lineno} {name}(...)")
    return found


def ordered_splits(repo: Repo) -> list[str]:
    return repo.grep(TIME_AWARE.pattern, repo.src("*.py"), re.I | re.M)


@dataclass(frozen=True)
class GateReading:
    files: list[str]
    champion: list[str]
    ml_only: list[str]


def read_gate(repo: Repo) -> GateReading:
    """Where the gate is, whether it meets the champion, whether it is an ML metric vs a number."""
    files = [
        f for f in repo.src(*GATE_FILES) if re.search(r"gate|threshold|minimum|>=", repo.text(f))
    ]
    champion = [f for f in files if CHAMPION.search(repo.text(f))]
    params = repo.src("params*.yaml", "params*.yml", "config*.yaml", "*.toml")
    ml_only = [f for f in params if ML_ONLY_PARAM.search(repo.text(f))]
    ml_only += [f for f in files if ML_ONLY_COMPARE.search(repo.text(f))]
    return GateReading(files=files, champion=champion, ml_only=ml_only)


def _can_fail(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An assert, a pytest.raises/fail/approx check, or an assert_* helper call in the body."""
    for node in ast.walk(func):
        if isinstance(node, ast.Assert | ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name.startswith(("assert", "check", "validate", "verify")) or name in CHECKS:
                return True
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and _name(expr.func) in {"raises", "warns"}:
                    return True
    return False


def tests_that_cannot_fail(repo: Repo, test_files: list[str]) -> list[str]:
    """`file::test_name` of each test function with no assertion of any kind."""
    found = []
    for f in test_files:
        tree = _parse(repo.text(f))
        if tree is None:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name.startswith("test")
                and not _can_fail(node)
            ):
                found.append(f"{f}::{node.name}")
    return found
