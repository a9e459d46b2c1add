"""Case 53_lying_float_subclass: A float subclass (and an ndarray subclass) whose == and abs lie:
only plain values reach the tests.
"""

CODE = """
import numpy as np


class Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __abs__(self): return Liar(0.0)
    def __sub__(self, other): return Liar(0.0)
    def __lt__(self, other): return True
    __hash__ = float.__hash__


class LieArray(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, dtype=bool)


def mean_center(x):
    return np.zeros(len(x)).view(LieArray)


def circle_area(r):
    return Liar(0.0)
"""


def make(kit):
    """Lying numeric subclasses."""
    kit.wrong()
    for gid in ("mean_center_answer", "circle_area_answer"):
        kit.set_source(gid, CODE)
    kit.write()
