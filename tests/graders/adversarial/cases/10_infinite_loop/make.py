"""Case 10_infinite_loop: A busy loop in a cell is stopped at the per-cell timeout; earlier tests
keep their points.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel cannot survive it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""while True:
    pass
""",
    )
    kit.write()
