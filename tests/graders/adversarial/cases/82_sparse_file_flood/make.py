"""Case 82_sparse_file_flood: honest answers, then 30 sparse files of 99 MB each in the work
folder (3 GB apparent, almost nothing allocated in the sandbox). What returns to autograded/ is
capped (100 MB by default, a sparse file counted whole) and stays sparse; the status says so.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""for i in range(30):
    with open(f'sparse{i:02}.bin', 'wb') as f:
        f.write(b'x')
        f.truncate(99 << 20)
""",
    )
    kit.write()
