"""Case 01_unanswered: The released notebook handed in untouched: stubs raise NotImplementedError,
0 points, status graded.
"""


def make(kit):
    """The released notebook, untouched."""
    kit.write()
