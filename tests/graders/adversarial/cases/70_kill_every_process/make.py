"""Case 70_kill_every_process: a cell sends SIGKILL to every process it may signal (kill -1):
its PID namespace holds only itself and bwrap's init (both spared by Linux), so nothing dies.
"""

# Linux answers ESRCH when nothing could be signalled: caught, so the cell itself succeeds and
# only the containment is under test.
KILL_ALL = r"""
import os, signal
try:
    os.kill(-1, signal.SIGKILL)
except ProcessLookupError:
    print("nothing to kill")
"""


def make(kit):
    """Honest answers, then kill(-1, SIGKILL) before the circle tests."""
    kit.honest()
    kit.insert("test_circle_area", KILL_ALL)
    kit.write()
