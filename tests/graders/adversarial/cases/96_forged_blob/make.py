"""Case 96_forged_blob: Answers on the protocol pipe with an array "sent as raw bytes" (a blob),
the form only the trusted side may use, hoping to make the grader read from its own pipe.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "forge92", Path(__file__).parents[1] / "92_forged_memory_bomb" / "make.py"
)
_forge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_forge)


def make(kit):
    """Honest elsewhere; mean_center forges a blob-encoded array."""
    kit.honest()
    code = _forge.FORGE.replace(
        '"[" + "{}," * 8_000_000 + "{}]"',
        '\'{"$":"ndarray","blob":0,"dtype":"<f8","shape":[3]}\'',
    )
    assert code != _forge.FORGE, "the forged value was not replaced"
    kit.set_source("mean_center_answer", code)
    kit.write()
