"""Case 56_sys_exit_before_tests: sys.exit() right before the first test: the tests still run (or
the run is an error), no points.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "test_mean_center",
        r"""import sys
sys.exit(0)
""",
    )
    kit.write()
