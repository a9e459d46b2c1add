"""Case 92_forged_memory_bomb: When the grader calls mean_center, answers on the protocol pipe
itself (the request id read from the driver's frames) with 24 MB of empty objects ({}), which
would cost the grader over half a GB to parse.
"""

FORGE = r"""
import sys


def _forge(value_text):
    frame = sys._getframe()
    while frame is not None:
        req, me = frame.f_locals.get("req"), frame.f_locals.get("self")
        if isinstance(req, dict) and "id" in req and hasattr(me, "proto_out"):
            line = '{"id":"%s","ok":true,"value":%s}\n' % (req["id"], value_text)
            me.proto_out.write(line.encode())
            me.proto_out.flush()
            import time
            time.sleep(3600)
        frame = frame.f_back
    return None


def mean_center(x):
    return _forge("[" + "{}," * 8_000_000 + "{}]")
"""


def make(kit):
    """Honest elsewhere; mean_center forges the response."""
    kit.honest()
    kit.set_source("mean_center_answer", FORGE)
    kit.write()
