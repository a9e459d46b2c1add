"""Case 17_segfault: A segfault (ctypes.string_at(0)) kills the kernel: status error:kernel-died."""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel cannot survive it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import ctypes
ctypes.string_at(0)
""",
    )
    kit.write()
