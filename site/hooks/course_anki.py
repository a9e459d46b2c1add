"""Anki packages (.apkg) from the flashcards decks, with ids that never change.

Model, deck and note ids derive from names and card keys (`module/id`), so importing a newer
package into Anki updates the notes instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import genanki
import markdown
from course_cards import Card, Deck

COURSE_DECK = "Hands-on MLOps"
MD_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
CSS = """.card { font-family: system-ui, sans-serif; font-size: 18px; text-align: left;
  color: #222; background: #fff; max-width: 40em; margin: 1em auto; }
code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
.tags { color: #888; font-size: 70%; }"""


def stable_id(name: str) -> int:
    """A 31-bit id derived from a name: the same name gives the same Anki id on every build."""
    return (1 << 30) + int(hashlib.sha1(name.encode()).hexdigest(), 16) % (1 << 30)


MODEL = genanki.Model(
    stable_id("mlops-course basic model v1"),
    "Hands-on MLOps (basic)",
    fields=[{"name": "Key"}, {"name": "Front"}, {"name": "Back"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        }
    ],
    css=CSS,
    sort_field_index=1,
)


def _html(text: str) -> str:
    return markdown.markdown(text, extensions=MD_EXTENSIONS)


def tag(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_:-]+", "_", text)


def note(card: Card) -> genanki.Note:
    return genanki.Note(
        model=MODEL,
        fields=[card.key, _html(card.q), _html(card.a)],
        tags=[f"module::{tag(card.module)}", *(tag(t) for t in card.tags)],
        guid=genanki.guid_for(card.key),
    )


def anki_deck(deck: Deck) -> genanki.Deck:
    name = f"{COURSE_DECK}::{deck.title}"
    out = genanki.Deck(stable_id(f"deck {deck.module}"), name)
    for card in deck.cards:
        out.add_note(note(card))
    return out


def write_package(decks: list[Deck], path: Path) -> Path:
    """Write one .apkg holding the given decks (one per module) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")  # whole or absent for a reader
    genanki.Package([anki_deck(d) for d in decks]).write_to_file(str(tmp))
    tmp.replace(path)
    return path


def content_hash(decks: list[Deck]) -> str:
    """Hash of everything that ends up in a package, to reuse a built one."""
    h = hashlib.sha256(b"anki-v1")
    for deck in decks:
        h.update(deck.module.encode() + b"\0" + deck.path.read_bytes())
    return h.hexdigest()[:16]
