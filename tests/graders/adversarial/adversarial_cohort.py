"""Build every case's submission into one course, grade the cohort once, collect what happened."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graders.config import GradeConfig
from graders.results import SubmissionResult

from .adversarial_kit import HONEST, NOTEBOOK, Kit

HERE = Path(__file__).parent
CASES = HERE / "cases"
LAB_SOURCE = HERE / "lab" / "source"
LAB = "lab01"
REPO = HERE.parents[2]
# This session's slot uids (set in conftest before any worker starts), unique per session: a
# grader or test session running on the same machine at the same time then neither shares the
# RLIMIT_NPROC of our uids nor can be mistaken for a survivor of this run.
UID_BASE = 100_000 + (os.getpid() % 1000) * 1000

# Short timeouts keep the suite fast yet leave room for a loaded CI machine; the 4 GB and 1 GB
# attacks exceed the memory and file limits by far.
CONFIG = GradeConfig(
    cell_timeout_s=10.0,
    wall_time_s=30.0,
    memory_mb=2048,
    max_procs=64,
    max_file_mb=100,
    max_output_bytes=1 << 20,
    max_notebook_mb=20.0,
)


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "expected.yml").is_file())


def expected(name: str) -> dict[str, Any]:
    return yaml.safe_load((CASES / name / "expected.yml").read_text())


class AnswerServer:
    """A TCP server on the host's loopback that hands out honest answers; counts connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.sock.settimeout(0.5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        code = "\n".join(HONEST[g] for g in HONEST if g.endswith("_answer")).encode()
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            with conn:
                conn.sendall(code)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@dataclass
class Cohort:
    """Everything a case's assertions need after the one cohort run."""

    course: Path
    ctx: dict[str, Any]
    isolating: bool
    backend: str
    results: dict[str, SubmissionResult]
    stored: dict[str, SubmissionResult]
    by_status: dict[str, list[str]]
    wall_s: float
    server_connections: int
    source_hashes: dict[str, str]
    skipped_cases: list[str] = field(default_factory=list)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_make(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"adversarial_case_{name}", CASES / name / "make.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make


def build_course(root: Path, names: list[str], server: AnswerServer) -> dict[str, Any]:
    """Release the lab into ``root`` and write one submission per case."""
    from graders.release import release

    shutil.copytree(LAB_SOURCE, root / "source")
    release(course_dir=root, lab=LAB)
    rel = root / "release" / LAB
    released = json.loads((rel / NOTEBOOK).read_text())
    data = {p.name: p.read_bytes() for p in rel.iterdir() if p.suffix != ".ipynb"}
    ctx = {
        "course": str(root),
        "gradebook": str(root / "gradebook.db"),
        "source_nb": str(root / "source" / LAB / NOTEBOOK),
        "repo": str(REPO),
        "port": server.port,
        "canary": str(root.parent / "trusted-side-canary"),
    }
    for name in names:
        dest = root / "submitted" / name / LAB
        dest.mkdir(parents=True)
        _load_make(name)(Kit(released=released, dest=dest, ctx=ctx, data=data))
    return ctx


def grade_cohort(root: Path, names: list[str], *, isolating: bool) -> Cohort:
    """Build, grade (2 workers), and read back the gradebook."""
    from graders.autograde import autograde
    from graders.gradebook import Gradebook

    server = AnswerServer()
    try:
        ctx = build_course(root, names, server)
        hashes = {p: sha(Path(p)) for p in (ctx["source_nb"],)}
        config = (
            CONFIG if isolating else GradeConfig(**{**CONFIG.__dict__, "allow_unsandboxed": True})
        )
        started = time.monotonic()
        run = autograde(course_dir=root, lab=LAB, workers=2, force=True, config=config)
        wall = time.monotonic() - started
    finally:
        server.close()
    with Gradebook(root / "gradebook.db") as gb:
        stored = {r.student: r for r in gb.results(LAB)}
    return Cohort(
        course=root,
        ctx=ctx,
        isolating=run.isolating,
        backend=run.backend,
        results={r.student: r for r in run.results},
        stored=stored,
        by_status=run.by_status(),
        wall_s=wall,
        server_connections=server.connections,
        source_hashes=hashes,
    )


def live_processes(marker: str) -> list[str]:
    """Live (non-zombie) processes of this suite's slot uids, or working under ``marker``."""
    base = int(os.environ.get("MLOPS_GRADE_SLOT_UID_BASE", UID_BASE))
    uids = range(base, base + 1000)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("State", "").strip().startswith("Z"):
            continue
        if int(fields["Uid"].split()[0]) in uids or cwd.startswith(marker) or marker in cmd:
            found.append(f"{entry.name} uid={fields['Uid'].split()[0]} {cmd[:100]}")
    return found
