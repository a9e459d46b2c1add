"""Tier 2: build both images with podman on a debootstrap stand-in base, then use them.

Runs by default as root with podman/runc/debootstrap (tools/sysdeps.sh installs them);
`MLOPS_CONTAINER_TESTS=0` turns it off; skipped with the reason otherwise. While debootstrap runs,
the host fills a wheelhouse with the locks' wheels, so the builds run with no network (hashes
still checked; `MLOPS_CONTAINER_INDEX=1` builds from the index instead). The serving image is
built first and the lab image reuses its environment layers. The stand-in tarball and the
wheelhouse stay under build/containers/ for the next run. Engine state lives in a temporary
folder (or MLOPS_CONTAINER_STATE, to keep layers between local runs) and every container is
removed at the end. Step times are printed (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import background
import pytest
from container_helpers import LOCKS, ROOT, lock_pins
from container_images import LAB, SERVE, build, prepare_base, report
from podman_engine import Podman, fresh_state, skip_reason

pytestmark = [pytest.mark.containers, pytest.mark.slow]
REASON = skip_reason()
if REASON:  # a skip, or a failure where MLOPS_REQUIRE has containers (tests/tool_requirements.py)
    pytestmark.append(pytest.mark.needs_tool("containers", REASON))

SMOKE_LAB = "lab01_business_to_ml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(url: str, body: dict[str, Any] | None = None, timeout: float = 10) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(url: str, *, seconds: float) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            status, text = http(url, timeout=5)
            if status == 200:
                return status, text
        except OSError:
            status, text = 0, "no answer"
        if time.monotonic() > deadline:
            return status, text
        time.sleep(1)


@pytest.fixture(scope="module")
def engine() -> Iterator[Podman]:
    """The engine, with both images already built when tests/background.py prepared them while
    the run went on (the fixtures below then find every layer cached)."""
    kept = os.environ.get("MLOPS_CONTAINER_STATE")
    prepared = background.work_folder("container-images")
    if kept:
        state = Path(kept)
    elif prepared is not None:
        waited = time.monotonic()
        done = background.result("container-images")
        report("waited for the background build", time.monotonic() - waited)
        report("background build, start to end", done.seconds)  # its step times follow
        print(done.stdout + (f"background build failed (rebuilt here):\n{done.stderr[-2000:]}"
              if done.returncode else ""), flush=True)  # fmt: skip
        state = background.containers_state(prepared)
    else:
        state = fresh_state(Path("/var/tmp"))
    podman = Podman(state)
    try:
        yield podman
    finally:
        for step, seconds in podman.seconds.items():
            report(step, seconds)
        start = time.monotonic()
        if kept:
            podman("rm", "--all", "--force", "--time", "5", timeout=120)
        else:
            podman.destroy()
        report("cleanup", time.monotonic() - start)


@pytest.fixture(scope="module")
def base(engine: Podman) -> tuple[str, Path | None]:
    return prepare_base(engine)


@pytest.fixture(scope="module")
def serve_image(engine: Podman, base: tuple[str, Path | None]) -> str:
    return build(engine, SERVE, base)


@pytest.fixture(scope="module")
def lab_image(engine: Podman, base: tuple[str, Path | None], serve_image: str) -> str:
    """Built after the serving image, whose environment layers it reuses."""
    return build(engine, LAB, base)


def test_serve_container_scores_a_transaction(
    engine: Podman, serve_image: str, tmp_path: Path
) -> None:
    """Does the serving image load a registered model, score, and pass its health check?"""
    models = tmp_path / "models"
    models.mkdir()
    # The image's own sklearn trains the demo model, so the bundle matches the served version.
    train = (
        "from pathlib import Path; from reference_impl.serve.testing import train_demo_model, "
        "write_bundle; write_bundle(Path('/out'), 'v1', train_demo_model('logistic', n=2000))"
    )
    engine.run(serve_image, "python", "-c", train, options=("--network", "none", "--user", "0",
               "-v", f"{models}:/out"))  # fmt: skip
    port, name = free_port(), "mlops-smoke-serve"
    try:
        engine.start(
            name, serve_image, "-p", f"127.0.0.1:{port}:8080",
            "-v", f"{models}:/srv/fraud/models:ro",
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        status, text = wait_for(f"{url}/health/ready", seconds=90)
        assert status == 200, text
        from reference_impl.serve.testing import random_features

        row = random_features(1, seed=3).iloc[0]
        body = {k: (int(v) if float(v).is_integer() else float(v)) for k, v in row.items()}
        status, text = http(f"{url}/v1/score", body)
        assert status == 200, text
        answer = json.loads(text)
        assert 0 <= answer["score"] <= 1 and answer["model_version"] == "v1"
        raw = {"TRANSACTION_ID": 1, "TX_DATETIME": "2026-11-27T10:00:00", "CUSTOMER_ID": 7}
        status, text = http(f"{url}/v1/transactions/score", {**raw, "TERMINAL_ID": 3,
                             "TX_AMOUNT": 42.5})  # fmt: skip
        assert status == 200 and json.loads(text)["transaction_id"] == 1, text
        engine("healthcheck", "run", name, timeout=60)  # exit 0 = healthy
        inspect = json.loads(engine("image", "inspect", serve_image, timeout=60))[0]
        assert "/health/ready" in " ".join(inspect["Healthcheck"]["Test"])
        assert inspect["User"] == "10001:10001"
    finally:
        engine.remove(name)


def test_lab_image_runs_a_lab_notebook_without_network(
    engine: Podman, lab_image: str, tmp_path: Path
) -> None:
    """Does a lab's source notebook run to the end in the lab image with --network=none?"""
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)  # the image's user (uid 1000) writes the executed notebook here
    source = ROOT / "labs" / SMOKE_LAB / f"{SMOKE_LAB}.ipynb"
    engine.run(
        lab_image,
        "jupyter", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=300", "--output-dir", "/out", "--output", "executed",
        f"/mnt/{source.name}",
        options=("--network", "none", "-v", f"{source}:/mnt/{source.name}:ro",
                 "-v", f"{out}:/out"),
        timeout=600,
    )  # fmt: skip
    executed = json.loads((out / "executed.ipynb").read_text())
    errors = [
        o
        for cell in executed["cells"]
        for o in cell.get("outputs", [])
        if o["output_type"] == "error"
    ]
    assert not errors, errors[:1]


def test_lab_image_ships_released_labs_only(engine: Podman, lab_image: str) -> None:
    """Are the learner's labs student versions (no solution, no hidden test), owned by uid 1000?"""
    script = (
        "set -e; id -u; ls /home/jovyan/labs; "
        "! grep -rlE 'BEGIN (SOLUTION|HIDDEN TESTS)' /home/jovyan /etc/jupyter /opt/venv/etc; "
        "find / -xdev -name 'lab[0-9]*.ipynb' -not -path '/home/jovyan/labs/*' | grep . && exit 1; "
        "stat -c %u /home/jovyan/labs/*/*.ipynb | sort -u; "
        "runuser -u jovyan -- jupyterhub-singleuser --version"
    )
    options = ("--network", "none", "--user", "0")  # root to search every folder
    lines = engine.run(lab_image, "bash", "-c", script, options=options).split()
    labs = sorted(p.name for p in (ROOT / "labs").glob("lab*/") if p.is_dir())
    assert lines[0] == "0"
    assert "1000" in engine.run(lab_image, "id", "-u", options=("--network", "none")).split()
    assert all(lab in lines for lab in labs), (labs, lines)
    hub = dict(lock_pins(LOCKS["lab"]))["jupyterhub"][0][0]
    assert lines[-2:] == ["1000", hub], lines[-4:]


def test_lab_container_answers_as_jupyterlab(engine: Podman, lab_image: str) -> None:
    """Does the image's default command serve JupyterLab, with nbgrader's learner views only?"""
    port, name = free_port(), "mlops-smoke-lab"
    try:
        engine.start(name, lab_image, "-p", f"127.0.0.1:{port}:8888", "-e", "JUPYTER_TOKEN=smoke")
        status, text = wait_for(f"http://127.0.0.1:{port}/api/status?token=smoke", seconds=120)
        assert status == 200, text
        status, page = http(f"http://127.0.0.1:{port}/lab?token=smoke")
        assert status == 200 and "JupyterLab" in page
        listing = engine("exec", name, "jupyter", "labextension", "list", timeout=120)
        assert "@jupyter/nbgrader" in listing
        disabled = listing.split("Disabled extensions:")[-1]
        assert "formgrader" in disabled and "create-assignment" in disabled, listing
    finally:
        engine.remove(name)
