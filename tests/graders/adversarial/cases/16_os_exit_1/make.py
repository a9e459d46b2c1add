"""Case 16_os_exit_1: os._exit(1) kills the kernel: later tests are unscored, status says why."""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel cannot survive it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os
os._exit(1)
""",
    )
    kit.write()
