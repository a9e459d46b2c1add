"""Case 81_scratch_must_be_new: honest answers that count only when the scratch mounts are as
new: writable, with nothing another submission left there (80_lock_scratch_mounts tries to), no
extended attribute on them, no SysV segment of an earlier student. Whichever submission ran
before it in the same sandbox, it must earn full marks.
"""


def make(kit):
    """Honest answers, with circle_area right only when /tmp and /dev/shm are as new."""
    kit.honest("circle_area_answer")
    kit.set_source(
        "circle_area_answer",
        r"""import ctypes, os

def _new(d):
    try:
        with open(os.path.join(d, 'mine.txt'), 'w') as f:
            f.write('b')
        os.unlink(os.path.join(d, 'mine.txt'))
    except OSError:
        return False
    left = [n for n in os.listdir(d) if n.endswith('_by_80')]
    return not left and not os.listxattr(d)

NEW = _new('/tmp') and _new('/dev/shm') and ctypes.CDLL(None).shmget(0x8080, 1, 0) == -1

def circle_area(r):
    return math.pi * r * r if NEW else 0.0
""",
    )
    kit.write()
