"""Case 62_guess_trusted_paths: Guesses the course root, other students' folders, /proc/1/root,
parent dirs: reads and writes fail.
"""

ATTACK = """
import os
for path in TARGETS:
    for attempt in ("list", "read", "write"):
        try:
            if attempt == "list":
                print(path, os.listdir(path))
            elif attempt == "read":
                with open(path, "rb") as f:
                    print(f.read(1_000_000).decode("utf-8", "replace"))
            else:
                target = path if not os.path.isdir(path) else os.path.join(path, "pwned.txt")
                with open(target, "a") as f:
                    f.write("pwned")
                print("wrote", target)
        except OSError as exc:
            pass
"""


def make(kit):
    """Wrong answers; a cell probes the trusted side's likely paths."""
    kit.wrong()
    c = kit.ctx
    targets = [
        c["course"],
        c["course"] + "/source/lab01",
        c["source_nb"],
        c["gradebook"],
        c["course"] + "/submitted",
        c["course"] + "/submitted/00_honest/lab01/lab01.ipynb",
        c["course"] + "/autograded",
        c["course"] + "/release/lab01",
        c["repo"],
        c["repo"] + "/tests/graders/adversarial/lab/source/lab01/lab01.ipynb",
        "..",
        "../..",
        "../../..",
        "/proc/1/root" + c["source_nb"],
        "/proc/1/cwd",
        "/proc/1/environ",
        "/root/.bash_history",
        "/etc/shadow",
        "/tmp",
    ]
    kit.insert("mean_center_answer", f"TARGETS = {targets!r}\n" + ATTACK)
    kit.write()
