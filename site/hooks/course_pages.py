"""Markdown and HTML snippets for the generated pages and widgets (presentation only).

The browser side (`assets/javascripts/learning.js`) fills the empty widgets from localStorage;
without JavaScript the pages still show every card, term and lab.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from checker_wheel import wheel_name
from course_cards import Card, Deck
from course_labs import Lab

GLOSSARY_MARK = "<!-- lf:glossary -->"
PROGRESS_MARK = "<!-- lf:progress -->"
CHECKER_WHEEL = wheel_name()  # mlops_check-<version>-py3-none-any.whl

KEYS_HELP = (
    "**Keyboard:** <kbd>Space</kbd> or <kbd>Enter</kbd> shows the answer; then "
    "<kbd>1</kbd> again · <kbd>2</kbd> hard · <kbd>3</kbd> good · <kbd>4</kbd> easy."
)


def term_anchor(term: str) -> str:
    return "term-" + re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def _card_block(card: Card) -> str:
    return (
        f'<div class="lf-card" id="card-{card.id}" data-card="{card.id}" '
        f'data-tags="{_attr(" ".join(card.tags))}" markdown>\n'
        f'<div class="lf-q" markdown>\n\n{card.q.strip()}\n\n</div>\n'
        f'<div class="lf-a" markdown>\n\n{card.a.strip()}\n\n</div>\n'
        "</div>\n"
    )


def study_page(deck: Deck, module_apkg: str, course_apkg: str) -> str:
    cards = "\n".join(_card_block(c) for c in deck.cards)
    return f"""---
title: "Flashcards · {deck.title}"
---

# Flashcards · {deck.title}

<div class="lf-study" data-module="{deck.module}" data-count="{len(deck.cards)}"></div>

{KEYS_HELP} Scheduling follows FSRS-6 with its published default parameters (the scheduler
Anki ships since 23.10), aiming at 90 % recall when a card comes back. It is kept in this browser
only; move it with [export/import on your progress page](../progress.md).

[Download this deck for Anki]({module_apkg}){{ .md-button }}
[Download all decks]({course_apkg}){{ .md-button }}

In Anki: *File → Import…*. Importing a newer version updates your cards instead of duplicating them.

## Browse the deck

Recall first, read second: the answers stay folded away while you study.

<details class="lf-browse" markdown>
<summary>Show all {len(deck.cards)} cards with their answers</summary>

<div class="lf-cards" markdown>

{cards}
</div>
</details>
"""


def glossary_page(
    terms: dict[str, Card], titles: dict[str, str] | None = None, heading: bool = True
) -> str:
    lines = [GLOSSARY_MARK]
    if heading:
        lines += ["# Glossary", "", "Terms defined by the course's flashcards, A to Z.", ""]
    if not terms:
        lines.append("*No terms yet: cards with a `term:` appear here.*")
    for card in sorted(terms.values(), key=lambda c: (c.term or "").lower()):
        lines += [
            f'<div class="lf-glossary-entry" id="{term_anchor(card.term or "")}" markdown>',
            "",
            f"**{card.term}**",
            "",
            card.a.strip(),
            "",
            f"<small>Card “{html.escape(card.q.strip())}” in "
            f"[{(titles or {}).get(card.module, card.module)}]"
            f"({card.module}/flashcards.md#card-{card.id})</small>",
            "",
            "</div>",
            "",
        ]
    return "\n".join(lines) + "\n"


def progress_page(heading: bool = True) -> str:
    head = "# Your progress\n\n" if heading else ""
    return f"""{PROGRESS_MARK}
{head}Your progress lives in this browser only (localStorage): nothing is sent anywhere.
Export it to a JSON file to move to another browser or to show your instructor.

<div class="lf-progress" id="lf-progress"><p>Progress needs JavaScript.</p></div>

<div class="lf-progress-io">
<button type="button" class="md-button" id="lf-export">Export progress (JSON)</button>
<label class="md-button" for="lf-import">Import progress…</label>
<input type="file" id="lf-import" accept="application/json,.json" hidden>
<span id="lf-io-status" role="status"></span>
</div>

Importing replaces the progress stored in this browser with the file's.

<div class="lf-retention">
<label for="lf-retention">Flashcards: how sure do you want to be of an answer when its card comes
back?</label>
<select id="lf-retention">
<option value="0.8">80 % (fewer reviews)</option>
<option value="0.85">85 %</option>
<option value="0.9" selected>90 % (default)</option>
<option value="0.95">95 % (many more reviews)</option>
</select>
</div>

<div class="lf-new-per-day">
<label for="lf-new-per-day">Flashcards: how many new cards a day, across the whole course?</label>
<select id="lf-new-per-day">
<option value="5">5 (gentle)</option>
<option value="10" selected>10 (default)</option>
<option value="15">15</option>
<option value="20">20</option>
<option value="30">30 (each new card brings reviews on the days after)</option>
</select>
</div>
"""


def labs_index(
    rows: list[tuple[Lab, str | None]], repository: str = "", wheel: str = CHECKER_WHEEL
) -> str:
    """The labs page: every lab, and how a learner gets the labs and the checker.

    `repository` is mkdocs.yml's `extra.course_repository` (the address learners clone); when it
    is empty the page says so instead of printing a command that cannot work. `wheel` is the
    checker wheel's file name in `download/` (site/hooks/checker_wheel.py serves it).
    """
    first = rows[0][0].name if rows else "lab01_business_to_ml"
    lines = [
        "# Labs",
        "",
        "Each lab is a Jupyter notebook. Read it here, then download the student version and",
        "work in it. No solutions or hidden tests are in these notebooks.",
        "",
        "| Lab | Module | Notebook |",
        "|---|---|---|",
    ]
    for lab, module in rows:
        where = f"[{module}](../{module}/index.md)" if module else "–"
        lines.append(
            f"| [{lab.title}]({lab.name}.md) | {where} | "
            f"[{lab.name}.ipynb](download/{lab.name}.ipynb) |"
        )
    if repository:
        clone = [
            "```bash",
            f"git clone {repository} mlops-course",
            "cd mlops-course",
            "python3 -m venv .venv",
            ".venv/bin/pip install -e '.[labs,grade]' jupyterlab",
            "```",
        ]
    else:  # top-level text: indented by four spaces it would render as a code block
        clone = [
            "This site was built without the course repository's address",
            "(`extra: course_repository:` in `mkdocs.yml`): ask your instructor for it, clone",
            "it, and in its folder run `python3 -m venv .venv` and",
            "`.venv/bin/pip install -e '.[labs,grade]' jupyterlab`.",
        ]
    lines += [
        "",
        "## Get started on your own",
        "",
        "You need Python 3.11 or newer and git. Once, get the course repository and install the",
        "labs' packages and the checker (`mlops-grade`) into a virtual environment in it:",
        "",
        *clone,
        "",
        "Then for each lab: download its notebook from the table above into that folder, open it,",
        "and check it before you submit (the commands use the environment's own programs, so no",
        "`activate` is needed):",
        "",
        "```bash",
        f".venv/bin/jupyter lab {first}.ipynb",
        f".venv/bin/mlops-grade check {first}.ipynb",
        "```",
        "",
        "### Only the checker, from this site",
        "",
        "No clone needed: this site serves the checker as a wheel,",
        f"[{wheel}](download/{quote(wheel)}). Download it and a lab's notebook into one empty",
        "folder, and in that folder run:",
        "",
        "```bash",
        "python3 -m venv .venv",
        f".venv/bin/pip install {wheel}",
        f".venv/bin/mlops-grade check {first}.ipynb",
        "```",
        "",
        "`pip` fetches the checker's few libraries (typer, rich, pydantic) from PyPI. The checker",
        "runs your notebook, so what the notebook imports must be installed too: numpy, pandas and",
        "the course's `reference_impl` come with the course repository above; without them the",
        "report shows each test failing on the missing module or name.",
        "",
        "## How to open a lab",
        "",
        '=== "On your machine"',
        "",
        "    In the course repository's folder, set up as in",
        "    [Get started on your own](#get-started-on-your-own):",
        "",
        "    ```bash",
        "    .venv/bin/jupyter lab labNN_slug.ipynb",
        "    ```",
        "",
        '=== "In the lab container"',
        "",
        "    If your cohort works in the lab container, open the course repository in it, copy",
        "    the downloaded notebook into the workspace and open it in the container's JupyterLab.",
        "",
        '=== "On the cohort hub"',
        "",
        "    Log in to your cohort's JupyterHub, use *Upload* in the file browser to add the",
        "    notebook, then open it. The hub has every package the labs need.",
        "",
        "Before you submit, run the public tests: `.venv/bin/mlops-grade check labNN_slug.ipynb`",
        "(or `mlops-grade check labNN_slug.ipynb` in the container or on the hub) tells you what",
        "passes and how many hidden tests will also grade your work.",
        "",
    ]
    return "\n".join(lines)


def home_widget() -> str:
    return '<div class="lf-home" id="lf-home" hidden></div>\n'


def module_widget(module: str) -> str:
    return f'<div class="lf-module-progress" data-module="{module}"></div>\n'


def lesson_widget(module: str, url: str) -> str:
    return f'<div class="lf-lesson-done" data-module="{module}" data-page="{_attr(url)}"></div>\n'


def lab_widget(module: str, lab: str) -> str:
    return f'<div class="lf-lab-done" data-module="{module}" data-lab="{lab}"></div>\n'
