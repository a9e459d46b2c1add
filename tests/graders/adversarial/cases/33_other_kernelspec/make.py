"""Case 33_other_kernelspec: The notebook claims an R kernel; the grader always runs its own Python
driver and grades normally.
"""


def make(kit):
    """Honest answers; the metadata names an R kernel."""
    kit.honest()
    kit.nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    kit.nb["metadata"]["language_info"] = {"name": "R"}
    kit.write()
