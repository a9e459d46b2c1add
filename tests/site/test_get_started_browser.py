"""A learner follows the labs page's "Only the checker, from this site" in a browser.

Chromium opens the built labs page; the test reads the commands the page *shows*, downloads the
files its links point at into an empty folder (as a learner's browser would), and runs the
commands there with bash, unchanged. Two things differ from a learner's machine, both outside
the commands: pip is offline (PIP_NO_INDEX + PIP_FIND_LINKS to a wheelhouse repacked from this
environment), and `python3` is the interpreter this suite runs on (the wheelhouse's binary wheels
are built for it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUMMARY = re.compile(r"(\d+)/(\d+) public tests pass; (\d+) hidden tests will run at grading")
SECTION = "#only-the-checker-from-this-site"

# The commands of the first code block after the section's heading, and the section's links.
READ_SECTION = """(sel) => {
  const heading = document.querySelector(sel);
  let code = null;
  const links = [];
  for (let el = heading.nextElementSibling; el && !/^H[1-3]$/.test(el.tagName);
       el = el.nextElementSibling) {
    if (!code && el.querySelector('code') && el.querySelector('pre')) {
      code = el.querySelector('pre code').innerText;
    }
    el.querySelectorAll('a[href]').forEach(a => links.push(a.getAttribute('href')));
  }
  return {code, links};
}"""


def _download(page, href: str, folder: Path) -> Path:  # noqa: ANN001
    """Click the link with `href` and save what the browser downloads into `folder`."""
    with page.expect_download() as info:
        page.click(f'a[href="{href}"]')
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def test_following_the_page_ends_with_a_self_check_report(
    page, site_url: str, checker_wheelhouse: Path, tmp_path: Path
) -> None:  # noqa: ANN001
    """Download what the page links, run what it shows: does the learner get a check report?"""
    page.goto(f"{site_url}/labs/index.html")
    section = page.evaluate(READ_SECTION, SECTION)
    lines = [line.strip() for line in (section["code"] or "").splitlines() if line.strip()]
    assert lines, "the section shows no commands"
    wheels = [h for h in section["links"] if h.endswith(".whl")]
    assert len(wheels) == 1, section["links"]
    notebook = re.search(r"check (\S+\.ipynb)$", lines[-1])
    assert notebook, f"the last command is not a check of a notebook: {lines[-1]}"
    folder = tmp_path / "learner"
    folder.mkdir()
    got = _download(page, wheels[0], folder)
    assert got.name in " ".join(lines), f"no command installs the downloaded {got.name}"
    # The notebook the check command names, downloaded from the page's labs table.
    lab_link = page.locator(f'a[href$="/{notebook[1]}"]').first.get_attribute("href")
    assert lab_link, f"the page links no {notebook[1]}"
    assert _download(page, lab_link, folder).name == notebook[1]
    assert page.requests.external() == []

    bin_dir = tmp_path / "bin"  # `python3` = this suite's interpreter (see the module docstring)
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(checker_wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    found = SUMMARY.search(out)
    assert found and int(found[2]) > 0, out[-4000:]
    assert int(found[2]) == out.count("FAIL ") + out.count("PASS "), out[-4000:]
