"""Case 66_pickle_payload: Returns objects whose __reduce__ would write a file on the grader's
side: nothing is unpickled.
"""

CODE = """
import os


class Payload:
    def __reduce__(self):
        return (os.system, ("touch " + CANARY,))


def mean_center(x):
    return Payload()


def add_ratio(df):
    return Payload()


def circle_area(r):
    return Payload()
"""


def make(kit):
    """Every function returns a pickle payload."""
    for gid in ("mean_center_answer", "add_ratio_answer", "circle_area_answer"):
        kit.set_source(gid, f"CANARY = {kit.ctx['canary']!r}\n" + CODE)
    kit.write()
