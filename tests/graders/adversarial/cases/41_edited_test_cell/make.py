"""Case 41_edited_test_cell: Wrong mean_center and its test replaced by 'assert True': restored,
the test fails.
"""


def make(kit):
    """mean_center wrong; its test cell edited to pass anything."""
    kit.honest("mean_center_answer")
    kit.set_source("mean_center_answer", "def mean_center(x):\n    return x\n")
    kit.set_source("test_mean_center", "assert True\n")
    kit.write()
