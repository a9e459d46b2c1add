"""Case 68_read_protocol_requests: Reads the grader's requests from its pipes hoping to see test
code: tests never enter the sandbox.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "test_mean_center",
        r"""import os, select
seen = []
for fd in range(0, 64):
    try:
        if select.select([fd], [], [], 0.05)[0]:
            seen.append(os.read(fd, 65536))
    except (OSError, ValueError):
        pass
print(seen)
""",
    )
    kit.write()
