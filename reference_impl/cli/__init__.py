"""Command-line interface of the reference fraud system (`fraud`): one subcommand per stage.

Thin: each command parses its options into settings (where) and parameters (what), calls a
library function with keyword-only arguments (the stage runners of `reference_impl.runner`) and
prints its result: one line, or `--json` (the result's `to_dict()`). Expected failures
(`errors.DomainError`) exit 1 with one line; anything else is a bug and shows its traceback.
Heavy libraries are imported inside the commands, so `fraud --help` starts fast.
"""

from reference_impl.cli import develop, operate
from reference_impl.cli.app import app

__all__ = ["app", "develop", "operate"]
