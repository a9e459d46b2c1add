"""One function per rubric item: read the repository, return a `Finding` (level, evidence, gaps).

Patterns are written with escapes (`\\.`, `\\s+`) so that the audit's own source never counts as
evidence when it audits the repository it lives in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """Level 0/1/2 for one item, the files that show it and what would raise it."""

    level: int
    evidence: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def first(paths: list[str], n: int = 5) -> list[str]:
    """At most `n` evidence paths, shortest first (top-level files say the most)."""
    return sorted(dict.fromkeys(paths), key=lambda p: (p.count("/"), p))[:n]
