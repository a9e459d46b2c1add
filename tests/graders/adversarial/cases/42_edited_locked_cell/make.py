"""Case 42_edited_locked_cell: The locked imports cell patched to make np.allclose always True,
add_ratio wrong: restored, 4 points lost.
"""


def make(kit):
    """add_ratio wrong; the locked imports cell patches numpy."""
    kit.honest("add_ratio_answer")
    kit.set_source("add_ratio_answer", "def add_ratio(df):\n    return df\n")
    cell = kit.cell("imports")
    cell["source"] = "".join(cell["source"]) + "\nnp.allclose = lambda *a, **k: True\n"
    kit.write()
