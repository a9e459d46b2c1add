"""Check the machine before set-up: one clear line per problem instead of a traceback later.

Uses the standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import errno
import shutil
import socket
import subprocess
import sys
import tempfile


def problems(port: int | None, need_npm: bool) -> list[str]:
    found: list[str] = []
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under any python3
        found.append(
            f"Python {sys.version_info.major}.{sys.version_info.minor} found; 3.11+ is needed "
            "(run with PYTHON=/path/to/python3.11 make ...)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        venv = subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", f"{tmp}/v"],
            capture_output=True,
            check=False,
        )
    if venv.returncode != 0:
        found.append(
            "python venv module unusable: install it (Debian: apt-get install -y python3-venv)"
        )
    if need_npm and shutil.which("npm") is None:
        found.append(
            "npm not found: install Node.js 20+ with npm (Debian: apt-get install -y nodejs npm); "
            "it vendors the site's browser assets"
        )
    if port is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    found.append(
                        f"port {port} is busy on 127.0.0.1: stop what uses it or pick another "
                        f"port, e.g. PORT={port + 1} make run"
                    )
                else:
                    found.append(f"cannot bind 127.0.0.1:{port}: {exc.strerror}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=None, help="check that this port is free")
    parser.add_argument("--need-npm", action="store_true", help="require npm on PATH")
    args = parser.parse_args()
    found = problems(args.port, args.need_npm)
    for line in found:
        print(f"error: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
