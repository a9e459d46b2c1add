"""Case 12_fork_storm: A fork storm hits the process limit, the cell never ends, the sandbox is
killed; nothing survives.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel cannot survive it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os, time
while True:
    try:
        if os.fork() == 0:
            time.sleep(1000)
            os._exit(0)
    except OSError:
        pass
""",
    )
    kit.write()
