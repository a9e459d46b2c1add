"""Grading scale-out: the process pool vs a Dask cluster (`autograde --scheduler`), same cohort.

On this machine: a scheduler and 1, then 2 `dask worker` processes on 127.0.0.1 grade the same
submissions of the benchmark lab (`grading_throughput.py`'s cohort: correct, partial, wrong,
unfinished) as the process pool with 1 and 2 workers. Prints wall time, steady-state seconds
per notebook, each engine's overhead per task (a no-op task through the same engine), the
1 -> 2 worker scaling, and a projection table (cores -> hours for 1k/10k submissions of labs 1
and 4) computed from their measured per-notebook times, labelled as a projection.

    python benchmarks/grading_scaleout.py                 # 100 submissions, 3 per real lab
    python benchmarks/grading_scaleout.py --n 40 --out build/bench/scaleout.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.grading_throughput import (  # noqa: E402
    LAB,
    cohort,
    source_notebook,
    student_notebook,
)

BIN = Path(sys.executable).parent
REAL_LABS = {"lab1": "lab01_business_to_ml", "lab4": "lab04_training_and_testing"}
NOT_RELEASED = {"manifest.yml", "mutants.yml"}
CORES = (2, 8, 32, 128)
COHORTS = (1_000, 10_000)


# -- a local cluster -----------------------------------------------------------------------------


class LocalDask:
    """`dask scheduler` + `dask worker` processes on 127.0.0.1 (as the deployment recipe runs)."""

    def __init__(self, logs: Path) -> None:
        import socket

        logs.mkdir(parents=True, exist_ok=True)
        self.logs = logs
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.procs = [self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--dashboard-address", "127.0.0.1:0")]  # fmt: skip
        self.workers = 0

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(BIN / "dask"), *args], stdout=(self.logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
        )  # fmt: skip

    def add_worker(self) -> None:
        self.workers += 1
        self.procs.append(
            self._start(
                f"worker{self.workers}",
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--resources",
                "mlops-grade=1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--memory-limit",
                "0",
            )  # fmt: skip
        )
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(self.workers, timeout=120)

    def close(self) -> None:
        import signal

        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


# -- one grading run, in a fresh process (as `mlops-grade autograde` runs) -----------------------


def run_grading(course: Path, lab: str, workers: int, scheduler: str = "") -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--_grade", str(course), lab, str(workers), scheduler],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"grading run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _grade(course: str, lab: str, workers: str, scheduler: str = "") -> None:
    from graders.autograde import autograde
    from graders.config import GradeConfig

    done: list[float] = []
    started = time.perf_counter()
    result = autograde(
        course_dir=Path(course), lab=lab, workers=int(workers), force=True,
        config=GradeConfig(cell_timeout_s=60), scheduler=scheduler or None,
        on_result=lambda _: done.append(time.perf_counter()),
    )  # fmt: skip
    wall = time.perf_counter() - started
    # Steady state: seconds per notebook between the first and the last result (start-up out).
    steady = (done[-1] - done[0]) / (len(done) - 1) if len(done) > 1 else float("nan")
    notebooks = [nb for r in result.results for nb in r.notebooks]
    print(json.dumps({
        "wall": wall, "steady": steady, "n": len(done),
        "in_worker": statistics.fmean(nb.duration_s for nb in notebooks),
        "scores": {r.student: [r.status, r.total] for r in result.results},
        "per_worker": result.per_worker,
    }))  # fmt: skip


# -- per-task overhead: a no-op task through each engine ----------------------------------------


def noop(task: Any) -> Any:
    """A grading task that grades nothing: what is left is the engine's own cost per task."""
    from graders.results import SubmissionResult

    return SubmissionResult(task.student, task.lab)


def _tasks(course: Path, lab: str, n: int) -> list[Any]:
    from graders.config import GradeConfig
    from graders.grade_task import GradeTask
    from graders.gradebook import Gradebook

    with Gradebook.open_existing(course / "gradebook.db") as gb:
        notebooks = gb.lab_notebooks(lab)
    sub, out = course / "submitted" / "s000" / lab, course / "autograded" / "s000" / lab
    return [GradeTask(f"t{i}", lab, str(sub), str(out), notebooks, GradeConfig()) for i in range(n)]


def task_overhead(course: Path, scheduler: str, n: int) -> dict[str, float]:
    """Worker-milliseconds per no-op task in steady state, pool (2 workers) and Dask (2 workers)."""
    from graders.autograde import _run_pool
    from graders.cluster import DaskEngine

    out: dict[str, float] = {}
    for engine in ("pool", "dask"):
        stamps: list[float] = []
        tasks = _tasks(course, LAB, n)

        def record(_: Any, stamps: list[float] = stamps) -> None:
            stamps.append(time.perf_counter())

        if engine == "pool":
            _run_pool(tasks, 2, record, noop)
        else:
            with DaskEngine.connect(scheduler, course_dir=course) as dask:
                dask.run(tasks, record, noop)
        out[engine] = (stamps[-1] - stamps[0]) / (len(stamps) - 1) * 2 * 1000
    return out


# -- the cohorts ---------------------------------------------------------------------------------


def build_benchmark_course(course: Path, n: int) -> list[tuple[str, str]]:
    from graders.release import release

    (course / "source" / LAB).mkdir(parents=True)
    (course / "source" / LAB / f"{LAB}.ipynb").write_text(json.dumps(source_notebook(), indent=1))
    release(course_dir=course, lab=LAB)
    released = json.loads((course / "release" / LAB / f"{LAB}.ipynb").read_text())
    students = cohort(n)
    for student, variant in students:
        path = course / "submitted" / student / LAB / f"{LAB}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(student_notebook(released, variant), indent=1))
    return students


def build_lab_course(course: Path, lab: str, copies: int) -> None:
    """A real lab released into ``course``, with ``copies`` solved submissions."""
    from graders import cells as C
    from graders.release import release

    folder = ROOT / "labs" / lab
    src = course / "source" / lab
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and rel.name not in NOT_RELEASED and "__pycache__" not in rel.parts:
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, src / rel)
    release(course_dir=course, lab=lab)
    source = json.loads((folder / f"{lab}.ipynb").read_text())
    answers = {C.grade_id(c): C.source(c) for c in source["cells"] if C.is_solution(c)}
    released = json.loads((course / "release" / lab / f"{lab}.ipynb").read_text())
    for cell in released["cells"]:
        if C.grade_id(cell) in answers:
            cell["source"] = answers[C.grade_id(cell)]
    for i in range(copies):
        dest = course / "submitted" / f"solved{i}" / lab
        shutil.copytree(course / "release" / lab, dest)
        (dest / f"{lab}.ipynb").write_text(json.dumps(released, indent=1))


# -- the report ----------------------------------------------------------------------------------


def projection(per_nb: dict[str, float], overhead_s: float) -> dict[str, dict[str, float]]:
    """Hours for N submissions on C cores: N x (measured s/notebook + Dask's per-task cost) / C."""
    return {
        f"{lab}_{n}": {f"c{c}": n * (s + overhead_s) / c / 3600 for c in CORES}
        for lab, s in per_nb.items()
        for n in COHORTS
    }


def main() -> None:
    if sys.argv[1:2] == ["--_grade"]:
        _grade(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="submissions (default 100)")
    parser.add_argument("--lab-copies", type=int, default=3, help="solved copies per real lab")
    parser.add_argument("--noop-tasks", type=int, default=200, help="no-op tasks per engine")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench" / "scaleout")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()

    shutil.rmtree(args.workdir, ignore_errors=True)
    course = args.workdir / "course"
    students = build_benchmark_course(course, args.n)
    load = {"before": os.getloadavg()[0]}
    print(f"{len(students)} submissions of {LAB}; load average {load['before']:.1f} on "
          f"{os.cpu_count()} cores")  # fmt: skip
    cluster = LocalDask(args.workdir / "dask-logs")
    runs: dict[str, dict[str, Any]] = {}
    try:
        cluster.add_worker()
        runs["pool_1"] = run_grading(course, LAB, 1)
        runs["dask_1"] = run_grading(course, LAB, 1, cluster.address)
        cluster.add_worker()
        runs["pool_2"] = run_grading(course, LAB, 2)
        runs["dask_2"] = run_grading(course, LAB, 2, cluster.address)
        overhead = task_overhead(course, cluster.address, args.noop_tasks)
        per_nb: dict[str, float] = {}
        for short, lab in REAL_LABS.items():
            lab_course = args.workdir / short
            build_lab_course(lab_course, lab, args.lab_copies)
            run = run_grading(lab_course, lab, 1)
            per_nb[short] = run["steady"] if args.lab_copies > 1 else run["wall"]
    finally:
        cluster.close()
    load["after"] = os.getloadavg()[0]
    same = runs["dask_2"]["scores"] == runs["pool_2"]["scores"] == runs["dask_1"]["scores"]
    figures = {
        "n": len(students),
        "load": load,
        "cores": os.cpu_count(),
        "runs": {k: {m: v[m] for m in ("wall", "steady", "in_worker")} for k, v in runs.items()},
        "dask_vs_pool_steady_2": runs["pool_2"]["steady"] / runs["dask_2"]["steady"],
        "scaling": {
            e: runs[f"{e}_1"]["steady"] / runs[f"{e}_2"]["steady"] for e in ("pool", "dask")
        },
        "task_overhead_ms": overhead,
        "same_scores": int(same),
        "per_notebook_s": per_nb,
        "projection_h": projection(per_nb, overhead["dask"] / 1000),
    }
    print_report(figures, runs)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2))


def print_report(f: dict[str, Any], runs: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'engine':<10}{'workers':>8}{'wall s':>9}{'steady s/nb':>13}{'in worker s':>13}")
    for key, run in runs.items():
        engine, workers = key.split("_")
        print(f"{engine:<10}{workers:>8}{run['wall']:>9.1f}{run['steady']:>13.3f}"
              f"{run['in_worker']:>13.3f}")  # fmt: skip
    print(f"\nDask throughput at 2 workers vs the pool's (steady state): "
          f"{f['dask_vs_pool_steady_2']:.2f}x")  # fmt: skip
    for engine, x in f["scaling"].items():
        print(f"1 -> 2 workers ({engine}): {x:.2f}x steady state")
    oh = f["task_overhead_ms"]
    print(f"per-task overhead (no-op task, worker-ms in steady state): pool {oh['pool']:.1f} ms, "
          f"Dask {oh['dask']:.1f} ms")  # fmt: skip
    print(f"same scores and statuses, pool and Dask: {'yes' if f['same_scores'] else 'NO'}")
    print(f"load average {f['load']['before']:.1f} before, {f['load']['after']:.1f} after, "
          f"{f['cores']} cores")  # fmt: skip
    labs = ", ".join(f"{lab} {s:.2f} s" for lab, s in f["per_notebook_s"].items())
    print(f"\nmeasured per notebook (1 worker, steady state, solved submissions): {labs}")
    print("PROJECTION (not measured): hours = N x (s/notebook + Dask per-task cost) / cores,")
    print("assuming one worker process per core, linear scaling past the 2 workers measured here,")
    print("and a shared file system and scheduler that keep up.")
    print(f"{'':<14}" + "".join(f"{c:>10} cores" for c in CORES))
    for key, row in f["projection_h"].items():
        lab, n = key.split("_")
        print(f"{lab + ' ' + format(int(n), ','):<14}" + "".join(
            f"{row[f'c{c}']:>14.2f} h" for c in CORES))  # fmt: skip


if __name__ == "__main__":
    main()
