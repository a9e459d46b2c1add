"""Build the stand-in base and both images into an engine state folder, as the images suite's
fixtures would (`python tests/containers/prepare_images.py --state DIR`). tests/background.py
runs it while the rest of the run goes on; the suite then finds every layer built."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from container_images import LAB, SERVE, build, prepare_base, report  # noqa: E402
from podman_engine import Podman  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="the engine state folder")
    args = parser.parse_args(argv)
    engine = Podman(args.state)
    start = time.monotonic()
    base = prepare_base(engine)
    build(engine, SERVE, base)
    build(engine, LAB, base)
    for step, seconds in engine.seconds.items():
        report(step, seconds)
    report("prepared in the background", time.monotonic() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
