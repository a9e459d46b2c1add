"""Serve the built course site on 127.0.0.1 until Ctrl-C (standard library only)."""

from __future__ import annotations

import argparse
import errno
import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args()
    if not (args.dir / "index.html").is_file():
        print(f"error: no built site in {args.dir}: run `make site` first", file=sys.stderr)
        return 1
    handler = functools.partial(QuietHandler, directory=str(args.dir))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            hint = f"PORT={args.port + 1} make run"
            print(f"error: port {args.port} is busy: pick another, e.g. {hint}", file=sys.stderr)
            return 1
        raise
    print(f"Serving the course at http://127.0.0.1:{args.port}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
