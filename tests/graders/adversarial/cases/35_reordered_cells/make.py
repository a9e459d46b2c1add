"""Case 35_reordered_cells: The add_ratio exercise (question, answer, test) moved before
mean_center: still graded by grade_id.
"""


def make(kit):
    """Honest answers; the second exercise block moved before the first."""
    kit.honest()
    cells = kit.nb["cells"]
    a = kit.index("mean_center_answer") - 1  # its question (markdown) comes first
    b = kit.index("add_ratio_answer") - 1
    c = kit.index("test_add_ratio") + 1
    kit.nb["cells"] = cells[:a] + cells[b:c] + cells[a:b] + cells[c:]
    kit.write()
