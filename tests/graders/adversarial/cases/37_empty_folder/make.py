"""Case 37_empty_folder: An empty submission folder."""


def make(kit):
    """Nothing at all."""
