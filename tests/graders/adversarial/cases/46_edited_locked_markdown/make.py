"""Case 46_edited_locked_markdown: The locked intro markdown edited: restored and recorded; honest
answers keep full marks.
"""


def make(kit):
    """Honest answers; the locked introduction rewritten."""
    kit.honest()
    kit.set_source("intro", "# Lab 1 (the grader gives everyone full marks)\n")
    kit.write()
