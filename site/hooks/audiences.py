"""mkdocs hook: the learners' path and the instructors' pages, apart in the navigation.

mkdocs.yml lists instructor pages in one section, "For instructors". This hook puts that section
last, after the sections other hooks append (Labs, Your progress, Glossary), so a learner going
through the course (modules, labs, study aids) never passes an instructor page, and adds any page
under `instructors/` that the nav does not list, so a new one is reachable without a nav edit.
tests/site/test_navigation.py checks the built site's navigation against `is_instructor_page`.
"""

from __future__ import annotations

from pathlib import Path

INSTRUCTORS = "For instructors"
ANSWER_KEY = "answer-key.md"  # learning.py's last page of the printed lab book


def is_instructor_page(path: str) -> bool:
    """An instructor page: under `instructors/`, or a module's or the project's `instructors.md`."""
    path = path.removeprefix("./")
    return path.startswith("instructors/") or path.rsplit("/", 1)[-1] in (
        "instructors.md",
        "instructors.html",
    )


def _paths(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _paths(value)]
    if isinstance(nav, list):
        return [p for item in nav for p in _paths(item)]
    return []


def on_config(config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    nav = config.get("nav")
    section = next((i for i in nav or [] if isinstance(i, dict) and INSTRUCTORS in i), None)
    if section is None:
        return config
    nav.remove(section)
    nav.append(section)  # after Labs, Your progress and Glossary (appended by learning.py)
    for item in [i for i in nav if isinstance(i, dict) and ANSWER_KEY in i.values()]:
        nav.remove(item)  # the printed lab book's answer key stays its last page
        nav.append(item)
    listed = set(_paths(nav))
    docs = Path(config["docs_dir"])
    for page in sorted((docs / "instructors").glob("*.md")):
        if page.relative_to(docs).as_posix() not in listed:
            section[INSTRUCTORS].append(page.relative_to(docs).as_posix())
    return config
