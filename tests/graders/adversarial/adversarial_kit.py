"""What a case's `make.py` gets to build its submission: the released notebook and helpers.

Each case folder holds `make.py` (a function `make(kit)`) and `expected.yml` (status, score,
notes, extra checks). Submissions are built at test time, so big files are never committed and
absolute paths of the test's course can be embedded as a "perfect guess" by attacks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOTEBOOK = "lab01.ipynb"

# Honest answers written differently from the instructor's solutions, so that a leak scan can
# tell a solution line apart from a student's own code.
HONEST = {
    "mean_center_answer": (
        "def mean_center(x):\n    arr = np.array(x, dtype=float)\n    return arr - np.mean(arr)\n"
    ),
    "add_ratio_answer": "def add_ratio(df):\n    return df.assign(ratio=df['a'] / df['b'])\n",
    "circle_area_answer": "def circle_area(r):\n    return math.pi * r * r\n",
    "why_center": "So that every feature is measured from its own average.",
}

WRONG = {
    "mean_center_answer": "def mean_center(x):\n    return np.asarray(x, dtype=float)\n",
    "add_ratio_answer": "def add_ratio(df):\n    return df.copy()\n",
    "circle_area_answer": "def circle_area(r):\n    return 3 * r\n",
}


# A cell that reads the given paths, walks / for notebooks and gradebooks, and runs any solution
# cell it finds (shared by the cases that try to read the trusted side's files).
READ_AND_RUN_SOLUTIONS = r"""
import json
import os
import sys

CTX = {ctx}
found = []
for path in CTX["targets"]:
    try:
        with open(path, "rb") as f:
            found.append(f.read(50_000_000).decode("utf-8", "replace"))
    except OSError as exc:
        print("blocked", path, type(exc).__name__)
# Not the big read-only trees, and not the student's own folder (its notebook holds this cell).
skip = ("/proc", "/sys", "/dev", "/usr", sys.prefix, sys.base_prefix, os.getcwd())
MARKER = "### BEGIN " + "SOLUTION"
for root, dirs, files in os.walk("/"):
    if root.startswith(skip):
        dirs[:] = []
        continue
    for name in files:
        if name.endswith((".ipynb", ".db", ".yml", ".json")):
            try:
                with open(os.path.join(root, name), "rb") as f:
                    found.append(f.read(50_000_000).decode("utf-8", "replace"))
            except OSError:
                pass
print("\n".join(found))
for text in found:
    try:
        for cell in json.loads(text).get("cells", []):
            src = "".join(cell.get("source", ""))
            if MARKER in src and cell.get("cell_type") == "code":
                exec(src, globals())
    except Exception:
        pass
"""


@dataclass
class Kit:
    """Builder of one submission folder.

    Attributes:
        released: The released notebook (a private deep copy per case).
        dest: The submission folder (``submitted/<case>/lab01``), already created.
        ctx: Absolute paths and ports of this test run that an attacker "guesses":
            ``course``, ``gradebook``, ``source_nb``, ``repo``, ``port``, ``canary``.
        data: Other files of the release (``data.csv``), copied unless ``skip_data``.
    """

    released: dict[str, Any]
    dest: Path
    ctx: dict[str, Any]
    data: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.nb = copy.deepcopy(self.released)

    # -- finding and editing cells ------------------------------------------------------------
    def index(self, grade_id: str) -> int:
        for i, cell in enumerate(self.nb["cells"]):
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
                return i
        raise KeyError(grade_id)

    def cell(self, grade_id: str) -> dict[str, Any]:
        return self.nb["cells"][self.index(grade_id)]

    def set_source(self, grade_id: str, source: str) -> None:
        self.cell(grade_id)["source"] = source

    def honest(self, *except_ids: str) -> Kit:
        """Fill every answer with a correct one (but `except_ids`)."""
        for gid, code in HONEST.items():
            if gid not in except_ids:
                self.set_source(gid, code)
        return self

    def wrong(self) -> Kit:
        """Fill every code answer with a wrong (but harmless) one."""
        for gid, code in WRONG.items():
            self.set_source(gid, code)
        return self

    def insert(self, before: str, source: str, metadata: dict[str, Any] | None = None) -> None:
        """Add a student code cell right before the cell `before` (a grade_id)."""
        n = sum(1 for _ in self.nb["cells"])
        cell = {
            "cell_type": "code",
            "id": f"student-{n}",
            "metadata": metadata or {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        self.nb["cells"].insert(self.index(before), cell)

    # -- writing -------------------------------------------------------------------------------
    def read_and_run_solutions(self, before: str, targets: list[str]) -> None:
        """Insert the file-reading attack before `before`, aimed at `targets` (format-expanded)."""
        paths = [t.format(**self.ctx) for t in targets]
        self.insert(before, READ_AND_RUN_SOLUTIONS.replace("{ctx}", repr({"targets": paths})))

    def write(self, name: str = NOTEBOOK, *, skip_data: bool = False) -> Path:
        """Write the notebook (and the lab's data files) into the submission folder."""
        path = self.dest / name
        path.write_text(json.dumps(self.nb, indent=1), encoding="utf-8")
        if not skip_data:
            for fname, blob in self.data.items():
                (self.dest / fname).write_bytes(blob)
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.dest / name
        path.write_text(text, encoding="utf-8")
        return path
