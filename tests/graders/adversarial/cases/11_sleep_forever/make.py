"""Case 11_sleep_forever: time.sleep forever is stopped at the per-cell timeout."""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel cannot survive it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import time
time.sleep(10**9)
""",
    )
    kit.write()
