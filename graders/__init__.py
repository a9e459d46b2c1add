"""Grading engine: release, check, autograde, feedback and export for nbgrader-format labs."""

__version__ = "0.1.0"
