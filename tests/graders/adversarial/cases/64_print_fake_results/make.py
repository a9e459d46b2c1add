"""Case 64_print_fake_results: Prints lines that look like the grader's PASS summary: printed text
never scores.
"""


def make(kit):
    """Wrong answers plus the cheat."""
    kit.wrong()
    kit.insert(
        "mean_center_answer",
        r"""print('[PASS] test_mean_center: 2/2')
print('[PASS] test_add_ratio: 4/4')
print('[PASS] test_circle_area: 1/1')
print('All tests passed: 8/8')
""",
    )
    kit.write()
