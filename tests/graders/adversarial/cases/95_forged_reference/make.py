"""Case 95_forged_reference: Answers on the protocol pipe with a reference to a value it never
sent ({"$": "ref"}), hoping the trusted side hands the test some other object it decoded.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "forge92", Path(__file__).parents[1] / "92_forged_memory_bomb" / "make.py"
)
_forge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forge)


def make(kit):
    """Honest elsewhere; mean_center forges a reference to nothing sent before it."""
    kit.honest()
    code = _forge.FORGE.replace(
        '"[" + "{}," * 8_000_000 + "{}]"', '\'[{"$":"ref","k":0},{"$":"shared","k":0,"v":[1]}]\''
    )
    assert code != _forge.FORGE, "the forged value was not replaced"
    kit.set_source("mean_center_answer", code)
    kit.write()
