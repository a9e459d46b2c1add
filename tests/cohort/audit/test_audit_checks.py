"""cohort.audit checks: what each rubric item needs for level 0, 1 and 2, on tiny repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cohort.audit import audit_repo
from cohort.audit.rubric import ITEMS, mlops_level

DVC_TWO_STAGES = "stages:\n  a:\n    cmd: python a.py\n  b:\n    cmd: python b.py\n"


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def suite(n: int) -> str:
    return "".join(f"def test_{k}():\n    assert True\n" for k in range(n))


RAN = {"dvc.lock": "schema: '2.0'\nstages: {}\n"}  # a pipeline run leaves its lock
CI_TESTS = "jobs:\n  t:\n    steps:\n      - run: pytest\n"
TIME_SPLIT = "def time_split(frame, *, time_column): ...\n"
CHAMPION_GATE = "def gate(kpi, champion):\n    return kpi <= champion  # threshold\n"
CASES = [
    # (item, files, expected level)
    ("pipeline", {"notebook.py": "x = 1\n"}, 0),
    ("pipeline", {"Makefile": "train:\n\tpython train.py\n"}, 1),
    ("pipeline", {"dvc.yaml": DVC_TWO_STAGES}, 1),  # declared, never run
    ("pipeline", {"dvc.yaml": DVC_TWO_STAGES, **RAN}, 2),
    ("pipeline", {"dvc.yaml": DVC_TWO_STAGES, "reports/metrics.json": "{}"}, 2),
    ("data_validation", {"src/p/validate.py": "def check(df): ...\n"}, 1),
    ("data_validation", {"src/p/schema.py": "", "tests/data/test_contract.py": suite(1)}, 1),
    (
        "data_validation",
        {
            "src/p/schema.py": "",
            "tests/data/test_contract.py": suite(1),
            "dvc.yaml": "stages:\n  validate:\n    cmd: p validate\n",
        },
        2,
    ),
    ("evaluation", {"src/train.py": "train_test_split(x, y)\n"}, 0),
    ("evaluation", {"src/train.py": TIME_SPLIT}, 1),
    ("evaluation", {"src/train.py": TIME_SPLIT, "src/evaluate.py": CHAMPION_GATE}, 2),
    (
        "evaluation",  # a random split next to the time-aware one still costs the point
        {
            "src/split.py": TIME_SPLIT,
            "src/cv.py": "KFold(5, shuffle=True)\n",
            "src/evaluate.py": CHAMPION_GATE,
        },
        1,
    ),
    (
        "evaluation",  # an ML metric against a number: no point for the gate, champion or not
        {"src/split.py": TIME_SPLIT, "src/evaluate.py": CHAMPION_GATE + "ok = auc >= 0.70\n"},
        1,
    ),
    ("evaluation", {"src/split.py": "train_test_split(x, y, shuffle=False)\n"}, 1),
    ("model_tests", {"tests/model/test_behaviour.py": suite(1)}, 1),
    (
        "model_tests",
        {"tests/model/test_m.py": suite(1), "src/evaluate.py": "if auc >= threshold: ok\n"},
        2,
    ),
    (
        "model_tests",  # a model test with no assertion passes whatever the model does
        {
            "tests/model/test_m.py": suite(1) + "def test_hollow():\n    train()\n",
            "src/evaluate.py": "if auc >= threshold: ok\n",
        },
        1,
    ),
    ("experiment_tracking", {"train.py": "import mlflow\n"}, 1),
    ("experiment_tracking", {"train.py": "import mlflow\nmlflow.log_metric('auc', 0.9)\n"}, 1),
    (
        "experiment_tracking",
        {
            "train.py": "import mlflow\nmlflow.log_metric('auc', 0.9)\n",
            "reports/experiments.csv": "run,C,kpi\na,1,0.5\nb,10,0.4\n",
        },
        2,
    ),
    ("experiment_tracking", {"tests/test_t.py": "import mlflow\nmlflow.log_metric('a', 1)\n"}, 0),
    ("model_registry", {"train.py": "import joblib\njoblib.dump(model, 'm.joblib')\n"}, 1),
    ("model_registry", {"src/p/registry.py": "def register(model): ...\n"}, 1),
    (
        "model_registry",
        {
            "src/p/registry.py": "def register(model): ...\n",
            "models/registry/v1/metadata.json": '{"data_sha256": "ab"}',
        },
        2,
    ),
    ("reproducibility", {"train.py": "fit(random_state=42)\n"}, 1),
    ("reproducibility", {"requirements.txt": "pandas\nnumpy==2.0\n", "train.py": "x = 1\n"}, 0),
    ("reproducibility", {"requirements.txt": "pandas==2.2.2\n", "train.py": "x = 1\n"}, 1),
    ("reproducibility", {"uv.lock": "", "params.yaml": "seed: 7\n"}, 1),
    ("reproducibility", {"uv.lock": "", "params.yaml": "seed: 7\n", **RAN}, 2),
    (
        "reproducibility",
        {"docker/serve.lock": "a==1 \\\n    --hash=sha256:0\n", "p.yaml": "seed: 1", **RAN},
        2,
    ),
    ("reproducibility", {"docker/serve.lock": "a>=1\n", "p.yaml": "seed: 1"}, 1),
    ("tests", {"tests/test_a.py": suite(3)}, 1),
    ("tests", {"tests/code/test_a.py": suite(6), "tests/data/test_b.py": suite(5)}, 1),  # not run
    ("ci", {".gitlab-ci.yml": "build:\n  script: echo hi\n"}, 1),
    ("ci", {".github/workflows/ci.yml": CI_TESTS}, 2),
    ("serving", {"Dockerfile": "FROM python:3.11\n"}, 1),
    ("serving", {"docker/serve.Dockerfile": "FROM python\n", "app.py": "import fastapi\n"}, 1),
    (
        "serving",
        {
            "Dockerfile": "FROM python\n",
            "app.py": "from fastapi import FastAPI\n",
            "tests/test_api.py": "from fastapi.testclient import TestClient\n",
        },
        2,
    ),
    ("monitoring", {"drift.py": "def detect_drift(ref, cur): ...\n"}, 1),
    ("monitoring", {"src/drift.py": "", "params.yaml": "monitor:\n  psi: 0.2\n"}, 1),
    (
        "monitoring",
        {
            "src/drift.py": "",
            "params.yaml": "monitor:\n  psi: 0.2\n",
            "reports/drift.json": "{}",
        },
        2,
    ),
    ("monitoring", {"simulate.py": "rows = add_drift(rows)\n"}, 0),
    ("model_card", {"README.md": "x"}, 0),
    ("model_card", {"docs/model_card.md": "# Card\n- Intended use:\n- Data: ours\n"}, 1),
    ("model_card", {"docs/model_card.md": "# Card\n- Intended use: triage\n- Data: ours\n"}, 2),
    ("model_card", {"docs/model_card.md": "# Card\n- Intended use: TODO\n"}, 1),
]


@pytest.mark.parametrize(("item", "files", "expected"), CASES)
def test_item_level(tmp_path: Path, item: str, files: dict[str, str], expected: int) -> None:
    """Does each item reach exactly the level its evidence deserves?"""
    result = audit_repo(path=make_repo(tmp_path, files))
    found = next(i for i in result.items if i.id == item)
    assert found.level == expected, (found.evidence, found.missing)
    assert found.evidence if expected else found.missing


def test_bare_repo_scores_low(tmp_path: Path) -> None:
    """A notebook, a README and unpinned requirements: level 0 and almost no points."""
    repo = make_repo(
        tmp_path,
        {
            "README.md": "# Our model\nWe use mlflow and docker (one day).\n",
            "analysis.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
            "requirements.txt": "pandas\nscikit-learn\n",
        },
    )
    result = audit_repo(path=repo)
    assert result.mlops_level == 0
    assert result.points == 0, [(i.id, i.evidence) for i in result.items if i.level]


def test_the_audits_own_rules_are_not_evidence(tmp_path: Path) -> None:
    """A repo holding only a copy of the audit's code (every pattern it looks for) scores 0."""
    shutil.copytree(Path(__file__).resolve().parents[3] / "cohort" / "audit", tmp_path / "audit")
    result = audit_repo(path=tmp_path)
    assert result.points == 0, [(i.id, i.evidence) for i in result.items if i.level]


def test_generated_folders_and_templates_are_skipped(tmp_path: Path) -> None:
    """Files under .venv/ or in a copier template folder are not the project's evidence."""
    make_repo(tmp_path, {".venv/lib/app.py": "from fastapi import FastAPI\n"})
    make_repo(tmp_path, {"tpl/copier.yml": "", "tpl/Dockerfile": "FROM python\n"})
    result = audit_repo(path=tmp_path)
    assert result.points == 0 and result.skipped == ["tpl"]


def test_mlops_level_rule() -> None:
    """L1 needs all L1 items partial and the pipeline declared; L2 adds CI running the tests."""
    all_full = {i.id: 2 for i in ITEMS}
    assert mlops_level(all_full) == 2
    assert mlops_level(all_full | {"pipeline": 1}) == 0
    assert mlops_level(all_full | {"ci": 1}) == 1
    assert mlops_level(all_full | {"monitoring": 0}) == 1
    assert mlops_level(all_full | {"evaluation": 0}) == 0
    assert mlops_level(all_full | {"model_registry": 0}) == 0


def test_links_out_of_the_repo_are_not_read(tmp_path: Path) -> None:
    """A symlink to a file outside the repository is listed but never read as evidence."""
    outside = make_repo(tmp_path / "outside", {"ci.yml": "steps:\n  - run: pytest\n"})
    repo = make_repo(tmp_path / "repo", {"README.md": "x"})
    (repo / ".gitlab-ci.yml").symlink_to(outside / "ci.yml")
    ci = next(i for i in audit_repo(path=repo).items if i.id == "ci")
    assert ci.level == 1  # the file exists, its content (pytest) was not read


def test_records_the_audited_commit(tmp_path: Path) -> None:
    """Is the commit HEAD points to recorded (loose ref, packed ref), and None outside git?"""
    sha = "a" * 40
    assert audit_repo(path=tmp_path).commit is None
    make_repo(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": sha + "\n"})
    assert audit_repo(path=tmp_path).commit == sha
    (tmp_path / ".git/refs/heads/main").unlink()
    (tmp_path / ".git/packed-refs").write_text(f"# pack-refs\n{'b' * 40} refs/heads/main\n")
    assert audit_repo(path=tmp_path).commit == "b" * 40


def test_bulk_data_folders_are_skipped_not_fatal(tmp_path: Path) -> None:
    """A folder of thousands of images is skipped (and said so), the rest is still audited."""
    images = tmp_path / "data" / "images"
    images.mkdir(parents=True)
    for k in range(2_001):
        (images / f"{k}.png").touch()
    make_repo(tmp_path, {"Dockerfile": "FROM python\n"})
    result = audit_repo(path=tmp_path)
    assert result.skipped == ["data/images"]
    assert next(i for i in result.items if i.id == "serving").level == 1
