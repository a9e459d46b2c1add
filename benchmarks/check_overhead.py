"""Learner self-check overhead: `mlops-grade check` vs the notebook's own run time, same run.

The notebook's own run time is a plain `python` run of its code cells (test cells included);
`check` adds the CLI's start-up, the capability probe, the sandbox, the driver protocol and the
trusted-side scoring. Goal (issue 3): at most 2 s over the notebook's own run time.

    python benchmarks/check_overhead.py                  # each lab's solution, 5 runs each
    python benchmarks/check_overhead.py --runs 3 --labs lab01_business_to_ml
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

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def solution_submission(lab: str, work: Path) -> Path:
    """The released notebook with the solutions put back (a learner's full answer)."""
    from graders.release import release

    course = work / lab
    shutil.rmtree(course, ignore_errors=True)
    shutil.copytree(ROOT / "labs" / lab, course / "source" / lab)
    for extra in ("manifest.yml", "mutants.yml"):
        (course / "source" / lab / extra).unlink(missing_ok=True)
    release(course_dir=course, lab=lab)
    source = next((course / "source" / lab).glob("*.ipynb"))
    released = course / "release" / lab / source.name
    nb, src = json.loads(released.read_text()), json.loads(source.read_text())
    by_id = {c.get("id"): c for c in src["cells"]}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell.get("id") in by_id:
            text = by_id[cell["id"]]["source"]
            text = "".join(text) if isinstance(text, list) else text
            cell["source"] = "\n".join(x for x in text.split("\n") if "SOLUTION" not in x)
    out = course / "mine" / source.name
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(nb))
    return out


def own_runtime(notebook: Path) -> float:
    nb = json.loads(notebook.read_text())
    parts = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if src.lstrip().startswith(("%", "!")):
            continue
        body = "\n".join("    " + line for line in src.split("\n"))
        parts.append(f"try:\n{body}\n    pass\nexcept BaseException:\n    pass")
    script = notebook.with_suffix(".py")
    script.write_text("\n".join(parts))
    started = time.perf_counter()
    subprocess.run([sys.executable, script.name], cwd=notebook.parent, capture_output=True)
    return time.perf_counter() - started


def check_runtime(notebook: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "mlops-grade"), "check", str(notebook)], capture_output=True, text=True
    )
    return time.perf_counter() - started, (proc.stdout.strip().splitlines() or [""])[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--labs", nargs="*", default=None, help="default: every lab in labs/")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench" / "check")
    args = parser.parse_args()
    labs = args.labs or sorted(p.name for p in (ROOT / "labs").glob("lab*") if p.is_dir())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.runs} runs")
    head = ("lab", "own s", "check s", "overhead s", "check says")
    print("{:<28}{:>8}{:>9}{:>12}  {}".format(*head))
    for lab in labs:
        notebook = solution_submission(lab, args.workdir)
        own, checked, says = [], [], ""
        for _ in range(args.runs):  # interleaved, so both see the same machine
            own.append(own_runtime(notebook))
            seconds, says = check_runtime(notebook)
            checked.append(seconds)
        o, c = statistics.median(own), statistics.median(checked)
        print(f"{lab:<28}{o:>8.2f}{c:>9.2f}{c - o:>12.2f}  {says[:60]}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}; medians; goal: overhead <= 2 s")


if __name__ == "__main__":
    main()
