"""Which commit was audited, read from `.git` files (git itself is never run on a group's repo)."""

from __future__ import annotations

import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")


def head_commit(root: Path) -> str | None:
    """The commit HEAD points to; None when `root` is no git checkout or it cannot be read."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.match(head):
            return head  # detached HEAD
        ref = head.removeprefix("ref: ").strip()
        loose = git / ref
        if loose.is_file():
            sha = loose.read_text(encoding="utf-8").strip()
            return sha if _SHA.match(sha) else None
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.match(sha):
                return sha
    except (OSError, UnicodeDecodeError):
        return None
    return None
