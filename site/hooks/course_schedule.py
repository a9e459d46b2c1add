"""The cohort calendar: dates computed from `course/_data/schedule.yml`, never typed in pages.

Pages ask for dates with HTML comments (invisible if the hook does not run):

    <!-- schedule:calendar -->        the whole 10-week table (week, dates, module, events)
    <!-- schedule:due m3 -->          the day milestone m3 is due, e.g. "Fri 10 Apr 2026"
    <!-- schedule:workshop 4 -->      the day of module 4's workshop
    <!-- schedule:week 4 -->          "week 5 (30 Mar – 5 Apr 2026)": the week of module 4
    <!-- schedule:recurring -->       the weekly events (day, time, time zone)

An unknown marker, milestone or module is a ScheduleError `path:line: what is wrong`, so the
strict build fails where the page is. No mkdocs import: the hook and the tests share this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MARKER = re.compile(r"<!--\s*schedule:(\w+)\s*([\w-]*)\s*-->")
MODULE_TITLES = {
    0: "What is MLOps", 1: "From business goals to ML problems", 2: "Designing ML solutions",
    3: "Data preparation and processing", 4: "Model training and testing",
    5: "Creating and automating ML pipelines", 6: "Deploying and serving a model",
    7: "Monitoring and continuous training", 8: "Governance and responsible ML",
    9: "Capstone project",
}  # fmt: skip


class ScheduleError(ValueError):
    """The schedule file or a marker is wrong; str() says where."""


@dataclass(frozen=True)
class Week:
    number: int
    module: int
    lab: bool
    milestones: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    cohort: str
    start: date
    timezone: str
    events: dict[str, dict[str, str]]
    weeks: tuple[Week, ...]

    def monday(self, week: int) -> date:
        return self.start + timedelta(weeks=week - 1)

    def day(self, week: int, event: str) -> date:
        """The date of a recurring `event` in `week` (1-based)."""
        return self.monday(week) + timedelta(days=DAYS.index(self.events[event]["day"]))

    def week_of_module(self, module: int) -> Week:
        for week in self.weeks:
            if week.module == module:
                return week
        raise KeyError(module)

    def week_due(self, milestone: str) -> Week:
        for week in self.weeks:
            if milestone in week.milestones:
                return week
        raise KeyError(milestone)


def fmt(day: date) -> str:
    """`Fri 10 Apr 2026`: unambiguous in every locale."""
    return f"{DAYS[day.weekday()]} {day.day} {day:%b %Y}"


def load(path: Path) -> Schedule:
    """Read and check the schedule file; ScheduleError names the problem."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScheduleError(f"{path}: cannot read the schedule: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("start"), date):
        raise ScheduleError(f"{path}: `start` must be a date (YYYY-MM-DD)")
    start = raw["start"]
    if start.weekday() != 0:
        raise ScheduleError(f"{path}: start {start} is a {DAYS[start.weekday()]}, not a Monday")
    events = raw.get("events") or {}
    for name, event in events.items():
        if not isinstance(event, dict) or event.get("day") not in DAYS:
            raise ScheduleError(f"{path}: event {name!r} needs a day among {', '.join(DAYS)}")
    weeks = tuple(
        Week(
            number=n,
            module=int(w["module"]),
            lab=bool(w.get("lab", True)),
            milestones=tuple(w.get("milestones") or ()),
            notes=tuple(w.get("notes") or ()),
        )
        for n, w in enumerate(raw.get("weeks") or [], 1)
    )
    if not weeks:
        raise ScheduleError(f"{path}: no weeks")
    return Schedule(
        str(raw.get("cohort", "")), start, str(raw.get("timezone", "UTC")), events, weeks
    )


def calendar(schedule: Schedule) -> str:
    """The printable 10-week table."""
    ev = schedule.events
    lines = [
        "| week | dates | module | workshop | AMA | due |",
        "|---|---|---|---|---|---|",
    ]
    for w in schedule.weeks:
        monday = schedule.monday(w.number)
        sunday = monday + timedelta(days=6)
        dates = f"{monday.day} {monday:%b} – {sunday.day} {sunday:%b}"
        due = [
            f"{m.upper()} ({fmt(schedule.day(w.number, 'milestone_due'))})" for m in w.milestones
        ]
        if w.lab:
            due.append(f"lab {w.module} ({fmt(schedule.day(w.number, 'lab_due'))})")
        module = f"{w.module} · {MODULE_TITLES.get(w.module, '')}"
        notes = "".join(f"<br>{n}" for n in w.notes)
        lines.append(
            f"| {w.number} | {dates} | {module}{notes} "
            f"| {fmt(schedule.day(w.number, 'workshop'))}, {ev['workshop']['time']} "
            f"| {fmt(schedule.day(w.number, 'ama'))}, {ev['ama']['time']} "
            f"| {'<br>'.join(due) or '–'} |"
        )
    return "\n".join(lines)


def recurring(schedule: Schedule) -> str:
    rows = [
        f"| {e.get('title', n)} | {e['day']} | {e.get('time', '')} |"
        for n, e in schedule.events.items()
    ]
    return "\n".join(
        [f"Times are in {schedule.timezone}.", "", "| event | day | time |", "|---|---|---|", *rows]
    )


def _event(uid: str, day: date, time: str, summary: str, *, utc: bool = False) -> list[str]:
    """One VEVENT: a timed event when `time` is `HH:MM–HH:MM` (UTC, or floating local time),
    else an all-day event."""
    hours = re.findall(r"(\d{1,2}):(\d{2})", time)
    stamp = f"{day:%Y%m%d}"
    if len(hours) >= 2:
        (h1, m1), (h2, m2) = hours[:2]
        z = "Z" if utc else ""
        when = [f"DTSTART:{stamp}T{int(h1):02d}{m1}00{z}", f"DTEND:{stamp}T{int(h2):02d}{m2}00{z}"]
    else:
        when = [f"DTSTART;VALUE=DATE:{stamp}", f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}"]
    return ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}T000000Z", *when,
            f"SUMMARY:{summary}", "END:VEVENT"]  # fmt: skip


def ics(schedule: Schedule) -> str:
    """The calendar as iCalendar (RFC 5545): workshops, AMAs, office hours, due dates."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//mlops-course//cohort schedule//EN"]
    for w in schedule.weeks:
        name = f"{w.module} · {MODULE_TITLES.get(w.module, '')}"
        for key in ("workshop", "ama", "office_hours"):
            if key in schedule.events:
                ev = schedule.events[key]
                summary = f"{ev.get('title', key)}: module {name}"
                day = schedule.day(w.number, key)
                lines += _event(f"w{w.number}-{key}@mlops-course", day, ev.get("time", ""),
                                summary, utc=schedule.timezone == "UTC")  # fmt: skip
        if w.lab:
            lines += _event(f"w{w.number}-lab@mlops-course", schedule.day(w.number, "lab_due"),
                            "", f"Lab {w.module} due")  # fmt: skip
        for m in w.milestones:
            lines += _event(f"{m}@mlops-course", schedule.day(w.number, "milestone_due"), "",
                            f"Capstone {m.upper()} due")  # fmt: skip
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


def _one(kind: str, arg: str, schedule: Schedule) -> str:
    if kind == "calendar":
        return calendar(schedule)
    if kind == "recurring":
        return recurring(schedule)
    if kind == "due":
        return fmt(schedule.day(schedule.week_due(arg).number, "milestone_due"))
    if kind == "workshop":
        return fmt(schedule.day(schedule.week_of_module(int(arg)).number, "workshop"))
    if kind == "week":
        w = schedule.week_of_module(int(arg))
        monday = schedule.monday(w.number)
        return f"week {w.number} ({fmt(monday)} – {fmt(monday + timedelta(days=6))})"
    raise KeyError(kind)


def render(markdown: str, schedule: Schedule, *, where: str) -> str:
    """Replace every schedule marker in `markdown`."""

    def replace(match: re.Match[str]) -> str:
        kind, arg = match.group(1), match.group(2)
        try:
            return _one(kind, arg, schedule)
        except (KeyError, ValueError):
            line = markdown.count("\n", 0, match.start()) + 1
            raise ScheduleError(
                f"{where}:{line}: unknown schedule marker {match.group(0)!r} "
                "(calendar, recurring, due mN, workshop N, week N; see course/_data/schedule.yml)"
            ) from None

    return MARKER.sub(replace, markdown)
