"""Case 85_notebook_is_a_directory: the submission holds a folder named lab01.ipynb (with the
honest notebook inside it) instead of the notebook: a missing notebook, not a grader crash.
"""


def make(kit):
    """A folder called lab01.ipynb holding the real notebook."""
    kit.honest()
    folder = kit.dest / "lab01.ipynb"
    folder.mkdir()
    kit.dest = folder
    kit.write()
