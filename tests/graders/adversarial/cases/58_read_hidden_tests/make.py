"""Case 58_read_hidden_tests: Reads the gradebook (holds the hidden tests) and the repo's copy of
the lab: invisible.
"""

TARGETS = [
    "{gradebook}",
    "{course}/gradebook.db",
    "{repo}/tests/graders/adversarial/lab/source/lab01/lab01.ipynb",
]


def make(kit):
    """Wrong answers; a cell reads the trusted side's files and runs any solution it finds."""
    kit.wrong()
    kit.read_and_run_solutions("mean_center_answer", TARGETS)
    kit.write()
