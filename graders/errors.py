"""Domain errors: the CLI turns them into exit code 1 and one line."""


class GraderError(Exception):
    """A problem the user can fix (bad notebook, missing folder, refused release, ...)."""
