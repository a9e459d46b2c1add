"""Builders shared by the cohort suites (a unique module name: plain `conftest` imports clash)."""

from __future__ import annotations

SKILLS = ["python", "docker", "stats", "frontend"]
ZONES = ["UTC-5", "UTC+1", "Asia/Tokyo"]


def roster_rows(n: int, *, skills: bool = True, zones: bool = True) -> list[dict[str, str]]:
    rows = []
    for k in range(n):
        row = {"id": f"s{k:02d}", "name": f"Student {k}", "email": f"s{k}@uni.example"}
        if skills:
            row["skills"] = SKILLS[k % len(SKILLS)]
        if zones:
            row["timezone"] = ZONES[(k // 4) % len(ZONES)]
        rows.append(row)
    return rows
