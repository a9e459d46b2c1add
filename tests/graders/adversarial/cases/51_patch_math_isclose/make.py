"""Case 51_patch_math_isclose: math.isclose patched (and math.pi changed) in the student's process:
no effect on scoring.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "mean_center_answer",
        r"""import math
math.isclose = lambda *a, **k: True
math.pi = 3
""",
    )
    kit.write()
