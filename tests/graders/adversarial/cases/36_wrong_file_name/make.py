"""Case 36_wrong_file_name: The notebook is saved as 'lab01 (1).ipynb': missing-notebook, naming
what was found.
"""


def make(kit):
    """Honest answers under a browser-download name."""
    kit.honest()
    kit.write("lab01 (1).ipynb")
