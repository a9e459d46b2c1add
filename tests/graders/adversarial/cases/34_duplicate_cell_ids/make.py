"""Case 34_duplicate_cell_ids: Every cell has the same id; cells are still matched by grade_id; no
extra points.
"""


def make(kit):
    """Honest answers; every cell carries the same id."""
    kit.honest()
    for cell in kit.nb["cells"]:
        cell["id"] = "same-id"
    kit.write()
