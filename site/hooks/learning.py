"""mkdocs hook: the course's learning features, generated from the course and the labs.

- a flashcards study page per module (`NN-slug/flashcards.md`) + Anki packages,
- the glossary (cards' `term`s), linked from lessons on first use,
- the labs (student versions rendered by mkdocs-jupyter, with downloads),
- progress widgets and the progress page, and `assets/learning/course.js`, the data the browser
  side (`assets/javascripts/learning.js`) works from.

Course text stays in `course/`; this file only arranges it. Helpers live next to it
(`course_cards.py`, `course_anki.py`, `course_labs.py`) and are importable by `site/tools/`.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_anki  # noqa: E402
import course_cards  # noqa: E402
import course_figures  # noqa: E402
import course_labs  # noqa: E402
import course_notebooks  # noqa: E402
import course_pages  # noqa: E402
import course_quiz_print  # noqa: E402

COURSE_APKG = "downloads/hands-on-mlops.apkg"
DATA_JS = "assets/learning/course.js"
GENERATED = ("flashcards.md", "quiz.md")  # module pages that are not lessons
ANSWER_KEY = "answer-key.md"  # the lab book's last page (printing only)
SKIP_TAGS = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "summary"}


@dataclass
class State:
    root: Path = Path(".")
    decks: list[course_cards.Deck] = field(default_factory=list)
    terms: dict[str, course_cards.Card] = field(default_factory=dict)
    labs: list[course_labs.Lab] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    notebooks: dict[str, dict] = field(default_factory=dict)  # lab name -> rendered page
    printing: bool = False  # building the lab book (print-site): no interactive widgets


STATE = State()


def _add_nav(nav: list, title: str, target: str | list) -> None:
    if not any(isinstance(item, dict) and title in item for item in nav):
        nav.append({title: target})


def _module_section(nav: list, module: str) -> list | None:
    for item in nav:
        if isinstance(item, dict):
            for value in item.values():
                if isinstance(value, list) and any(
                    (isinstance(v, str) and v.startswith(f"{module}/"))
                    or (isinstance(v, dict) and str(*v.values()).startswith(f"{module}/"))
                    for v in value
                ):
                    return value
    return None


def on_config(config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    docs = Path(config["docs_dir"])
    STATE.root = docs.parent
    try:
        STATE.decks = course_cards.load_course(docs)
        STATE.terms = course_cards.glossary(STATE.decks)
    except course_cards.CardsError as exc:
        raise PluginError(str(exc)) from None
    STATE.modules = [d.name for d in course_cards.module_dirs(docs)]
    STATE.labs = course_labs.find_labs(STATE.root / "labs")
    nav = config.get("nav")
    if nav is None:
        return config
    STATE.printing = printing = "print-site" in config["plugins"]  # lab book: no study tools
    for deck in [] if printing else STATE.decks:
        section = _module_section(nav, deck.module)
        if section is not None and not any("flashcards.md" in str(v) for v in section):
            section.append({"Flashcards": f"{deck.module}/flashcards.md"})
    if STATE.labs:
        labs_nav: list = ["labs/index.md"]
        labs_nav += [{lab.title: f"labs/{lab.name}.md"} for lab in STATE.labs]
        _add_nav(nav, "Labs", labs_nav)
    if not printing:
        _add_nav(nav, "Your progress", "progress.md")
    _add_nav(nav, "Glossary", "glossary.md")
    if printing:  # quizzes print without answers; the key closes the book
        _add_nav(nav, "Answer key", ANSWER_KEY)
    return config


def _cache() -> Path:
    return STATE.root / "build" / "cache"


def _apkg(decks: list[course_cards.Deck], name: str) -> Path:
    path = _cache() / "anki" / f"{name}-{course_anki.content_hash(decks)}.apkg"
    if not path.is_file():
        course_anki.write_package(decks, path)
    return path


def _generated(files: Files, config, src_uri: str, **kwargs) -> None:  # noqa: ANN001
    existing = files.get_file_from_path(src_uri)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, src_uri, **kwargs))


def on_files(files: Files, config) -> Files:  # noqa: ANN001
    for deck in STATE.decks:
        md = course_pages.study_page(deck, f"{deck.module}.apkg", f"../{COURSE_APKG}")
        _generated(files, config, f"{deck.module}/flashcards.md", content=md)
        apkg = _apkg([deck], deck.module)
        _generated(files, config, f"{deck.module}/{deck.module}.apkg", abs_src_path=str(apkg))
    if STATE.decks:
        apkg = _apkg(STATE.decks, "course")
        _generated(files, config, COURSE_APKG, abs_src_path=str(apkg))
    for name, content in (
        ("glossary.md", course_pages.glossary_page(STATE.terms, _titles())),
        ("progress.md", course_pages.progress_page()),
    ):
        if files.get_file_from_path(name) is None:
            files.append(File.generated(config, name, content=content))
    if STATE.labs:
        repository = str(config.extra.get("course_repository") or "").strip()
        files.append(File.generated(config, "labs/index.md", content=_labs_index(repository)))
    renders = {}
    for lab in STATE.labs:
        try:
            student, renders[lab.name] = course_labs.prepare(
                lab, _cache() / "labs", f"download/{lab.name}.ipynb", "index.html#how-to-open-a-lab"
            )
        except course_labs.LabError as exc:
            raise PluginError(str(exc)) from None
        page = f'---\ntitle: "{lab.title}"\n---\n\n<div class="lf-notebook"></div>\n'
        files.append(File.generated(config, f"labs/{lab.name}.md", content=page))
        files.append(
            File.generated(config, f"labs/download/{lab.name}.ipynb", abs_src_path=str(student))
        )
    try:
        rendered = course_notebooks.render_all(list(renders.values()), _cache() / "notebooks")
    except RuntimeError as exc:
        raise PluginError(str(exc)) from None
    STATE.notebooks = {name: rendered[path] for name, path in renders.items()}
    files.append(File.generated(config, DATA_JS, content=_course_data(files)))
    if STATE.printing:
        files.append(File.generated(config, ANSWER_KEY, content=_answer_key(config)))
    return files


def _answer_key(config) -> str:  # noqa: ANN001
    """Every module quiz's right options, with figures filled in as on the quiz pages."""
    docs = Path(config["docs_dir"])
    try:
        results = course_figures.load_results(docs)
        quizzes = []
        for module in STATE.modules:
            path = docs / module / "quiz.md"
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                title = text.partition("\n")[0].lstrip("# ").strip() or module
                where = f"{docs.name}/{module}/quiz.md"
                quizzes.append((title, course_figures.render(text, results, where=where)))
        return course_quiz_print.answer_key(quizzes)
    except (course_figures.FiguresError, course_quiz_print.QuizError) as exc:
        raise PluginError(str(exc)) from None


def _titles() -> dict[str, str]:
    return {d.module: d.title for d in STATE.decks}


def _labs_index(repository: str) -> str:
    rows = [
        (lab, next((m for m in STATE.modules if m.startswith(lab.number + "-")), None))
        for lab in STATE.labs
    ]
    return course_pages.labs_index(rows, repository)


def _lab_for(module: str) -> course_labs.Lab | None:
    return next((lab for lab in STATE.labs if module.startswith(lab.number + "-")), None)


def _course_data(files: Files) -> str:
    """Everything the browser needs: modules, their lessons, cards, quiz and lab (site-relative)."""
    modules = []
    decks = {d.module: d for d in STATE.decks}
    for module in STATE.modules:
        pages = [f for f in files.documentation_pages() if f.src_uri.startswith(f"{module}/")]
        lessons = [f.url for f in pages if f.name + ".md" not in GENERATED]
        quiz = files.get_file_from_path(f"{module}/quiz.md")
        quiz_count = len(re.findall(r"^<quiz>", quiz.content_string, re.M)) if quiz else 0
        deck = decks.get(module)
        lab = _lab_for(module)
        modules.append(
            {
                "slug": module,
                "title": deck.title if deck else module,
                "index": f"{module}/index.html",
                "lessons": lessons,
                "cards": [c.id for c in deck.cards] if deck else [],
                "study": f"{module}/flashcards.html" if deck else None,
                "quiz": quiz.url if quiz else None,
                "quizCount": quiz_count,
                "lab": {"name": lab.name, "url": f"labs/{lab.name}.html"} if lab else None,
            }
        )
    return "window.LF_COURSE = " + json.dumps({"modules": modules}, indent=1) + ";\n"


# After the figures hook (100), before mkdocs-quiz (0), so a printed quiz shows its figures and
# mkdocs-quiz finds no block left to make interactive.
@event_priority(90)
def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    src = page.file.src_uri
    if STATE.printing and src.endswith("/quiz.md") and src.split("/")[0] in STATE.modules:
        try:
            return course_quiz_print.for_print(markdown)
        except course_quiz_print.QuizError as exc:
            raise PluginError(f"{src}: {exc}") from None
    if src == "glossary.md" and course_pages.GLOSSARY_MARK not in markdown:
        return markdown + "\n\n" + course_pages.glossary_page(STATE.terms, _titles(), False)
    if src == "progress.md" and course_pages.PROGRESS_MARK not in markdown:
        return markdown + "\n\n" + course_pages.progress_page(heading=False)
    return markdown


def link_terms(content: str, page_url: str) -> str:
    """Link the first use of each glossary term in prose (not in code, links or headings)."""
    if not STATE.terms:
        return content
    glossary_url = get_relative_url("glossary.html", page_url)
    pending = dict(STATE.terms)
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(t) for t in sorted(pending, key=len, reverse=True)) + r")\b",
        re.I,
    )
    parts = re.split(
        r"(<(?:span|div) class=\"arithmatex\">.*?</(?:span|div)>|<[^>]+>)", content, flags=re.S
    )
    depth = 0
    for i, part in enumerate(parts):
        if part.startswith('<span class="arithmatex">') or part.startswith(
            '<div class="arithmatex">'
        ):
            continue  # math: a link inside would break MathJax
        if part.startswith("<"):
            m = re.match(r"<(/?)([a-zA-Z0-9]+)", part)
            if m and m.group(2).lower() in SKIP_TAGS and not part.endswith("/>"):
                depth += -1 if m.group(1) else 1
            continue
        if depth or not pending:
            continue

        def repl(m: re.Match[str]) -> str:
            card = pending.pop(m.group(1).lower(), None)
            if card is None:
                return m.group(0)
            anchor = course_pages.term_anchor(card.term or "")
            title = html.escape(f"Glossary: {card.term}")
            href = f"{glossary_url}#{anchor}"
            return f'<a class="lf-term" href="{href}" title="{title}">{m.group(0)}</a>'

        parts[i] = pattern.sub(repl, part)
    return "".join(parts)


# Before print-site's on_page_content (priority 0), which keeps each page's HTML for the lab book.
@event_priority(50)
def on_page_content(content: str, page, config, files) -> str:  # noqa: ANN001
    src = page.file.src_uri
    module = src.split("/", 1)[0]
    lab = src.removeprefix("labs/").removesuffix(".md")
    if src.startswith("labs/") and lab in STATE.notebooks:
        rendered = STATE.notebooks[lab]
        page.toc = get_toc(rendered["toc_tokens"])
        owner = next((m for m in STATE.modules if m.startswith(lab[3:5] + "-")), "")
        widget = "" if STATE.printing else course_pages.lab_widget(owner, lab)
        return rendered["content"] + widget
    if STATE.printing:
        return link_terms(content, page.url) if module in STATE.modules else content
    if src == "index.md":
        cut = content.find("</p>") + len("</p>") if "</p>" in content else 0
        return content[:cut] + course_pages.home_widget() + content[cut:]
    if module in STATE.modules and page.file.name + ".md" not in GENERATED:
        content = link_terms(content, page.url)
        widget = course_pages.lesson_widget(module, page.url)
        if page.file.name == "index":
            widget = course_pages.module_widget(module) + widget
        return content + widget
    return content


def on_serve(server, config, builder):  # noqa: ANN001, ANN201 - mkdocs hook signature
    """`mkdocs serve` also rebuilds when a lab notebook changes (labs/ is outside docs_dir)."""
    labs = STATE.root / "labs"
    if labs.is_dir():
        server.watch(str(labs))
    return server
