"""Pin the container images' dependencies: one hashed lock per image, from pyproject.toml extras.

Writes `docker/<image>.lock` with `uv pip compile --universal --generate-hashes` (Python 3.11,
every platform's markers, so an arm64 laptop resolves the same pins), and copies the lab lock to
`binder/requirements.txt` (Binder installs exactly what the lab image installs; a test compares
them). The project itself is not in a lock: images install it with `pip install --no-deps
--no-build-isolation`, so its build backend (`[build-system] requires`) is pinned in each lock too.

Needs the package index (run it by hand after changing an extra, then commit the locks):

    python tools/lock.py            # re-lock both images
    python tools/lock.py --check    # exit 1 if a committed lock differs from a fresh resolution
    python tools/lock.py --upgrade  # take the newest versions the specifiers allow
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = "3.11"  # the images' base: python:3.11-slim-bookworm
# Image -> the pyproject.toml extras it installs (tests/containers reads this mapping).
IMAGES: dict[str, tuple[str, ...]] = {
    "lab": ("grade", "ml", "labs", "serve", "jupyter"),
    "serve": ("ml", "serve"),
}
BINDER_COPY = {"lab": ROOT / "binder" / "requirements.txt"}


def lock_path(image: str) -> Path:
    return ROOT / "docker" / f"{image}.lock"


def build_requirements() -> Path:
    """The build backend's requirements as a file uv can read (a stable path: it is annotated)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    path = ROOT / "build" / "lock" / "build-system.in"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(pyproject["build-system"]["requires"]) + "\n")
    return path


def compile_lock(image: str, out: Path, *, upgrade: bool = False) -> None:
    """Resolve `image`'s extras (and the build backend) into a hashed requirements file at `out`."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("error: uv not found (pip install 'mlops-course[containers]')")
    build_in = build_requirements().relative_to(ROOT)
    cmd = [
        uv,
        "pip",
        "compile",
        "pyproject.toml",
        str(build_in),
        "--quiet",
        "--universal",
        "--generate-hashes",
    ]
    cmd += ["--python-version", PYTHON_VERSION, "--no-config", "--output-file", str(out)]
    cmd += ["--custom-compile-command", "python tools/lock.py"]
    for extra in IMAGES[image]:
        cmd += ["--extra", extra]
    if upgrade:
        cmd.append("--upgrade")
    elif not out.exists() and lock_path(image).exists():
        shutil.copyfile(lock_path(image), out)  # keep current pins unless --upgrade
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--upgrade", action="store_true", help="allow newer pins")
    args = parser.parse_args()
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for image in IMAGES:
            fresh = Path(tmp) / f"{image}.lock"
            compile_lock(image, fresh, upgrade=args.upgrade)
            target = lock_path(image)
            copies = [target, *([BINDER_COPY[image]] if image in BINDER_COPY else [])]
            for path in copies:
                same = path.exists() and path.read_bytes() == fresh.read_bytes()
                if args.check:
                    stale += [] if same else [str(path.relative_to(ROOT))]
                elif not same:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(fresh, path)
                    print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)} (run: python tools/lock.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
