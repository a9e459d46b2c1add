"""Read and write notebooks defensively: a submitted file is untrusted input.

Reading never executes anything and names the problem as a status suffix
(``malformed-notebook``, ``not-a-notebook``, ``unsupported-nbformat``, ``notebook-too-large``).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

CELL_TYPES = {"code", "markdown", "raw"}


class NotebookError(Exception):
    """A notebook that cannot be graded; ``reason`` becomes ``error:<reason>``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _source(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    raise NotebookError("malformed-notebook", "a cell's source is not text")


def parse_notebook(data: bytes, name: str = "notebook") -> dict[str, Any]:
    """Validate the structure we rely on and normalize sources to strings."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotebookError("malformed-notebook", f"{name} is not valid JSON ({exc})") from None
    if not isinstance(nb, dict) or "nbformat" not in nb:
        raise NotebookError("not-a-notebook", f"{name} is JSON but not a Jupyter notebook")
    if isinstance(nb["nbformat"], int) and nb["nbformat"] < 4:  # v3 keeps cells in worksheets
        raise NotebookError(
            "unsupported-nbformat",
            f"{name} uses nbformat {nb['nbformat']}; save it with Jupyter 4+",
        )
    if not isinstance(nb["nbformat"], int) or not isinstance(nb.get("cells"), list):
        raise NotebookError("not-a-notebook", f"{name} is JSON but not a Jupyter notebook")
    if not isinstance(nb.get("metadata", {}), dict):
        nb["metadata"] = {}
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES:
            raise NotebookError("malformed-notebook", f"{name} has a cell of unknown shape")
        cell["source"] = _source(cell.get("source", ""))
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        if not isinstance(cell["metadata"].get("nbgrader", {}), dict):
            cell["metadata"].pop("nbgrader")
        if cell["cell_type"] == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb


def load_notebook(path: Path, *, max_mb: float = 20.0) -> dict[str, Any]:
    """Read a notebook file; raise `NotebookError` naming what is wrong.

    Anything but a regular file (a folder named ``lab01.ipynb``, a FIFO that would block the
    reader) is a missing notebook.
    """
    try:
        info = path.stat()
    except OSError:
        raise NotebookError("missing-notebook", f"{path.name} was not submitted") from None
    if not stat.S_ISREG(info.st_mode):
        raise NotebookError("missing-notebook", f"{path.name} is not a file (a folder?)")
    size = info.st_size
    if size > max_mb * 1e6:
        raise NotebookError(
            "notebook-too-large", f"{path.name} is {size / 1e6:.0f} MB (limit {max_mb:g} MB)"
        )
    return parse_notebook(path.read_bytes(), path.name)


def dumps(nb: dict[str, Any]) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def replace_dir(staged: Path, dest: Path) -> None:
    """Put the finished folder ``staged`` where ``dest`` is: readers see the old folder or the new
    one, never a half-written one (the old one is moved aside, then removed)."""
    old = dest.parent / f".{dest.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    staged.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
