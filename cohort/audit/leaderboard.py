"""Cohort mode: audit many repositories and rank them."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cohort.audit import audit_repo
from cohort.audit.report import to_json, to_markdown
from cohort.audit.result import AuditResult
from cohort.audit.rubric import ITEMS
from cohort.errors import CohortError


@dataclass(frozen=True)
class Leaderboard:
    """Audits ranked by MLOps level, then points; `errors`: repositories that could not be read."""

    audits: list[tuple[str, AuditResult]]
    errors: dict[str, str]

    def ranked(self) -> list[tuple[str, AuditResult]]:
        return sorted(self.audits, key=lambda na: (-na[1].mlops_level, -na[1].points, na[0]))


def discover(root: Path) -> dict[str, Path]:
    """Name → path of every sub-folder of `root` (one group repository each)."""
    if not root.is_dir():
        raise CohortError(f"{root} is not a folder of group repositories")
    repos = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")}
    if not repos:
        raise CohortError(f"{root} holds no repositories")
    return repos


def audit_cohort(
    *,
    repos: dict[str, Path],
    out_dir: Path,
    run_tests: bool = False,
    on_repo: Callable[[str], None] | None = None,
) -> Leaderboard:
    """Audit each repository, write `<name>.md`/`.json` per repo and the leaderboard files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    audits, errors = [], {}
    for name, path in repos.items():
        try:
            result = audit_repo(path=path, run_tests=run_tests)
            (out_dir / f"{name}.md").write_text(to_markdown(result), encoding="utf-8")
            (out_dir / f"{name}.json").write_text(to_json(result), encoding="utf-8")
            audits.append((name, result))
        except CohortError as exc:
            errors[name] = str(exc)
        if on_repo is not None:
            on_repo(name)  # progress: one call per repository, audited or not
    board = Leaderboard(audits=audits, errors=errors)
    write_leaderboard(board, out_dir)
    return board


def write_leaderboard(board: Leaderboard, out_dir: Path) -> None:
    ids = [i.id for i in ITEMS]
    rows = [
        {
            "rank": k,
            "repo": name,
            "mlops_level": r.mlops_level,
            "points": r.points,
            "percent": r.percent,
        }
        | {i: r.level_of(i) for i in ids}
        for k, (name, r) in enumerate(board.ranked(), start=1)
    ]
    with (out_dir / "leaderboard.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["rank", "repo", "mlops_level", "points", "percent", *ids]
        )
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Cohort leaderboard",
        "",
        "| rank | repo | level | points | " + " | ".join(ids) + " |",
    ]
    lines.append("|" + "---|" * (4 + len(ids)))
    for row in rows:
        cells = [str(row[i]) for i in ids]
        lines.append(
            f"| {row['rank']} | [{row['repo']}]({row['repo']}.md) | L{row['mlops_level']} "
            f"| {row['points']} | " + " | ".join(cells) + " |"
        )
    for name, why in board.errors.items():
        lines.append(f"\nNot audited: {name}: {why}")
    (out_dir / "leaderboard.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out_dir / "leaderboard.json").write_text(
        json.dumps({"ranking": rows, "errors": board.errors}, indent=2) + "\n"
    )
