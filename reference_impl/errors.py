"""Expected failures of the reference system: one base class, so a CLI catches only these.

Each class also derives from the built-in exception it refines (a missing input *is* a
`FileNotFoundError`), so library callers that catch the built-in keep working; the `fraud` CLI
catches `DomainError` alone and prints its first line, while a bug (a plain `ValueError` from
deep inside a library) still shows its traceback.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected failure: bad input, missing data, a broken contract, a gate."""


class MissingInputError(DomainError, FileNotFoundError):
    """A stage's input does not exist yet (run the stage that writes it)."""


class InvalidInputError(DomainError, ValueError):
    """A parameter, option or input table is invalid; the message names it."""


class DatasetExistsError(DomainError, FileExistsError):
    """Raw data is immutable: a different dataset is already at the target folder."""


class ServiceError(DomainError, ValueError):
    """A running service is unreachable or refused a request (it keeps its current state)."""


class GateFailed(DomainError, ValueError):
    """The release gate blocked the candidate (its report is written all the same)."""
