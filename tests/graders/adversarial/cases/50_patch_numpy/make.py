"""Case 50_patch_numpy: np.allclose/np.isclose/np.testing patched in the student's process: tests
use the grader's numpy.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "mean_center_answer",
        r"""import numpy as np
import numpy.testing
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
""",
    )
    kit.write()
