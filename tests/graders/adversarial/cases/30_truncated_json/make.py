"""Case 30_truncated_json: The notebook file is cut in half: malformed, not a silent 0."""


def make(kit):
    """An honest notebook whose JSON is cut in half."""
    kit.honest()
    path = kit.write()
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
