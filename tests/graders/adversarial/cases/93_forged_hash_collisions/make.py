"""Case 93_forged_hash_collisions: Answers on the protocol pipe with a set of 200,000 integers that
all share one hash value: building it would take the grader hours of quadratic hashing.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "forge92", Path(__file__).parents[1] / "92_forged_memory_bomb" / "make.py"
)
_forge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forge)


def make(kit):
    """Honest elsewhere; mean_center forges a set of colliding integers."""
    kit.honest()
    code = _forge.FORGE.replace(
        '"[" + "{}," * 8_000_000 + "{}]"',
        '\'{"$":"set","v":[\' + \',\'.join(str(7 + k * ((1 << 61) - 1)) for k in range(200_000))'
        " + ']}'",
    )
    assert code != _forge.FORGE, "the forged value was not replaced"
    kit.set_source("mean_center_answer", code)
    kit.write()
