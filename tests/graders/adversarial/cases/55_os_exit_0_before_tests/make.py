"""Case 55_os_exit_0_before_tests: os._exit(0) right before the first test: the kernel is gone,
nothing is scored as passed.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "test_mean_center",
        r"""import os
os._exit(0)
""",
    )
    kit.write()
