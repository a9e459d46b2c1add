"""Case 57_read_source_notebook: Reads the instructor's source notebook (exact path guessed) and
walks / for notebooks: invisible.
"""

TARGETS = ["{source_nb}", "{course}/source/lab01/lab01.ipynb", "../../../source/lab01/lab01.ipynb"]


def make(kit):
    """Wrong answers; a cell reads the trusted side's files and runs any solution it finds."""
    kit.wrong()
    kit.read_and_run_solutions("mean_center_answer", TARGETS)
    kit.write()
