"""Case 21_hang_when_called: circle_area hangs only when the grader calls it (not at definition):
the call times out, later tests are unscored, earlier points are kept.
"""


def make(kit):
    """Honest answers except circle_area, which never returns."""
    kit.honest()
    kit.set_source("circle_area_answer", "def circle_area(r):\n    while True:\n        pass\n")
    kit.write()
