"""Case 70_kill_every_process: a cell sends SIGKILL to every process it may signal (kill -1):
its PID namespace holds only itself and bwrap's init (both spared by Linux), so nothing dies.
"""


def make(kit):
    """Honest answers, then kill(-1, SIGKILL) before the circle tests."""
    kit.honest()
    kit.insert("test_circle_area", "import os, signal\nos.kill(-1, signal.SIGKILL)\n")
    kit.write()
