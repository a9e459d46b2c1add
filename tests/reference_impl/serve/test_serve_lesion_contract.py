"""The image route against its OpenAPI document: schemathesis on a live server (multipart).

Same command as `test_serve_contract.py` (`schemathesis run <url>/openapi.json --checks all`),
limited to the lesion operations of an app serving the tiny registered lesion model, with a
fixed seed and a few examples (`SERVE_FUZZ_EXAMPLES` for more: `make fuzz-serve` runs 500, with
the fraud routes). Every check runs but `positive_data_acceptance`: the schema of the upload is "a
binary string", which any bytes satisfy, while the route must refuse bytes that are not a
usable photograph (415/422) — the hand-made images of `test_serve_lesion.py` cover acceptance.
A 5xx, an undeclared status or content type, a response off its schema, or an invalid request
accepted fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reference_impl.lesion.config import LesionSettings
from reference_impl.serve.app import create_app
from reference_impl.serve.server import running
from reference_impl.serve.settings import ServeSettings
from reference_impl.serve.testing import write_bundle

SEED = 20
EXAMPLES = int(os.environ.get("SERVE_FUZZ_EXAMPLES") or 25)
# The lesion operations of the app's own OpenAPI document (building it loads no model).
_PATHS = create_app(ServeSettings(lesion_models_dir=Path("unused"))).openapi()["paths"]
OPERATIONS = sum(len(ops) for path, ops in _PATHS.items() if path.startswith("/v1/lesion/"))


def schemathesis_run(url: str, workdir: Path) -> tuple[int, str]:
    """The schemathesis CLI on the lesion operations of `url`: exit code and output."""
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
        "--include-path-regex", "^/v1/lesion/",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED),
        "--workers", "1", "--generation-database", "none", "--no-color",
        "--suppress-health-check", "all",  # they judge the generator's speed, not the API
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=120 + 2 * EXAMPLES
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def live_url(
    tmp_path_factory: pytest.TempPathFactory, demo_model: Any, lesion_registered: LesionSettings
) -> Iterator[str]:
    models: Path = tmp_path_factory.mktemp("fraud_registry")
    write_bundle(models, "v1", demo_model)
    settings = ServeSettings(
        models_dir=models,
        lesion_models_dir=lesion_registered.models_dir,
        log_requests=False,
        log_level="CRITICAL",
    )
    with running(create_app(settings)) as url:
        yield url


@pytest.mark.slow
def test_image_route_honours_its_openapi_contract(live_url: str, tmp_path: Path) -> None:
    """Does the image route answer schemathesis' multipart uploads as documented, never 5xx?"""
    code, output = schemathesis_run(live_url, tmp_path)
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-4000:]
    print(f"schemathesis seed {SEED}:\n{summary}")
    assert code == 0, f"schemathesis failed (seed {SEED}):\n{output[-12000:]}"
    assert f"Tested: {OPERATIONS}" in output, summary  # every lesion operation was fuzzed
    generated = re.search(r"^\s*(\d+) generated", output, re.MULTILINE)
    assert generated and int(generated.group(1)) >= EXAMPLES, summary
