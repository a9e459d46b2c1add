"""Case 18_missing_package: an import of a package that does not exist; the status names the fault
(error:import-error) and earned points are kept.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import sklearn_that_does_not_exist_42
""",
    )
    kit.write()
