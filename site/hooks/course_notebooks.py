"""Render lab notebooks to HTML with mkdocs-jupyter's converter, once per content hash.

Importing mkdocs-jupyter (nbconvert, jupytext, jsonschema …) costs seconds, so the site build
never imports it: notebooks missing from `build/cache/notebooks/` are converted in one child
process (`python course_notebooks.py CACHE NB...`), and every later build reads the cached
HTML, table-of-contents tokens and title.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

RENDER_VERSION = b"nb-render-v1"
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
# What nbconvert's template adds for MathJax 2, mermaid and require.js; the site loads its own.
NOTEBOOK_SCRIPT = re.compile(r"src=\"\"|text/x-mathjax-config|//cdn|cdnjs|unpkg|jsdelivr|https?://")


def strip_notebook_scripts(content: str) -> str:
    """Drop the scripts the notebook template embeds that would reach a CDN (or do nothing)."""
    return SCRIPT.sub(
        lambda m: "" if NOTEBOOK_SCRIPT.search(m.group(1)) or "cdnjs" in m.group(2) else m.group(0),
        content,
    )


def cache_file(notebook: Path, cache_dir: Path) -> Path:
    key = hashlib.sha256(RENDER_VERSION + notebook.read_bytes()).hexdigest()[:20]
    return cache_dir / f"{key}.json"


def render_all(notebooks: list[Path], cache_dir: Path) -> dict[Path, dict]:
    """{notebook: {"content", "toc_tokens", "title"}}, converting only what is not cached."""
    missing = [nb for nb in notebooks if not cache_file(nb, cache_dir).is_file()]
    if missing:
        cmd = [sys.executable, __file__, str(cache_dir), *map(str, missing)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"notebook rendering failed: {tail}")
    return {nb: json.loads(cache_file(nb, cache_dir).read_text("utf-8")) for nb in notebooks}


def _convert(notebook: Path) -> dict:
    from mkdocs_jupyter.convert import nb2html

    html = nb2html(str(notebook), include_requirejs=False, custom_mathjax_url="", theme="")
    try:  # private helper of mkdocs-jupyter; without it the page simply has no side TOC
        from mkdocs_jupyter.plugin import _get_nb_toc_tokens

        tokens, title = _get_nb_toc_tokens(str(notebook), 3)
    except ImportError:
        tokens, title = [], None
    return {"content": strip_notebook_scripts(html), "toc_tokens": tokens, "title": title}


if __name__ == "__main__":
    cache = Path(sys.argv[1])
    cache.mkdir(parents=True, exist_ok=True)
    for arg in sys.argv[2:]:
        nb = Path(arg)
        target = cache_file(nb, cache)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")  # two builds at once never share it
        tmp.write_text(json.dumps(_convert(nb)), encoding="utf-8")
        tmp.replace(target)  # atomic: an interrupted run never leaves half a page
