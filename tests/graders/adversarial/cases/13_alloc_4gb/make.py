"""Case 13_alloc_4gb: a 4 GB allocation fails inside the memory limit (MemoryError); the
status names the limit (error:memory-limit) and earned points are kept.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""big = bytearray(4 << 30)
""",
    )
    kit.write()
