"""Case 69_symlink_to_trusted_files: the submission holds symlinks to the source notebook and
the gradebook, and a cell runs any solution it reads through them: symlinks are not followed.
"""

import os

ATTACK = r"""
import json
for path in ("answers.ipynb", "data_link.csv"):
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
        print(text[:2000])
        for cell in json.loads(text).get("cells", []):
            src = "".join(cell.get("source", ""))
            if "### BEGIN " + "SOLUTION" in src and cell.get("cell_type") == "code":
                exec(src, globals())
    except Exception as exc:
        print("blocked", path, type(exc).__name__)
"""


def make(kit):
    """Wrong answers; symlinks to the trusted side's files; a cell reads them."""
    kit.wrong()
    kit.insert("mean_center_answer", ATTACK)
    kit.write()
    os.symlink(kit.ctx["source_nb"], kit.dest / "answers.ipynb")
    os.symlink(kit.ctx["gradebook"], kit.dest / "data_link.csv")
