"""A local wheelhouse of the images' hashed locks, so image builds need no package index.

The host downloads every wheel a lock pins for the images' interpreter (CPython 3.11 on this
machine's architecture, any 3.11.x: the stand-in base has Debian's 3.11.2, the real base a newer
one, and a lock may pin different versions either side of a point release). Builds then mount the
folder at /mnt and pass `PIP_FIND_LINKS=/mnt PIP_NO_INDEX=1`; `--require-hashes` still checks every
file against the lock, so the images hold exactly what an index build would install.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from podman_engine import run_logged

# Everything the lock's markers may test, for the images' interpreter (Linux, CPython 3.11.x).
IMAGE_ENV = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "python_version": "3.11",
}
POINT_RELEASES = range(0, 30)
BOOKWORM_GLIBC_MINOR = 36  # both bases are Debian 12: glibc 2.36
# Pins PyPI has as source only (dvc → hydra-core/omegaconf → antlr4-python3-runtime 4.9.*): their
# hashed sdist goes into the wheelhouse and the image builds it with the lock's setuptools.
SOURCE_ONLY = ("antlr4-python3-runtime",)
REQUIREMENT = re.compile(
    r"^(?P<pin>[A-Za-z0-9][A-Za-z0-9._-]*==[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$"
)
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    requirement: str  # name==version, marker dropped
    marker: str | None
    hashes: tuple[str, ...]

    @property
    def name(self) -> str:
        return re.sub(r"[-_.]+", "-", self.requirement.split("==")[0]).lower()


def read_pins(lock: Path) -> list[Pin]:
    """The pins of a `--generate-hashes` requirements file, with their markers and hashes."""
    found: list[tuple[str, str | None, list[str]]] = []
    for line in lock.read_text().splitlines():
        if match := REQUIREMENT.match(line):
            found.append((match["pin"], match["marker"], []))
        elif found and (digest := HASH.search(line)):
            found[-1][2].append(digest[1])
    return [Pin(requirement, marker, tuple(hashes)) for requirement, marker, hashes in found]


def for_images(pin: Pin) -> bool:
    """Does the pin apply to a Linux CPython 3.11.x of this machine's architecture?"""
    if pin.marker is None:
        return True
    marker = Marker(pin.marker)
    env = {**IMAGE_ENV, "platform_machine": platform.machine()}
    return any(marker.evaluate({**env, "python_full_version": f"3.11.{n}"}) for n in POINT_RELEASES)


def digests(folder: Path) -> dict[Path, str]:
    """`sha256:<hex>` of every wheel (and source-only sdist) already in `folder`."""
    return {
        path: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in [*folder.glob("*.whl"), *folder.glob("*.tar.gz")]
    }


def requirement_files(locks: list[Path], folder: Path, *, have: set[str]) -> list[Path]:
    """Hashed requirement files (markers dropped) of the pins with no file in `have`, no name
    twice in one file."""
    slots: list[dict[str, Pin]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for lock in locks:
        for pin in filter(for_images, read_pins(lock)):
            if (pin.requirement, pin.hashes) in seen or have.intersection(pin.hashes):
                continue
            seen.add((pin.requirement, pin.hashes))
            slot = next((s for s in slots if pin.name not in s), None)
            if slot is None:
                slots.append(slot := {})
            slot[pin.name] = pin
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n, slot in enumerate(slots):
        lines = [
            f"{p.requirement} " + " ".join(f"--hash={h}" for h in p.hashes) for p in slot.values()
        ]
        path = folder / f"requirements-{n}.txt"
        path.write_text("\n".join(lines) + "\n")
        files.append(path)
    return files


def download_command(requirements: Path, dest: Path) -> list[str]:
    """`pip download` of one requirements file: CPython 3.11 wheels the bookworm glibc can load."""
    machine = platform.machine()
    platforms = [f"manylinux_2_{v}_{machine}" for v in range(BOOKWORM_GLIBC_MINOR, 16, -1)]
    platforms += [f"manylinux{tag}_{machine}" for tag in ("2014", "2010", "1")]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--quiet"]
    cmd += ["--only-binary=:all:", *(f"--no-binary={name}" for name in SOURCE_ONLY)]
    cmd += ["--python-version", "3.11", "--implementation", "cp"]
    cmd += ["--ignore-requires-python"]  # markers chose the pins; some need a newer 3.11.x
    cmd += [arg for tag in platforms for arg in ("--platform", tag)]
    return [*cmd, "-r", str(requirements), "-d", str(dest)]


def fill(locks: list[Path], dest: Path, *, log: Path, timeout: float = 900) -> Path:
    """Every wheel the locks pin for the images, in `dest`: downloads the missing ones and
    deletes those no lock pins any more."""
    wanted = {digest for lock in locks for pin in read_pins(lock) for digest in pin.hashes}
    have = set()
    for path, digest in (digests(dest) if dest.exists() else {}).items():
        if digest in wanted:
            have.add(digest)
        else:
            path.unlink()
    for requirements in requirement_files(locks, dest.with_name(f"{dest.name}-in"), have=have):
        step_log = log.with_name(f"{log.stem}-{requirements.stem}{log.suffix}")
        run_logged(download_command(requirements, dest), step_log, timeout=timeout)
    return dest
