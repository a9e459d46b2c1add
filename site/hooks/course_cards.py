"""Flashcards: read and validate each module's `flashcards.yml` (no mkdocs import here).

Shared by the site hook (`learning.py`) and the command-line exports in `site/tools/`.
Every error names the file and the line, so a malformed deck fails the build where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import course_figures
import yaml

MODULE_DIR = re.compile(r"^(\d{2})-[a-z0-9][a-z0-9-]*$")
CARD_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CARD_KEYS = {"id", "q", "a", "tags", "term"}


class CardsError(ValueError):
    """A flashcards file is malformed; str() is `path:line: what is wrong`."""


@dataclass(frozen=True)
class Card:
    module: str  # folder name, e.g. "00-what-is-mlops"
    id: str
    q: str
    a: str
    tags: tuple[str, ...] = ()
    term: str | None = None
    line: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        """Course-wide stable key: the browser's scheduling state and Anki's GUID derive from it."""
        return f"{self.module}/{self.id}"


@dataclass(frozen=True)
class Deck:
    module: str
    title: str
    path: Path
    cards: tuple[Card, ...] = field(default_factory=tuple)


def _fail(path: Path, node: yaml.Node | None, message: str) -> CardsError:
    line = node.start_mark.line + 1 if node is not None else 1
    return CardsError(f"{path}:{line}: {message}")


def _mapping(node: yaml.Node) -> dict[str, yaml.Node]:
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _text(path: Path, node: yaml.Node | None, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty string")
    return str(node.value)


def _figures(path: Path, node: yaml.Node, text: str, results: dict) -> str:
    """`text` with its figure placeholders filled in (course_figures); errors name the line."""
    try:
        return course_figures.render(
            text, results, where=str(path), first_line=node.start_mark.line + 1
        )
    except course_figures.FiguresError as exc:
        raise CardsError(str(exc)) from None


def load_deck(path: Path) -> Deck:
    """Parse one `flashcards.yml`; raise CardsError with file and line on any problem.

    Figure placeholders in `q` and `a` are filled in from the course's results files
    (`course/_data/`, next to the module folders).
    """
    try:
        results = course_figures.load_results(path.parent.parent)
    except course_figures.FiguresError as exc:
        raise CardsError(str(exc)) from None
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CardsError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from None
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, "expected a mapping with `deck:` and `cards:`")
    top = _mapping(root)
    title = _text(path, top.get("deck"), "`deck`")
    cards_node = top.get("cards")
    if not isinstance(cards_node, yaml.SequenceNode) or not cards_node.value:
        raise _fail(path, cards_node or root, "`cards` must be a non-empty list")
    module = path.parent.name
    seen: dict[str, int] = {}
    cards = []
    for item in cards_node.value:
        if not isinstance(item, yaml.MappingNode):
            raise _fail(path, item, "each card must be a mapping with id, q, a")
        fields = _mapping(item)
        unknown = sorted(set(fields) - CARD_KEYS)
        if unknown:
            raise _fail(path, item, f"unknown card key(s) {unknown}; allowed: {sorted(CARD_KEYS)}")
        card_id = _text(path, fields.get("id", item), "card `id`")
        if not CARD_ID.match(card_id):
            raise _fail(path, fields["id"], f"card id {card_id!r} must be a lowercase slug")
        if card_id in seen:
            raise _fail(
                path, fields["id"], f"duplicate card id {card_id!r} (first on line {seen[card_id]})"
            )
        seen[card_id] = fields["id"].start_mark.line + 1
        tags_node = fields.get("tags")
        tags: tuple[str, ...] = ()
        if tags_node is not None:
            if not isinstance(tags_node, yaml.SequenceNode) or not all(
                isinstance(t, yaml.ScalarNode) and CARD_ID.match(str(t.value))
                for t in tags_node.value
            ):
                raise _fail(path, tags_node, "`tags` must be a list of lowercase slugs")
            tags = tuple(str(t.value) for t in tags_node.value)
        term = _text(path, fields["term"], "`term`") if "term" in fields else None
        cards.append(
            Card(
                module=module,
                id=card_id,
                q=_figures(
                    path,
                    fields.get("q", item),
                    _text(path, fields.get("q", item), f"card {card_id!r}: `q`"),
                    results,
                ),
                a=_figures(
                    path,
                    fields.get("a", item),
                    _text(path, fields.get("a", item), f"card {card_id!r}: `a`"),
                    results,
                ),
                tags=tags,
                term=term,
                line=item.start_mark.line + 1,
            )
        )
    return Deck(module=module, title=title, path=path, cards=tuple(cards))


def module_dirs(docs_dir: Path) -> list[Path]:
    """The module folders (`NN-slug/`) of the course, in order."""
    return sorted(p for p in docs_dir.iterdir() if p.is_dir() and MODULE_DIR.match(p.name))


def load_course(docs_dir: Path) -> list[Deck]:
    """Every module's deck, in module order (modules without `flashcards.yml` are skipped)."""
    return [
        load_deck(d / "flashcards.yml")
        for d in module_dirs(docs_dir)
        if (d / "flashcards.yml").is_file()
    ]


def glossary(decks: list[Deck]) -> dict[str, Card]:
    """Term → the card that defines it; a term defined twice is an error."""
    terms: dict[str, Card] = {}
    for deck in decks:
        for card in deck.cards:
            if card.term is None:
                continue
            other = terms.get(card.term.lower())
            if other is not None:
                raise CardsError(
                    f"{deck.path}:{card.line}: term {card.term!r} of card {card.id!r} is already "
                    f"defined by card {other.key!r}"
                )
            terms[card.term.lower()] = card
    return dict(sorted(terms.items()))
