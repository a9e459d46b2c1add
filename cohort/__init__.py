"""Cohort project kit: group formation, peer review, maturity audit and the group project template.

Cohort-level instructor tools: neither a lab (`labs/`) nor grading of lab notebooks (`graders/`).
"""

__version__ = "0.1.0"
