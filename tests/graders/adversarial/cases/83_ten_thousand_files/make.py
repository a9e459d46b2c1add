"""Case 83_ten_thousand_files: honest answers, then 10,000 small files in 100 folders of the
work folder. autograded/ keeps the graded notebook and at most 2,000 entries; the status says so.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os
for d in range(100):
    os.makedirs(f'many/{d:03}', exist_ok=True)
    for i in range(100):
        with open(f'many/{d:03}/{i:03}.txt', 'w') as f:
            f.write('x')
""",
    )
    kit.write()
