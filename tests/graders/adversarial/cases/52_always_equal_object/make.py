"""Case 52_always_equal_object: Functions return an object whose == is always True (and whose items
are too).
"""

CODE = """
class Always:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __getitem__(self, key): return self
    def __contains__(self, key): return True
    def __len__(self): return 3
    def __iter__(self): return iter([self, self, self])
    def __abs__(self): return 0
    def __sub__(self, other): return self
    def __rsub__(self, other): return self
    def __float__(self): return 0.0
    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy.array([-1.0, 0.0, 1.0])
    def to_numpy(self): return self
    @property
    def columns(self): return self


def mean_center(x):
    return Always()


def add_ratio(df):
    return Always()


def circle_area(r):
    return Always()
"""


def make(kit):
    """Every function returns an always-equal object."""
    for gid in ("mean_center_answer", "add_ratio_answer", "circle_area_answer"):
        kit.set_source(gid, CODE)
    kit.write()
