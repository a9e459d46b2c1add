"""Case 80_lock_scratch_mounts: honest answers, then the scratch mounts locked for whoever runs
next in the same warm sandbox: /tmp and /dev/shm chmod 0555, directories without any permission,
a tree deeper than the open-file limit, an extended attribute on each mount, /dev/shm filled,
a SysV shared-memory segment. The zygote puts all of it back (or the sandbox is discarded);
81_scratch_must_be_new checks from the other side.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import ctypes, os, pathlib
for d in ('/tmp', '/dev/shm'):
    p = pathlib.Path(d)
    try:
        (p / 'left_by_80').write_text('the answers of student 80')
        (p / 'locked_by_80' / 'deeper').mkdir(parents=True)
        (p / 'locked_by_80' / 'deeper' / 'x').write_text('a')
        (p / 'nest_by_80' / '/'.join(['n'] * 300)).mkdir(parents=True)
        os.chmod(p / 'locked_by_80' / 'deeper', 0)
        os.chmod(p / 'locked_by_80', 0)
        os.setxattr(d, 'user.left_by_80', b'a')
        if d == '/dev/shm':
            (p / 'fill_by_80').write_bytes(b'x' * (50 << 20))
        os.chmod(d, 0o555)
    except OSError as exc:
        print('could not lock', d, exc)
ctypes.CDLL(None).shmget(0x8080, 4096, 0o1600)
""",
    )
    kit.write()
