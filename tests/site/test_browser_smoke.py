"""A real browser loads the built site over 127.0.0.1 and from file://, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _search(page, term: str) -> list[str]:
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(term, delay=30)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15_000)
    return results.all_inner_texts()


def test_home_renders_and_search_finds_module_0(page, site_url: str, artifacts_dir: Path) -> None:
    """Does the home page render, does search return hits, and does nothing leave 127.0.0.1?"""
    page.goto(f"{site_url}/index.html")
    assert "Hands-on MLOps" in page.title()
    hits = _search(page, "technical debt")
    assert any("MLOps" in hit for hit in hits), hits
    page.screenshot(path=str(artifacts_dir / "home-search.png"))
    page.goto(f"{site_url}/00-what-is-mlops/index.html")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text().startswith("What is MLOps")
    assert page.requests.external() == []


def test_search_works_from_file_url(page, built_site: Path) -> None:
    """Does search still answer when the site is opened straight from disk?"""
    page.goto((built_site / "index.html").as_uri())
    assert _search(page, "technical debt")
    assert page.requests.external() == []
