"""Building the two images (stand-in base, wheelhouse, serve then lab): shared by the images
suite's fixtures and `prepare_images.py`, which does the same work in the background while the
rest of the run goes on (tests/background.py)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from container_helpers import DOCKERFILES, LOCKS, ROOT
from podman_engine import Podman
from standin_base import rootfs_tarball
from wheelhouse import fill

LAB, SERVE = "localhost/mlops-course/lab:test", "localhost/mlops-course/serve:test"
BUILD_TIMEOUT = float(os.environ.get("MLOPS_CONTAINER_BUILD_TIMEOUT", "2400"))
STANDIN_BASE = "localhost/mlops-standin-base:bookworm"
CACHE = ROOT / "build" / "containers"


def report(step: str, seconds: float) -> None:
    print(f"container tier 2: {step}: {seconds:.0f} s", flush=True)


def prepare_base(engine: Podman) -> tuple[str, Path | None]:
    """The stand-in base image and the wheelhouse (downloaded while debootstrap runs), or no
    wheelhouse with MLOPS_CONTAINER_INDEX=1: pip then goes to the index, as a learner's build."""

    def wheelhouse() -> Path | None:
        if os.environ.get("MLOPS_CONTAINER_INDEX") == "1":
            return None
        locks = [LOCKS["serve"], LOCKS["lab"]]
        folder = fill(locks, CACHE / "wheelhouse", log=engine.logs / "pip.log")
        report("wheelhouse", time.monotonic() - start)
        return folder

    with ThreadPoolExecutor(1) as pool:
        start = time.monotonic()
        wheels = pool.submit(wheelhouse)
        if not engine.has_image(STANDIN_BASE):
            tarball, cached = rootfs_tarball(CACHE, logs=engine.logs)
            engine.seconds["debootstrap" + (" (cached)" if cached else "")] = (
                time.monotonic() - start
            )
            engine.import_base(tarball, STANDIN_BASE)
        return STANDIN_BASE, wheels.result()


def build(engine: Podman, image: str, base: tuple[str, Path | None]) -> str:
    """Build `image` (SERVE or LAB) on `base`; the lab image reuses the serving image's
    environment layers, so build SERVE first."""
    kind = "serve" if image == SERVE else "lab"
    engine.build(image, DOCKERFILES[kind], ROOT, base[0], wheelhouse=base[1],
                 timeout=BUILD_TIMEOUT)  # fmt: skip
    return image
