"""Vendor browser assets (mermaid, MathJax, iframe-worker) from the npm registry, never a CDN.

`npm pack` fetches each pinned package once into `build/vendor/`; the mkdocs hook then adds the
files the site needs to the build, so every page works with no network at view time.
Run as a script (`python site/hooks/vendor_assets.py`) to vendor ahead of a build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR_DIR = ROOT / "build" / "vendor"

# package spec -> {path inside the npm tarball: path under assets/vendor/}; a trailing "/" copies a
# folder. MathJax finds its fonts relative to its own script, so the layout is kept.
PACKAGES: dict[str, dict[str, str]] = {
    "mermaid@11.6.0": {"dist/mermaid.min.js": "mermaid/mermaid.min.js"},
    "mathjax@3.2.2": {
        "es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
        "es5/output/chtml/fonts/woff-v2/": "mathjax/output/chtml/fonts/woff-v2/",
    },
    "iframe-worker@1.0.4": {"shim/index.js": "iframe-worker/shim.js"},
    # FSRS-6 spaced-repetition scheduler (MIT); its UMD build defines window.FSRS for learning.js.
    "ts-fsrs@5.4.2": {"dist/index.umd.js": "ts-fsrs/ts-fsrs.umd.js", "LICENSE": "ts-fsrs/LICENSE"},
}


class VendorError(RuntimeError):
    """Vendoring failed; the message is one line a user can act on."""


def _stamp() -> Path:
    return VENDOR_DIR / "vendor.json"


def is_vendored() -> bool:
    stamp = _stamp()
    return stamp.is_file() and json.loads(stamp.read_text()) == sorted(PACKAGES)


def _npm_pack(spec: str, dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(
            "npm not found: install Node.js 20+ with npm (Debian: apt-get install -y nodejs npm)"
        )
    proc = subprocess.run(
        [npm, "pack", spec, "--json", "--silent", "--pack-destination", str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise VendorError(f"npm pack {spec} failed: {last}")
    filename = json.loads(proc.stdout)[0]["filename"]
    return dest / filename.replace("@", "").replace("/", "-")


def vendor(force: bool = False) -> Path:
    """Download the pinned packages with npm and lay out `build/vendor/assets/vendor/`."""
    if is_vendored() and not force:
        return VENDOR_DIR
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "vendor"
        for spec, files in PACKAGES.items():
            tarball = _npm_pack(spec, Path(tmp))
            with tarfile.open(tarball) as tar:
                tar.extractall(Path(tmp) / spec, filter="data")
            package = Path(tmp) / spec / "package"
            for src, dst in files.items():
                target = staging / "assets" / "vendor" / dst
                if src.endswith("/"):
                    shutil.copytree(package / src, target)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(package / src, target)
        (staging / "vendor.json").write_text(json.dumps(sorted(PACKAGES)))
        # Swap in whole so an interrupted run never leaves a half-vendored tree.
        if VENDOR_DIR.exists():
            shutil.rmtree(VENDOR_DIR)
        VENDOR_DIR.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), VENDOR_DIR)
    return VENDOR_DIR


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    """Add the vendored assets to the site's files (vendoring first when needed)."""
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    try:
        root = vendor()
    except VendorError as exc:
        raise PluginError(str(exc)) from None
    for path in sorted((root / "assets").rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            files.append(File(rel, str(root), config["site_dir"], config["use_directory_urls"]))
    return files


if __name__ == "__main__":
    try:
        print(f"vendored browser assets in {vendor(force='--force' in sys.argv)}")
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
