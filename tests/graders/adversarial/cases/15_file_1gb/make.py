"""Case 15_file_1gb: writing 1 GB stops at the file-size limit (EFBIG); the status names
the limit (error:file-size-limit) and earned points are kept.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""with open('big.bin', 'wb') as f:
    for _ in range(1024):
        f.write(b'0' * (1 << 20))
""",
    )
    kit.write()
