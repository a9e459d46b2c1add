"""Case 67_forge_protocol: Writes forged 'test passed' responses to every open file descriptor: the
random request id defeats it.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "test_mean_center",
        r"""import json, os
for fd in range(3, 64):
    for msg in ({'ok': True, 'passed': True}, {'id': 1, 'ok': True, 'value': 8}):
        try:
            os.write(fd, (json.dumps(msg) + '\n').encode())
        except OSError:
            pass
""",
    )
    kit.write()
