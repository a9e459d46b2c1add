"""The cohort calendar: every date on the site comes from course/_data/schedule.yml, and moving
the cohort's start moves every page that shows a date."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site" / "hooks"))

import course_schedule  # noqa: E402

DATA = ROOT / "course" / "_data" / "schedule.yml"
DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\b")


def _pages_with_markers() -> list[Path]:
    return [
        p for p in (ROOT / "course").rglob("*.md") if course_schedule.MARKER.search(p.read_text())
    ]


def _dates(text: str) -> list[date]:
    return [
        date(int(y), ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                      "Dec"].index(m) + 1, int(d))
        for _, d, m, y in DATE.findall(text)
    ]  # fmt: skip


def test_the_calendar_has_ten_weeks_with_every_module_and_milestone() -> None:
    """Ten weeks, modules 0-9 once each, milestones m1-m8 each due on a Friday of a later week."""
    schedule = course_schedule.load(DATA)
    assert [w.module for w in schedule.weeks] == list(range(10))
    due = {m: schedule.week_due(m).number for m in (f"m{k}" for k in range(1, 9))}
    assert list(due.values()) == sorted(due.values())
    table = course_schedule.calendar(schedule)
    assert table.count("\n| ") == 10 and "M8 (Fri " in table


def test_a_new_start_moves_every_date_on_every_page() -> None:
    """Move the start one week: every date that any page shows moves by exactly seven days."""
    schedule = course_schedule.load(DATA)
    later = replace(schedule, start=schedule.start + timedelta(weeks=1))
    pages = _pages_with_markers()
    names = {p.relative_to(ROOT / "course").as_posix() for p in pages}
    assert {
        "schedule.md", "instructors/workshops.md", "instructors/ama.md",
        "09-capstone/index.md", "09-capstone/01-milestones.md",
    } <= names  # fmt: skip
    for page in pages:
        text = page.read_text(encoding="utf-8")
        before = _dates(course_schedule.render(text, schedule, where=str(page)))
        after = _dates(course_schedule.render(text, later, where=str(page)))
        dated = any(m.group(1) != "recurring" for m in course_schedule.MARKER.finditer(text))
        assert (bool(before) == dated) and len(before) == len(after), page
        assert all(b - a == timedelta(weeks=1) for a, b in zip(before, after, strict=True)), page


def test_bad_calendars_and_markers_fail_with_where(tmp_path: Path) -> None:
    """A start that is not a Monday, and an unknown milestone, are one-line errors with a place."""
    schedule = course_schedule.load(DATA)
    with pytest.raises(course_schedule.ScheduleError, match=r"page.md:2: unknown schedule marker"):
        course_schedule.render("x\n<!-- schedule:due m12 -->", schedule, where="page.md")
    bad = DATA.read_text().replace(f"start: {schedule.start}", "start: 2026-03-03")
    assert bad != DATA.read_text()
    path = tmp_path / "schedule.yml"
    path.write_text(bad)
    with pytest.raises(course_schedule.ScheduleError, match="is a Tue, not a Monday"):
        course_schedule.load(path)


def test_the_built_schedule_page_shows_the_calendar(built_site: Path) -> None:
    """Does the strict build render the calendar, with week 1 from the data file, and leave no
    marker behind on any page?"""
    schedule = course_schedule.load(DATA)
    html = (built_site / "schedule.html").read_text(encoding="utf-8")
    assert course_schedule.fmt(schedule.day(1, "workshop")) in html
    assert "<table>" in html and html.count("<tr>") >= 11
    leftovers = [
        p for p in built_site.rglob("*.html") if "schedule:" in p.read_text(errors="replace")
    ]
    assert leftovers == []


def test_the_ics_calendar_holds_every_event_at_the_pages_dates(built_site: Path) -> None:
    """Is schedule.ics in the site, with a workshop per week on the day the pages show?"""
    schedule = course_schedule.load(DATA)
    text = (built_site / "schedule.ics").read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and text.rstrip().endswith("END:VCALENDAR")
    starts = re.findall(r"UID:w(\d+)-workshop@.*?DTSTART:(\d{8})T", text, re.S)
    assert len(starts) == len(schedule.weeks)
    for week, day in starts:
        assert day == f"{schedule.day(int(week), 'workshop'):%Y%m%d}"
    assert text.count("Capstone M") == 8
