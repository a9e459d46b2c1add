"""mkdocs hook: the learner's checker as a wheel served with the site (`labs/download/`).

A learner who has not cloned the course repository installs the checker from the site itself:
`pip install mlops_check-<version>-py3-none-any.whl`. The wheel holds the `graders` package and
its `mlops-grade` console script, nothing else, and asks only for the libraries `graders`
imports (typer, rich, pydantic, pydantic-settings, at the versions pyproject.toml pins).

It is written with `zipfile` from the working tree at build time (no setuptools, no network), the
same bytes for the same sources, cached under `build/cache/checker/`; never committed.
Run as a script (`python site/hooks/checker_wheel.py OUT_DIR`) to write it somewhere else.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = "mlops-check"
DOWNLOAD_DIR = "labs/download"  # next to the lab notebooks: one folder for the learner's downloads
# The distributions `graders` imports (checked by a fresh-venv test); versions from pyproject.toml.
NEEDS = ("typer", "rich", "pydantic", "pydantic-settings")
SCRIPT = "mlops-grade = graders.cli:app"
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: same sources, same wheel bytes


def _project(root: Path) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def version(root: Path = ROOT) -> str:
    """The project's version plus a local label from the checker's sources (`0.1.0+1a2b3c4d5e`):
    a rebuilt site with a changed checker serves a new version, which `pip install` installs
    over the old one instead of calling it "already satisfied"."""
    h = hashlib.sha256()
    for path in _sources(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    h.update("\n".join(requirements(root)).encode())
    return f"{_project(root)['version']}+{h.hexdigest()[:10]}"


def wheel_name(root: Path = ROOT) -> str:
    """`mlops_check-<version>-py3-none-any.whl`, the file the labs page links."""
    return f"{DIST.replace('-', '_')}-{version(root)}-py3-none-any.whl"


def requirements(root: Path = ROOT) -> list[str]:
    """pyproject.toml's pins of the distributions in NEEDS (a missing one is an error)."""
    pins = {
        re.split(r"[<>=!~; \[]", d, maxsplit=1)[0].lower(): d
        for d in _project(root)["dependencies"]
    }
    missing = [n for n in NEEDS if n not in pins]
    if missing:
        raise RuntimeError(f"pyproject.toml [project] dependencies lack {', '.join(missing)}")
    return [pins[n] for n in NEEDS]


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in (root / "graders").rglob("*.py") if "__pycache__" not in p.parts)


def _metadata(root: Path) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {DIST}",
        f"Version: {version(root)}",
        "Summary: The course's self-check: a lab notebook's public tests, before you submit.",
        "Requires-Python: >=3.11",
        *(f"Requires-Dist: {r}" for r in requirements(root)),
    ]
    return "\n".join(lines) + "\n"


def _entries(root: Path) -> list[tuple[str, bytes]]:
    info = f"{DIST.replace('-', '_')}-{version(root)}.dist-info"
    files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in _sources(root)]
    files += [
        (f"{info}/METADATA", _metadata(root).encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: mlops-course\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n",
        ),
        (f"{info}/entry_points.txt", f"[console_scripts]\n{SCRIPT}\n".encode()),
    ]
    record = []
    for name, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    return files + [(f"{info}/RECORD", ("\n".join(record) + "\n").encode())]


def content_hash(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for name, data in _entries(root):
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()[:16]


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Write the checker wheel into `out_dir` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / wheel_name(root)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")  # builds at once never share it
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in _entries(root):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    tmp.replace(path)
    return path


def cached_wheel(root: Path = ROOT) -> Path:
    """The wheel for the current sources, built once per content under build/cache/checker/."""
    folder = root / "build" / "cache" / "checker" / content_hash(root)
    path = folder / wheel_name(root)
    return path if path.is_file() else build_wheel(folder, root)


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs hook signature
    from mkdocs.structure.files import File

    wheel = cached_wheel()  # the graders package next to this hook, whatever the docs_dir
    files.append(File.generated(config, f"{DOWNLOAD_DIR}/{wheel.name}", abs_src_path=str(wheel)))
    return files


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python site/hooks/checker_wheel.py OUT_DIR")
    print(build_wheel(Path(sys.argv[1])))
