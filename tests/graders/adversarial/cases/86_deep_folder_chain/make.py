"""Case 86_deep_folder_chain: honest answers, then 3,000 nested folders in the work folder
(deeper than PATH_MAX and Python's recursion limit). Emptying the warm work folder once raised
RecursionError, so every later submission of that worker was error:grader-crashed; now nothing
deeper than 32 folders returns, the status names the limit and the next submission is unaffected.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os
home = os.open('.', os.O_RDONLY)
for _ in range(3000):
    os.mkdir('deep')
    os.chdir('deep')
with open('bottom.txt', 'w') as f:
    f.write('hidden ' * 1000)
os.fchdir(home)
""",
    )
    kit.write()
