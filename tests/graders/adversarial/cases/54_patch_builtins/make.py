"""Case 54_patch_builtins: builtins patched (abs, isinstance, AssertionError, float): the grader's
builtins are its own.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "mean_center_answer",
        r"""import builtins
builtins.abs = lambda x: 0
builtins.isinstance = lambda *a: True
builtins.AssertionError = type('AssertionError', (BaseException,), {})
builtins.all = lambda *a: True
""",
    )
    kit.write()
