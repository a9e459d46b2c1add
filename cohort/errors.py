"""The one domain error of the kit: the CLI prints its message on one line and exits 1."""


class CohortError(Exception):
    """Bad input (roster, rubric, forms, repository path) described in one line."""
