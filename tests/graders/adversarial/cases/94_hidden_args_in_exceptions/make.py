"""Case 94_hidden_args_in_exceptions: Every function raises with the arguments it was called with,
hoping the hidden tests' inputs come back in the learner's feedback.
"""

CODE = """
def _tell(*args):
    raise ValueError("ARGS=" + repr(args))


def mean_center(x):
    _tell(list(x) if not hasattr(x, "tolist") else x.tolist())


def add_ratio(df):
    _tell(df.to_dict("list"))


def circle_area(r):
    _tell(r)
"""


def make(kit):
    """Every answer raises with its arguments."""
    for gid in ("mean_center_answer", "add_ratio_answer", "circle_area_answer"):
        kit.set_source(gid, CODE)
    kit.write()
