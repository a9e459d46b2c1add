"""mkdocs hook: insert figures from the committed results files (`course/_data/*.json`).

Runs before every other page hook and plugin (mkdocs-quiz parses quizzes on the Markdown), so
lessons and quiz explanations see numbers, not placeholders. Flashcards are rendered where they
are read (`course_cards.load_deck`). The syntax and its errors: `course_figures.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_figures  # noqa: E402

RESULTS: dict[str, course_figures.ResultsFile] = {}


def on_config(config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    try:
        RESULTS.clear()
        RESULTS.update(course_figures.load_results(Path(config["docs_dir"])))
    except course_figures.FiguresError as exc:
        raise PluginError(str(exc)) from None
    return config


@event_priority(100)
def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    source = Path(page.file.abs_src_path or "")
    first_line = 1
    if source.is_file():  # front matter is gone from `markdown`: count the lines it took
        text = source.read_text(encoding="utf-8")
        at = text.find(markdown[:200]) if markdown else -1
        first_line += text.count("\n", 0, at) if at > 0 else 0
    where = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
    try:
        return course_figures.render(markdown, RESULTS, where=where, first_line=first_line)
    except course_figures.FiguresError as exc:
        raise PluginError(str(exc)) from None
