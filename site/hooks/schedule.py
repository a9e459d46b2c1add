"""mkdocs hook: dates from the cohort calendar (`course/_data/schedule.yml`), see
`course_schedule.py` for the markers. Changing the file's `start` moves every date on the site."""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_schedule  # noqa: E402

SCHEDULE: list[course_schedule.Schedule] = []


def on_config(config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    try:
        SCHEDULE[:] = [course_schedule.load(Path(config["docs_dir"]) / "_data" / "schedule.yml")]
    except course_schedule.ScheduleError as exc:
        raise PluginError(str(exc)) from None
    return config


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    """`schedule.ics`: the same calendar for learners' calendar apps."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, "schedule.ics", content=course_schedule.ics(SCHEDULE[0])))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    if "schedule:" not in markdown:
        return markdown
    try:
        return course_schedule.render(markdown, SCHEDULE[0], where=f"course/{page.file.src_uri}")
    except course_schedule.ScheduleError as exc:
        raise PluginError(str(exc)) from None
