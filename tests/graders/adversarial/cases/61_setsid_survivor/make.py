"""Case 61_setsid_survivor: Honest answers plus a setsid double-fork that would live forever:
killed with the sandbox.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(0.2)
    os._exit(0)
os.wait()
""",
    )
    kit.write()
