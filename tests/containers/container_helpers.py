"""Paths and small parsers shared by the container suites (static, images, hub)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DOCKERFILES = {"lab": DOCKER / "lab.Dockerfile", "serve": DOCKER / "serve.Dockerfile"}
LOCKS = {"lab": DOCKER / "lab.lock", "serve": DOCKER / "serve.lock"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def venv_tool(name: str) -> str | None:
    """A console script of this interpreter's environment (or PATH)."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def lock_pins(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """Lock file -> {normalized name: [(version, marker or None), ...]}."""
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = re.sub(r"[-_.]+", "-", match[1]).lower()
            pins.setdefault(name, []).append((match[2], match[3]))
    return pins


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out
