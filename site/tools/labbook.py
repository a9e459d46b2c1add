"""Build the printable lab book: every lesson and lab on one page, printed to PDF by Chromium.

Usage: python site/tools/labbook.py [--out build/labbook.pdf] [--chromium /usr/bin/chromium]
Builds a variant of the site with mkdocs-print-site-plugin (cover page, table of contents,
numbered headings) and without the `offline` plugin, then prints `print_page.html` headless.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _hooks import ROOT, shown

WORK = ROOT / "build" / "labbook"
# Study tools are interactive: they make no sense on paper (the hook also keeps them out of nav).
# Quizzes print without their answers (site/hooks/course_quiz_print.py); the key ends the book.
# A learner's book: no study tools, and no instructor pages (workshop debriefs answer the labs).
EXCLUDE = ["*/flashcards.md", "progress.md", "instructors/*", "project/instructors.md"]


def print_config(base: Path = ROOT / "mkdocs.yml", work: Path = WORK) -> Path:
    """Write the print variant of `base` (absolute paths, print-site last) and return its path."""
    from mkdocs.utils.yaml import yaml_load

    with base.open(encoding="utf-8") as fh:
        cfg = yaml_load(fh)
    plugins = [p for p in cfg.get("plugins", []) if p != "offline"]
    plugins.append(
        {
            "print-site": {
                "add_cover_page": True,
                "enumerate_headings": True,
                "enumerate_headings_depth": 3,
                "add_table_of_contents": True,
                "toc_depth": 2,
                "add_print_site_banner": False,
                "exclude": EXCLUDE,
            }
        }
    )
    child = {
        "INHERIT": str(base),
        "docs_dir": str(base.parent / cfg.get("docs_dir", "docs")),
        "site_dir": str(work / "site"),
        "hooks": [str(base.parent / h) for h in cfg.get("hooks", [])],
        "theme": {"custom_dir": str(base.parent / cfg["theme"]["custom_dir"])},
        "plugins": plugins,
    }
    work.mkdir(parents=True, exist_ok=True)
    path = work / "mkdocs.print.yml"
    path.write_text(yaml.safe_dump(child, sort_keys=False), encoding="utf-8")
    return path


def build_print_site(base: Path = ROOT / "mkdocs.yml", work: Path = WORK) -> Path:
    """Build the print variant of the site; return its `print_page.html`."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    config = print_config(base, work)
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config)]
    proc = subprocess.run(mkdocs, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"print build failed: {proc.stderr.strip().splitlines()[-1:]}")
    return work / "site" / "print_page.html"


def build(out: Path, chromium: Path) -> Path:
    """Build the print site and print it to `out` with headless Chromium."""
    page = build_print_site()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=20000",  # let mermaid and MathJax finish before printing
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0 or not out.is_file():
        raise RuntimeError(f"chromium could not print {page}: {proc.stderr.strip()[-300:]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "labbook.pdf")
    parser.add_argument(
        "--chromium", type=Path, default=Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    )
    args = parser.parse_args(argv)
    if shutil.which(str(args.chromium)) is None:
        print(f"error: {args.chromium} not found: run `make sysdeps` as root", file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        pdf = build(args.out, args.chromium)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    print(f"lab book: {shown(pdf)} ({pdf.stat().st_size // 1024} KiB, {took:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
