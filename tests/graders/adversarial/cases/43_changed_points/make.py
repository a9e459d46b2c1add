"""Case 43_changed_points: points of test_circle_area raised to 100 (circle_area wrong): recorded
points apply, max stays 8.
"""


def make(kit):
    """circle_area wrong; the points of its test raised to 100."""
    kit.honest("circle_area_answer")
    kit.set_source("circle_area_answer", "def circle_area(r):\n    return r\n")
    kit.cell("test_circle_area")["metadata"]["nbgrader"]["points"] = 100
    kit.write()
