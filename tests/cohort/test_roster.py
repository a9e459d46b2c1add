"""cohort.roster: what a bad roster looks like to the instructor."""

from __future__ import annotations

import pytest
from cohort_helpers import roster_rows

from cohort.errors import CohortError
from cohort.roster import parse_utc_offset, read_roster


def test_reads_optional_columns(write_csv) -> None:
    """Are skills split and time zones turned into UTC offsets?"""
    rows = roster_rows(2)
    rows[0]["skills"] = "Python; Docker"
    students = read_roster(write_csv(rows))
    assert students[0].skills == {"python", "docker"}
    assert students[0].utc_offset == -5.0


@pytest.mark.parametrize(
    ("text", "hours"),
    [("UTC", 0.0), ("UTC+2", 2.0), ("-05:00", -5.0), ("GMT+5:30", 5.5), ("Asia/Tokyo", 9.0)],
)
def test_parse_utc_offset(text: str, hours: float) -> None:
    """Do offsets and IANA names give hours east of UTC?"""
    assert parse_utc_offset(text) == hours


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows.__setitem__(1, dict(rows[1], id="s00")), "duplicate id 's00'"),
        (lambda rows: [r.pop("email") for r in rows], "lacks column(s) email"),
        (lambda rows: rows.__setitem__(0, dict(rows[0], id=" ")), "empty id"),
        (
            lambda rows: rows.__setitem__(0, dict(rows[0], timezone="Mars/Olympus")),
            "unknown time zone",
        ),
    ],
)
def test_bad_roster_is_one_clear_error(write_csv, mutate, message: str) -> None:
    """Does each roster mistake raise a CohortError that names it?"""
    rows = roster_rows(4)
    mutate(rows)
    with pytest.raises(CohortError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_roster(write_csv(rows))


def test_unreadable_roster(tmp_path) -> None:
    """Is a missing file a CohortError, not a traceback?"""
    with pytest.raises(CohortError, match="cannot read roster"):
        read_roster(tmp_path / "nope.csv")


def test_email_without_at_sign(write_csv) -> None:
    """Is a malformed email named with its student id?"""
    rows = roster_rows(3)
    rows[2]["email"] = "nobody"
    with pytest.raises(CohortError, match="'s02' has no valid email"):
        read_roster(write_csv(rows))
