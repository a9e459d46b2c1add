"""Case 90_library_exit_as_answer: Binds an answer to a library function (`circle_area = os._exit`)
hoping the grader calls the real one: `circle_area(0)` in a hidden test would end the grading run.
"""


def make(kit):
    """Honest answers, but circle_area is os._exit."""
    kit.honest()
    kit.set_source("circle_area_answer", "import os\ncircle_area = os._exit\n")
    kit.write()
