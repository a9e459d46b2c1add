"""Every adversarial submission meets the outcome written next to it (`cases/*/expected.yml`).

The whole cohort is graded once (see `conftest.py`); each case then asks: right status, right
score and maximum, within the time limits, recorded the same way in the gradebook, and whatever
extra check the case names (nothing read, written, fetched or left running).
"""

from __future__ import annotations

import fnmatch
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .adversarial_cohort import CONFIG, LAB, Cohort, case_names, expected, live_processes, sha

pytestmark = [pytest.mark.slow]

# Where the engine does not (yet) meet the expectation: strict xfail with the reason,
# reported in build/ADVERSARIAL_FINDINGS.md. An expectation is never weakened to pass.
KNOWN_GAPS: dict[str, str] = {}

# Text of hidden tests and solutions: must never reach anything the student can see.
CANARIES = [
    "mean_center([5, 5, 5, 5])",
    "np.arange(10.0)",
    "ints = pd.DataFrame",
    "circle_area(0.5)",
    "scale-sensitive methods treat features alike",
]


def _params() -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[n]))
        if n in KNOWN_GAPS
        else n
        for n in case_names()
    ]


def _student_visible_text(folder: Path) -> str:
    """Outputs of the graded notebook plus every other file the student's code left behind."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.stat().st_size > 50 << 20:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            try:
                cells = json.loads(text).get("cells", [])
            except (json.JSONDecodeError, AttributeError):
                continue  # the student's own broken file, kept as submitted
            text = json.dumps([c.get("outputs", []) for c in cells if isinstance(c, dict)])
        parts.append(text)
    return "\n".join(parts)


def _check(name: str, check: str, cohort: Cohort) -> None:
    folder = cohort.course / "autograded" / name / LAB
    if check == "processes_gone":
        assert live_processes(str(cohort.course)) == []
    elif check == "no_canary":
        text = _student_visible_text(folder)
        leaked = [c for c in CANARIES if c in text]
        assert leaked == [], f"the student's process saw {leaked}"
    elif check == "gradebook_clean":
        db = sqlite3.connect(cohort.course / "gradebook.db")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert "pwned" not in tables
        assert db.execute("SELECT COUNT(*) FROM grade WHERE auto_score = 999").fetchone()[0] == 0
    elif check == "network_untouched":
        assert cohort.server_connections == 0
    elif check == "host_untouched":
        assert not Path(cohort.ctx["canary"]).exists()
        # A student may write its own work folder (autograded/<student>/<lab>), nothing else.
        own = [cohort.course / "autograded" / s / LAB for s in cohort.results]
        planted = [p for p in cohort.course.rglob("pwned*") if not set(own) & set(p.parents)]
        assert planted == [], f"files planted outside the students' own folders: {planted}"
        assert all(sha(Path(p)) == h for p, h in cohort.source_hashes.items())
    elif check == "tamper_recorded":
        assert cohort.stored[name].status.startswith("tampered:")
    elif check == "no_hidden_args":
        # The hidden calls happened (the instructor's detail shows their arguments) but the
        # learner's messages and notebook never quote them.
        hidden_args = ["ARGS=({'a': [1, 2], 'b': [4, 8]},)", "ARGS=(0,)"]
        tests = cohort.results[name].tests
        details = " ".join(t.detail for t in tests)
        assert all(a in details for a in hidden_args), details
        shown = " ".join(t.message for t in tests) + _student_visible_text(folder)
        assert [a for a in hidden_args if a in shown] == []
        assert "ARGS=([1.0, 2.0, 3.0],)" in shown  # a public test still says what it called
    elif check == "outputs_capped":
        size = (folder / "lab01.ipynb").stat().st_size
        assert size < 4 * CONFIG.max_output_bytes + (1 << 20), f"graded notebook is {size} bytes"
    elif check == "file_capped":
        big = folder / "big.bin"
        assert not big.exists() or big.stat().st_size <= CONFIG.max_file_mb << 20
    elif check == "copyback_bounded":
        # Only regular files and folders came back, within the caps; sparse stayed sparse.
        entries = list(folder.rglob("*"))
        assert len(entries) <= CONFIG.max_copyback_files
        assert all(p.is_dir() or p.is_file() for p in entries if not p.is_symlink())
        assert [p for p in entries if p.is_symlink()] == []
        infos = [p.lstat() for p in entries if p.is_file()]
        assert sum(i.st_size for i in infos) <= CONFIG.max_copyback_mb << 20
        assert sum(i.st_blocks * 512 for i in infos) <= 20 << 20
    else:  # pragma: no cover - a typo in expected.yml
        raise AssertionError(f"unknown check {check!r}")


@pytest.mark.parametrize("name", _params())
def test_case_meets_its_expected_outcome(name: str, cohort: Cohort, needs_tool: Any) -> None:
    """Does this submission end with the expected status and score, and nothing more?"""
    exp = expected(name)
    if name in cohort.skipped_cases:
        needs_tool("sandbox", f"{name} needs an isolating sandbox: bubblewrap unusable here")
    result = cohort.results[name]
    globs = exp["status"] if isinstance(exp["status"], list) else [exp["status"]]
    assert any(fnmatch.fnmatchcase(result.status, g) for g in globs), (
        f"status {result.status!r}, expected {globs}; reasons: "
        + "; ".join(nb.reason for nb in result.notebooks)
    )
    assert result.total == pytest.approx(exp["score"]), [t.to_dict() for t in result.tests]
    assert result.possible == pytest.approx(exp["possible"])
    slowest = max((nb.duration_s for nb in result.notebooks), default=0.0)
    # The wall-time limit holds; the margin is for a loaded machine, not for the engine.
    assert slowest <= CONFIG.wall_time_s + 30, f"took {slowest:.1f} s"
    stored = cohort.stored[name]
    assert (stored.status, stored.total) == (result.status, result.total)
    for check in exp.get("checks", []):
        _check(name, check, cohort)


def _matches(name: str, cohort: Cohort) -> bool:
    exp = expected(name)
    r = cohort.results[name]
    globs = exp["status"] if isinstance(exp["status"], list) else [exp["status"]]
    return any(fnmatch.fnmatchcase(r.status, g) for g in globs) and r.total == pytest.approx(
        exp["score"]
    )


def test_outcome_table_covers_every_case(cohort: Cohort) -> None:
    """Is every case graded, and is the case → status → score → expected table written?"""
    rows = [
        "| case | status | score | expected status | expected score | match |",
        "|---" * 6 + "|",
    ]
    for name in case_names():
        exp = expected(name)
        if name in cohort.skipped_cases:
            rows.append(f"| {name} | skipped (no sandbox) | | {exp['status']} | {exp['score']} | |")
            continue
        r = cohort.results[name]
        mark = "yes" if _matches(name, cohort) else "NO" + (" (xfail)" * (name in KNOWN_GAPS))
        rows.append(
            f"| {name} | {r.status} | {r.total:g}/{r.possible:g} | {exp['status']} "
            f"| {exp['score']} | {mark} |"
        )
    out = Path(__file__).parents[3] / "build" / "ADVERSARIAL_TABLE.md"
    out.parent.mkdir(exist_ok=True)
    head = f"Backend: {cohort.backend}; cohort wall time {cohort.wall_s:.1f} s (2 workers)\n\n"
    out.write_text(head + "\n".join(rows) + "\n")
    print("\n" + head + "\n".join(rows))
    assert set(cohort.results) | set(cohort.skipped_cases) == set(case_names())
