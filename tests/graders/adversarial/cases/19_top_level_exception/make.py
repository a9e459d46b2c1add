"""Case 19_top_level_exception: a top-level exception in a student cell; the status names the fault
(error:cell-exception) and earned points are kept.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""raise RuntimeError('boom')
""",
    )
    kit.write()
