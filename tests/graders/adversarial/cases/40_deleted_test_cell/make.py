"""Case 40_deleted_test_cell: test_add_ratio deleted: restored from the gradebook, run, and
recorded as tampering.
"""


def make(kit):
    """Honest answers; the test cell of add_ratio deleted."""
    kit.honest()
    del kit.nb["cells"][kit.index("test_add_ratio")]
    kit.write()
