"""Case 38_notebook_200mb: A 200 MB notebook (huge output) is refused by size before parsing;
generated at test time.
"""


def make(kit):
    """Honest answers plus a 200 MB stream output."""
    kit.honest()
    blob = "z" * (200 << 20)
    kit.cell("mean_center_answer")["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": blob}
    ]
    kit.write()
