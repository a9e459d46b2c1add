"""Case 65_base_exception_from_calls: Functions raise SystemExit / KeyboardInterrupt /
GeneratorExit when the tests call them.
"""

CODE = {
    "mean_center_answer": "def mean_center(x):\n    raise SystemExit(0)\n",
    "add_ratio_answer": "def add_ratio(df):\n    raise KeyboardInterrupt\n",
    "circle_area_answer": "def circle_area(r):\n    raise GeneratorExit\n",
}


def make(kit):
    """Functions that raise BaseExceptions at the grader."""
    for gid, code in CODE.items():
        kit.set_source(gid, code)
    kit.write()
