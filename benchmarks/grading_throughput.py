"""Grading throughput: this engine (`mlops-grade autograde`) vs `nbgrader autograde`, same run.

Generates a cohort of a realistic scikit-learn lab (split, fit a pipeline, read coefficients;
public + hidden tests) with a mix of correct, partial, wrong and unfinished submissions, grades
it with both engines at the same per-cell timeout, and prints wall time, throughput, per-notebook
overhead beyond the notebook's own run time (a plain `python` run of the same code), the 1 → 2
worker speed-up, and whether both engines gave every student the same score.

    python benchmarks/grading_throughput.py            # 100 submissions
    python benchmarks/grading_throughput.py --n 20 --skip-nbgrader --skip-cold

Our engine runs in two modes: "cold" starts a new sandbox for every notebook (Python
start-up and the lab's imports included, as nbgrader's kernel does); "warm" (the default) forks
each notebook's process from a per-worker sandbox that imported the lab's instructor imports once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LAB = "sklearn_lab"

IMPORTS = """import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler"""
DATA = """X, y = make_classification(n_samples=800, n_features=8, n_informative=5, random_state=0)
df = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
df["label"] = y
df.head()"""
SOLUTIONS = {
    "split": 'def split(df):\n    ### BEGIN SOLUTION\n    X = df.drop(columns="label")\n'
    '    return train_test_split(X, df["label"], test_size=0.25, random_state=42,\n'
    '                            stratify=df["label"])\n    ### END SOLUTION',
    "train": "def train(X_train, y_train):\n    ### BEGIN SOLUTION\n"
    "    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))\n"
    "    return model.fit(X_train, y_train)\n    ### END SOLUTION",
    "top": "def top_features(model, names, k):\n    ### BEGIN SOLUTION\n"
    "    coef = np.abs(model[-1].coef_[0])\n"
    "    return [names[i] for i in np.argsort(coef)[::-1][:k]]\n"
    "    ### END SOLUTION",
}
TESTS = {
    "test_split": (
        2,
        "X_train, X_test, y_train, y_test = split(df)\nassert len(X_test) == 200\n"
        'assert "label" not in X_train.columns\n### BEGIN HIDDEN TESTS\n'
        'assert abs(y_train.mean() - df["label"].mean()) < 0.01\n### END HIDDEN TESTS',
    ),
    "test_train": (
        4,
        "model = train(X_train, y_train)\n# TEST: predicts every row (1 point)\n"
        "assert len(model.predict(X_test)) == len(X_test)\n# TEST: accuracy above 0.8 (2 points)\n"
        "assert accuracy_score(y_test, model.predict(X_test)) > 0.8\n### BEGIN HIDDEN TESTS\n"
        "# TEST: probabilities (1 point)\n"
        "assert np.allclose(model.predict_proba(X_test).sum(axis=1), 1.0)\n### END HIDDEN TESTS",
    ),
    "test_top": (
        2,
        "feats = top_features(model, list(X_train.columns), 3)\nassert len(feats) == 3\n"
        "### BEGIN HIDDEN TESTS\ncoef = np.abs(model[-1].coef_[0])\n"
        "assert feats[0] == list(X_train.columns)[int(np.argmax(coef))]\n### END HIDDEN TESTS",
    ),
}
VARIANTS: dict[str, tuple[float, dict[str, str]]] = {
    "correct": (0.4, {}),
    "partial": (
        0.3,
        {
            "split": "def split(df):\n    X = df.drop(columns='label')\n"
            "    return train_test_split(X, df['label'], test_size=0.3, random_state=1)",
            "top": "def top_features(model, names, k):\n    return names[:k]",
        },
    ),
    "wrong": (
        0.2,
        {
            "train": "def train(X_train, y_train):\n    return LogisticRegression()",
            "top": "def top_features(model, names, k):\n    return names",
        },
    ),
    "unfinished": (0.1, {"split": None, "train": None, "top": None}),  # type: ignore[dict-item]
}


def _meta(gid: str, **flags: Any) -> dict[str, Any]:
    base = {
        "grade": False,
        "solution": False,
        "locked": False,
        "schema_version": 3,
        "grade_id": gid,
    }
    return {"nbgrader": {**base, **flags}}


def _cell(
    source: str, cell_type: str = "code", meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": cell_type, "metadata": meta or {}, "source": source}
    if cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def source_notebook() -> dict[str, Any]:
    cells = [
        _cell("# Lab: a first scikit-learn pipeline", "markdown", _meta("intro", locked=True)),
        _cell(IMPORTS, meta=_meta("imports", locked=True)),
        _cell(DATA, meta=_meta("data", locked=True)),
    ]
    for answer, test in zip(SOLUTIONS, TESTS, strict=True):
        cells.append(_cell(SOLUTIONS[answer], meta=_meta(answer, solution=True)))
        points, code = TESTS[test]
        cells.append(_cell(code, meta=_meta(test, grade=True, points=points)))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell{i:02d}"
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {
        "cells": cells,
        "metadata": {"kernelspec": kernelspec},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def student_notebook(released: dict[str, Any], variant: str) -> dict[str, Any]:
    nb = json.loads(json.dumps(released))
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in SOLUTIONS:
            override = VARIANTS[variant][1].get(gid, "")
            if override is None:
                continue  # unfinished: the stub stays
            solution = [line for line in SOLUTIONS[gid].split("\n") if "SOLUTION" not in line]
            cell["source"] = override or "\n".join(solution)
    return nb


def cohort(n: int) -> list[tuple[str, str]]:
    out, i = [], 0
    for variant, (share, _) in VARIANTS.items():
        for _ in range(round(share * n)):
            out.append((f"s{i:03d}", variant))
            i += 1
    return out


def own_runtime(nb: dict[str, Any], workdir: Path) -> float:
    """Seconds to run the notebook's code (test cells included) as a plain Python script."""
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            body = "\n".join("    " + line for line in cell["source"].split("\n"))
            lines.append(f"try:\n{body}\nexcept BaseException:\n    pass")
    script = workdir / "own.py"
    script.write_text("\n".join(lines))
    started = time.perf_counter()
    subprocess.run([sys.executable, str(script)], cwd=workdir, capture_output=True, check=False)
    return time.perf_counter() - started


def run_ours(
    course: Path, workers: int, timeout: float, warm: bool = True
) -> tuple[float, dict[str, float], float, float]:
    """Grade in a fresh Python process (as nbgrader runs): the wall time includes start-up."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--_grade", str(course), str(workers), str(timeout), str(warm)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return wall, out["scores"], out["overhead"], out["steady"]


def _grade(course: str, workers: str, timeout: str, warm: str) -> None:
    from graders.autograde import autograde
    from graders.config import GradeConfig

    done: list[float] = []
    result = autograde(
        course_dir=Path(course), lab=LAB, workers=int(workers), force=True,
        config=GradeConfig(cell_timeout_s=float(timeout), warm=warm == "True"),
        on_result=lambda _: done.append(time.perf_counter()),
    )  # fmt: skip
    notebooks = [nb for r in result.results for nb in r.notebooks]
    overhead = statistics.fmean(nb.duration_s - nb.exec_s for nb in notebooks)
    scores = {r.student: r.total for r in result.results}
    # Steady state: seconds per notebook between the first and the last result (start-up excluded).
    steady = (done[-1] - done[0]) / (len(done) - 1) if len(done) > 1 else float("nan")
    print(json.dumps({"scores": scores, "overhead": overhead, "steady": steady}))


def run_nbgrader(course: Path, timeout: float) -> tuple[float, dict[str, float]]:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        f"c.ExecutePreprocessor.timeout = {int(timeout)}\nc.Execute.timeout = {int(timeout)}\n"
    )
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    nbgrader = [str(BIN / "nbgrader")]
    subprocess.run(
        [*nbgrader, "generate_assignment", LAB, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [*nbgrader, "autograde", LAB, "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    db = sqlite3.connect(course / "gradebook.db")
    rows = db.execute(
        "SELECT sa.student_id, SUM(COALESCE(g.auto_score, 0)) FROM grade g "
        "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
        "JOIN submitted_assignment sa ON sn.assignment_id = sa.id GROUP BY sa.student_id"
    ).fetchall()
    return wall, {s: float(t) for s, t in rows}


def main() -> None:
    if sys.argv[1:2] == ["--_grade"]:  # one run of our engine, in its own process
        _grade(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    parser.add_argument("--timeout", type=float, default=30, help="per-cell timeout, both engines")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench" / "grading")
    parser.add_argument("--skip-nbgrader", action="store_true")
    parser.add_argument(
        "--skip-cold", action="store_true", help="only warm sandboxes (the default engine)"
    )
    args = parser.parse_args()

    from graders.release import release

    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    ours, theirs = work / "ours", work / "nbgrader"
    src = source_notebook()
    for course in (ours, theirs):
        (course / "source" / LAB).mkdir(parents=True)
        (course / "source" / LAB / f"{LAB}.ipynb").write_text(json.dumps(src, indent=1))
    release(course_dir=ours, lab=LAB)
    released = json.loads((ours / "release" / LAB / f"{LAB}.ipynb").read_text())
    students = cohort(args.n)
    for student, variant in students:
        text = json.dumps(student_notebook(released, variant), indent=1)
        for course in (ours, theirs):
            path = course / "submitted" / student / LAB / f"{LAB}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(text)
    mix = {v: share for v, (share, _) in VARIANTS.items()}
    own = {
        v: statistics.median(own_runtime(student_notebook(released, v), work) for _ in range(3))
        for v in VARIANTS
    }
    own_mean = sum(own[v] * mix[v] for v in VARIANTS)
    load = os.getloadavg()[0]
    detail = ", ".join(f"{v} {t:.2f}" for v, t in own.items())
    print(f"{len(students)} submissions of {LAB}; own run time per notebook {own_mean:.2f} s")
    print(f"  ({detail}); load average {load:.1f} on {os.cpu_count()} cores")

    rows: list[tuple[str, int, float, float | None, float | None]] = []
    scores: dict[str, dict[str, float]] = {}
    if not args.skip_nbgrader:
        wall, scores["nbgrader"] = run_nbgrader(theirs, args.timeout)
        rows.append(("nbgrader autograde", 1, wall, None, None))
    for name, workers, warm in (("cold", 1, False), ("cold", 2, False), ("warm", 1, True),
                                ("warm", 2, True)):  # fmt: skip
        if name == "cold" and args.skip_cold:
            continue
        wall, scores[f"ours-{name}-{workers}"], measured, steady = run_ours(
            ours, workers, args.timeout, warm
        )
        rows.append((f"mlops-grade ({name})", workers, wall, measured, steady))
    print_table(rows, len(students), own_mean, os.getloadavg()[0])
    if "nbgrader" in scores:
        print_agreement(students, scores)


def print_table(
    rows: list[tuple[str, int, float, float | None, float | None]], n: int, own: float, load: float
) -> None:
    base = rows[0][2] if rows[0][0].startswith("nbgrader") else None
    head = ("engine", "workers", "wall s", "nb/min", "s/nb", "steady", "overhead", "measured",
            "vs nbgrader")  # fmt: skip
    print("\n{:<22}{:>8}{:>8}{:>8}{:>7}{:>8}{:>10}{:>10}{:>13}".format(*head))
    for name, workers, wall, measured, steady in rows:
        per_slot = wall * workers / n  # worker-seconds per notebook
        speed = f"{base / wall:.2f}x" if base else "-"
        inside = f"{measured:.2f}" if measured is not None else "-"
        flow = f"{steady:.3f}" if steady is not None else "-"
        values = (name, workers, wall, n / wall * 60, wall / n, flow, per_slot - own, inside, speed)
        print("{:<22}{:>8}{:>8.1f}{:>8.1f}{:>7.2f}{:>8}{:>10.2f}{:>10}{:>13}".format(*values))
    print()
    for mode in ("cold", "warm"):
        one = next((r for r in rows if r[0] == f"mlops-grade ({mode})" and r[1] == 1), None)
        two = next((r for r in rows if r[0] == f"mlops-grade ({mode})" and r[1] == 2), None)
        if one and two and one[4] and two[4]:
            print(f"1 -> 2 workers ({mode}): {one[2] / two[2]:.2f}x wall, "
                  f"{one[4] / two[4]:.2f}x steady state")  # fmt: skip
    print(f"load average {load:.1f} at the end")
    print("steady = seconds per notebook between the first and the last result (start-up out);")
    print("overhead = worker-seconds per notebook minus its own plain-python run time;")
    print("measured = our instrumented time per notebook outside the student's cells.")


def print_agreement(students: list[tuple[str, str]], scores: dict[str, dict[str, float]]) -> None:
    theirs = scores["nbgrader"]
    for key in sorted(k for k in scores if k.startswith("ours-")):
        ours = scores[key]
        same = sum(1 for s, _ in students if abs(theirs.get(s, -1) - ours.get(s, -2)) < 1e-9)
        print(f"same score as nbgrader ({key[5:]}): {same}/{len(students)} students")
    ours = scores["ours-warm-1"]
    for variant in VARIANTS:
        who = next(s for s, v in students if v == variant)
        nan = float("nan")
        print(f"  {variant:<11} nbgrader {theirs.get(who, nan):g}  ours {ours.get(who, nan):g}")


if __name__ == "__main__":
    main()
