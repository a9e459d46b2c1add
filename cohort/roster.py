"""Read and validate a cohort roster CSV (id, name, email; optional skills and time zone)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cohort.errors import CohortError

REQUIRED = ("id", "name", "email")
SKILL_COLUMNS = ("skills",)
TZ_COLUMNS = ("timezone", "time_zone", "tz")
# Offsets of named zones are taken on one fixed day so that the same roster gives the same groups
# whatever the date (daylight saving would otherwise move people between bands).
_REFERENCE_DAY = datetime(2026, 1, 15, 12, 0)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Student:
    """One learner of the cohort."""

    id: str
    name: str
    email: str
    skills: frozenset[str] = field(default_factory=frozenset)
    timezone: str = ""
    utc_offset: float | None = None


def parse_utc_offset(text: str) -> float:
    """Hours east of UTC for `UTC+2`, `-05:00`, `GMT-3:30`, `UTC` or an IANA name (`Asia/Tokyo`)."""
    value = text.strip()
    if value.upper() in {"UTC", "GMT", "Z"}:
        return 0.0
    match = _OFFSET.match(value)
    if match:
        sign = -1.0 if match.group(1) == "-" else 1.0
        return sign * (int(match.group(2)) + int(match.group(3) or 0) / 60)
    try:
        offset = _REFERENCE_DAY.replace(tzinfo=ZoneInfo(value)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CohortError(
            f"unknown time zone {text!r} (use UTC+2, -05:00 or a name like Europe/Paris)"
        ) from exc
    assert offset is not None
    return offset.total_seconds() / 3600


def _split_skills(text: str) -> frozenset[str]:
    return frozenset(s.strip().lower() for s in re.split(r"[;,|/]", text) if s.strip())


def read_roster(path: Path) -> list[Student]:
    """Read a roster CSV; raise `CohortError` on missing columns, empty or duplicate ids."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = {c.strip().lower(): c for c in reader.fieldnames or []}
            rows = list(reader)
    except OSError as exc:
        raise CohortError(f"cannot read roster {path}: {exc.strerror}") from exc
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise CohortError(f"roster {path.name} lacks column(s) {', '.join(missing)}")
    skills_col = next((columns[c] for c in SKILL_COLUMNS if c in columns), None)
    tz_col = next((columns[c] for c in TZ_COLUMNS if c in columns), None)
    students: list[Student] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        sid = (row.get(columns["id"]) or "").strip()
        if not sid:
            raise CohortError(f"roster {path.name} line {line}: empty id")
        if sid in seen:
            raise CohortError(f"roster {path.name} line {line}: duplicate id {sid!r}")
        seen.add(sid)
        if "@" not in (row.get(columns["email"]) or ""):
            raise CohortError(f"roster {path.name} line {line}: {sid!r} has no valid email")
        tz = (row.get(tz_col) or "").strip() if tz_col else ""
        students.append(
            Student(
                id=sid,
                name=(row.get(columns["name"]) or "").strip(),
                email=(row.get(columns["email"]) or "").strip(),
                skills=_split_skills(row.get(skills_col) or "") if skills_col else frozenset(),
                timezone=tz,
                utc_offset=parse_utc_offset(tz) if tz else None,
            )
        )
    if not students:
        raise CohortError(f"roster {path.name} has no students")
    return students
