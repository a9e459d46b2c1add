"""Case 13_alloc_4gb: A 4 GB allocation fails inside the memory limit (MemoryError); the issue asks
for status error:<reason>.
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
