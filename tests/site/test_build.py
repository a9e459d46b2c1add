"""The course site builds strictly and references nothing outside the machine."""

from __future__ import annotations

import re
from pathlib import Path

EXTERNAL_ASSET = re.compile(r"<(?:script|link|img|iframe)[^>]+(?:src|href)=\"(https?:)?//", re.I)


def test_home_overview_and_module_0_are_built(built_site: Path) -> None:
    """Does the strict build produce the pages a newcomer opens first?"""
    for page in ("index.html", "overview.html", "how-it-works.html", "00-what-is-mlops/index.html"):
        assert (built_site / page).is_file(), page


def test_no_page_loads_an_asset_from_another_host(built_site: Path) -> None:
    """Would any page fetch a script, stylesheet, font or image from the internet?"""
    offenders = []
    for html in built_site.rglob("*.html"):
        for match in EXTERNAL_ASSET.finditer(html.read_text(encoding="utf-8")):
            offenders.append(f"{html.relative_to(built_site)}: {match.group(0)}")
    assert offenders == []


def test_vendored_assets_are_in_the_build(built_site: Path) -> None:
    """Are mermaid, MathJax (with its fonts) and the iframe-worker shim served locally?"""
    vendor = built_site / "assets" / "vendor"
    assert (vendor / "mermaid" / "mermaid.min.js").stat().st_size > 100_000
    assert (vendor / "mathjax" / "tex-mml-chtml.js").stat().st_size > 100_000
    assert any((vendor / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (vendor / "iframe-worker" / "shim.js").is_file()


def test_search_index_is_inlined_for_file_urls(built_site: Path) -> None:
    """Can search work from file:// (the offline plugin inlines the index as a script)?"""
    js = (built_site / "search" / "search_index.js").read_text(encoding="utf-8")
    assert js.startswith("var __index = ") and "MLOps" in js
