"""Case 32_nbformat3: An nbformat 3 notebook (worksheets) is refused with a reason."""

import json


def make(kit):
    """An nbformat 3 notebook (worksheets, input/prompt_number) with honest code."""
    kit.honest()
    cells = []
    for cell in kit.nb["cells"]:
        if cell["cell_type"] == "code":
            cells.append(
                {
                    "cell_type": "code",
                    "input": cell["source"],
                    "language": "python",
                    "metadata": cell["metadata"],
                    "outputs": [],
                    "prompt_number": None,
                }
            )
        else:
            cells.append(
                {"cell_type": "markdown", "source": cell["source"], "metadata": cell["metadata"]}
            )
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "lab01"},
        "worksheets": [{"cells": cells, "metadata": {}}],
    }
    kit.write_text("lab01.ipynb", json.dumps(v3))
