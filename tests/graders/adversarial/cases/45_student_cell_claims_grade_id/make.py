"""Case 45_student_cell_claims_grade_id: Student cells claim grade_id test_circle_area and a
50-point 'bonus' (circle_area wrong): ignored.
"""


def make(kit):
    """circle_area wrong; two student cells claim grade ids."""
    kit.honest("circle_area_answer")
    kit.set_source("circle_area_answer", "def circle_area(r):\n    return r\n")
    meta = {"grade": True, "solution": False, "locked": True, "schema_version": 3}
    kit.insert(
        "test_circle_area",
        "assert True\n",
        {"nbgrader": {**meta, "grade_id": "test_circle_area", "points": 1}},
    )
    kit.insert(
        "test_circle_area",
        "assert True\n",
        {"nbgrader": {**meta, "grade_id": "bonus", "points": 50}},
    )
    kit.write()
