"""Case 00_honest: Every answer correct: full marks (the reference all other scores are judged
against).
"""


def make(kit):
    """Every answer correct."""
    kit.honest()
    kit.write()
