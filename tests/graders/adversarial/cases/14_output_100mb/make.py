"""Case 14_output_100mb: 100 MB printed is capped (the stored notebook stays small); the
status names the limit (error:output-limit) and earned points are kept.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import sys
for _ in range(100):
    sys.stdout.write('y' * (1 << 20))
""",
    )
    kit.write()
