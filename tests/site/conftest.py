"""Site fixtures: one strict build per session, served on 127.0.0.1, and a Chromium browser."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

# The course site itself (`built_site`) is built once per session in tests/site_build.py: the
# course suite reads it too.
from site_build import mkdocs_build

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Flags verified on this kind of machine: without the background-networking ones Chromium tries
# to reach Google's hosts at start-up, which would count as external requests.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "build" / "test-artifacts"


FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(name="mkdocs_build", scope="session")
def mkdocs_build_fixture():
    """The strict-build helper, for tests that build a config of their own."""
    return mkdocs_build


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny fixture course (two decks, a quiz, a demo lab) built with the real hooks."""
    out = tmp_path_factory.mktemp("fixture-site")
    proc = mkdocs_build(out, FIXTURES / "mkdocs.yml")
    assert proc.returncode == 0, f"fixture build failed:\n{proc.stderr[-4000:]}"
    return out


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve(directory: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """Serve the built site on an ephemeral port of 127.0.0.1."""
    yield from _serve(built_site)


@pytest.fixture(scope="session")
def fixture_url(fixture_site: Path) -> Iterator[str]:
    """Serve the fixture course on an ephemeral port of 127.0.0.1."""
    yield from _serve(fixture_site)


@pytest.fixture(scope="session")
def browser(needs_tool):
    """Debian's Chromium driven by Playwright (never a downloaded browser); a skip, or a failure
    where MLOPS_REQUIRE has browser, when either is missing."""
    if not CHROMIUM.exists():
        needs_tool("browser", f"{CHROMIUM} missing: run `make sysdeps` as root")
    try:
        from playwright import sync_api
    except ImportError:
        needs_tool("browser", "playwright not installed (pip install -e '.[all]')")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class RequestLog:
    """Every URL a page asked for, so a test can assert none left the machine."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def external(self) -> list[str]:
        out = []
        for url in self.urls:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about", "file"):
                continue
            if parsed.hostname not in ("127.0.0.1",):
                out.append(url)
        return out


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    log = RequestLog()
    pg.on("request", lambda request: log.urls.append(request.url))
    pg.requests = log  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def have_chromium() -> bool:
    return CHROMIUM.exists() and shutil.which(str(CHROMIUM)) is not None


@pytest.fixture(scope="session")
def checker_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checker wheel's dependencies as wheel files (repacked from this environment), for
    `pip install --no-index --find-links` into a fresh venv: an install test never downloads."""
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT / "site" / "hooks")]
    import checker_wheel
    from checker_wheelhouse import wheelhouse

    out = tmp_path_factory.mktemp("wheelhouse")
    wheelhouse(checker_wheel.requirements(), out)
    return out
