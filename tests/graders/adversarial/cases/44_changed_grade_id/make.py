"""Case 44_changed_grade_id: test_mean_center renamed and emptied (mean_center wrong): matched by
cell id, restored, fails.
"""


def make(kit):
    """mean_center wrong; its test's grade_id renamed and its code emptied."""
    kit.honest("mean_center_answer")
    kit.set_source("mean_center_answer", "def mean_center(x):\n    return x\n")
    cell = kit.cell("test_mean_center")
    cell["metadata"]["nbgrader"]["grade_id"] = "test_mean_center_v2"
    cell["source"] = "assert True\n"
    kit.write()
