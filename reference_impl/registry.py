"""Model registry: the candidate, exported versions, the champion and a record of promotions.

Models are saved with skops (`reference_impl.artifacts`: no pickle, trusted types only)::

    build/models/candidate/            the release candidate of `fraud train` (+ train.json)
    build/models/v001/model.skops      an exported version: the estimator
    build/models/v001/metadata.json    sha256, feature schema, metrics, versions, its release role
    build/models/v001/model_card.md    the generated model card
    build/models/CHAMPION              "v001": the version in production (the service loads it)
    build/models/history.jsonl         one line per registration and per promotion, with reasons

A registered version is a *challenger* until promoted. `register` promotes it only when the
release decision (`reference_impl.release`) says so; `promote` is the explicit step otherwise.
Every directory and pointer is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from reference_impl import atomic, model_card, schemas, tracking
from reference_impl.artifacts import UntrustedModelError, load_model, save_model, sha256_of
from reference_impl.errors import GateFailed, InvalidInputError, MissingInputError

CANDIDATE_META = "train.json"
MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "model_card.md"
CHAMPION = "CHAMPION"
HISTORY = "history.jsonl"


def save_candidate(model: Any, meta: dict[str, Any], out_dir: Path) -> Path:
    """Write a candidate (model.skops + train.json with the model's sha256), atomically."""
    with atomic.atomic_directory(out_dir) as tmp:
        sha = save_model(model, tmp / MODEL_FILE)
        full = {**meta, "model_file": MODEL_FILE, "model_sha256": sha}
        atomic.write_json(tmp / CANDIDATE_META, full)
    return out_dir


def load_candidate(
    directory: Path | str, *, command: str = "fraud train"
) -> tuple[Any, dict[str, Any]]:
    """The candidate model and its train.json (the model's sha256 is verified).

    Raises:
        MissingInputError: no candidate in `directory` (run `command`).
    """
    directory = Path(directory)
    meta_path = directory / CANDIDATE_META
    if not meta_path.is_file():
        raise MissingInputError(f"no trained candidate at {directory} (run `{command}` first)")
    meta = json.loads(meta_path.read_text())
    return load_model(directory / meta["model_file"], sha256=meta["model_sha256"]), meta


class SystemHook(Protocol):
    """What a reference system contributes to a registered version: the fields of its
    metadata.json (the serving bundle reads them), its model card and its MLflow description.
    The registry itself (versions, hashes, champion, history, MLflow) is the same for all."""

    @property
    def train_command(self) -> str:
        """The command that makes a candidate (named when there is none)."""
        ...

    @property
    def experiment(self) -> str:
        """The MLflow experiment its training runs are in (the model card is added there)."""
        ...

    def metadata(
        self,
        model: Any,
        meta: dict[str, Any],
        evaluation: dict[str, Any],
        release: dict[str, Any],
        model_name: str,
        version: str,
        mlflow_version: str | None,
    ) -> dict[str, Any]:
        """The version's metadata.json."""
        ...

    def card(self, meta: dict[str, Any], evaluation: dict[str, Any], export: dict[str, Any]) -> str:
        """The version's model card (Markdown)."""
        ...

    def summary(self, meta: dict[str, Any], evaluation: dict[str, Any]) -> str:
        """One paragraph for the MLflow registry's version description."""
        ...


class FraudHook:
    """The fraud system's fields (`_metadata`, `model_card.render`, `model_card.summary`)."""

    train_command = "fraud train"
    experiment = tracking.EXPERIMENT

    def metadata(self, *args: Any) -> dict[str, Any]:
        """The fraud metadata.json (`_metadata`)."""
        return _metadata(*args)

    def card(self, meta: dict[str, Any], evaluation: dict[str, Any], export: dict[str, Any]) -> str:
        """The fraud model card."""
        return model_card.render(meta, evaluation, export)

    def summary(self, meta: dict[str, Any], evaluation: dict[str, Any]) -> str:
        """The fraud MLflow description."""
        return model_card.summary(meta, evaluation)


FRAUD = FraudHook()


@dataclass(frozen=True)
class Registration:
    """Where a model version was published and whether it became the champion."""

    name: str
    version: str
    directory: Path
    model_sha256: str
    mlflow_version: str | None
    run_id: str | None
    champion: str | None  # the champion after registering (this version when promoted)

    @property
    def promoted(self) -> bool:
        """True when this version is now the champion."""
        return self.champion == self.version

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {**asdict(self), "directory": str(self.directory), "promoted": self.promoted}


def _next_version(models_dir: Path) -> str:
    """`v001`, `v002`, …: zero-padded so that sorting by name is sorting by version."""
    taken = [int(p.name[1:]) for p in models_dir.glob("v*") if p.name[1:].isdigit()]
    return f"v{max(taken, default=0) + 1:03d}"


def _record(models_dir: Path, event: dict[str, Any]) -> None:
    path = models_dir / HISTORY
    old = path.read_text() if path.is_file() else ""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    atomic.write_text(path, old + json.dumps({"at": stamp, **event}, sort_keys=True) + "\n")


def history(models_dir: Path | str) -> list[dict[str, Any]]:
    """Registrations and promotions, oldest first."""
    path = Path(models_dir) / HISTORY
    lines = path.read_text().splitlines() if path.is_file() else []
    return [json.loads(line) for line in lines if line.strip()]


def register(
    candidate_dir: Path | str,
    evaluation: dict[str, Any],
    release: dict[str, Any],
    *,
    models_dir: Path | str,
    tracking_uri: str | None = None,
    model_name: str = "fraud-detector",
    hook: SystemHook = FRAUD,
) -> Registration:
    """Publish a candidate as a new version; promote it when the release decision says so.

    Args:
        candidate_dir: output of `fraud train` (model.skops + train.json).
        evaluation: the evaluation report (evaluation.json of `fraud evaluate`).
        release: the release decision (`ReleaseDecision.to_dict()`): promote or challenger.
        models_dir: where versions are exported (``v<N>/``, ``CHAMPION``, ``history.jsonl``).
        tracking_uri: MLflow store; None = export only (no MLflow registry entry).
        model_name: registered model name.
        hook: the system's metadata fields and model card (fraud by default).

    Raises:
        GateFailed: the evaluation failed its floors or the release decision is reject.
        InvalidInputError: the evaluation belongs to another candidate.
        MissingInputError: no candidate in `candidate_dir`.
    """
    model, meta = load_candidate(candidate_dir, command=hook.train_command)
    gate = evaluation.get("gate", {})
    if not gate.get("passed"):
        reasons = "; ".join(gate.get("reasons", [])) or "no gate result in the evaluation"
        raise GateFailed(f"refusing to register a model that failed its gate: {reasons}")
    if release.get("decision") not in ("promote", "challenger"):
        raise GateFailed(f"refusing to register a rejected candidate: {release.get('reasons')}")
    if evaluation.get("model_sha256") != meta["model_sha256"]:
        raise InvalidInputError(
            "the evaluation report belongs to another candidate (sha256 differs)"
        )
    models_dir = Path(models_dir)
    mlflow_version = _register_mlflow(meta, evaluation, tracking_uri, model_name, hook)
    version = _next_version(models_dir)
    metadata = hook.metadata(model, meta, evaluation, release, model_name, version, mlflow_version)
    card = hook.card(meta, evaluation, metadata)
    if tracking_uri and meta.get("run_id"):  # before the version exists: a failure leaves none
        tracking.log_to_run(
            tracking_uri, meta["run_id"], texts={"model_card.md": card}, experiment=hook.experiment
        )
    with atomic.atomic_directory(models_dir / version, mode=0o755) as tmp:
        shutil.copy2(Path(candidate_dir) / meta["model_file"], tmp / MODEL_FILE)
        if sha256_of(tmp / MODEL_FILE) != meta["model_sha256"]:
            raise UntrustedModelError("model file changed while copying")
        atomic.write_json(tmp / METADATA_FILE, metadata)
        atomic.write_text(tmp / CARD_FILE, card)
    _record(models_dir, {"event": "registered", "version": version, "release": release})
    champion = champion_version(models_dir)
    if release["decision"] == "promote":
        champion = promote(
            models_dir,
            version,
            reason="; ".join(release.get("reasons", [])),
            tracking_uri=tracking_uri,
            model_name=model_name,
        ).version
    return Registration(
        name=model_name,
        version=version,
        directory=models_dir / version,
        model_sha256=meta["model_sha256"],
        mlflow_version=mlflow_version,
        run_id=meta.get("run_id"),
        champion=champion,
    )


def _metadata(
    model: Any,
    meta: dict[str, Any],
    evaluation: dict[str, Any],
    release: dict[str, Any],
    model_name: str,
    version: str,
    mlflow_version: str | None,
) -> dict[str, Any]:
    # Key names are the serving bundle's contract (reference_impl/serve/bundle.py).
    return {
        "name": model_name,
        "version": version,
        "artifact": MODEL_FILE,
        "sha256": meta["model_sha256"],
        "format": "skops",
        "features": meta["feature_columns"],
        "request_columns": list(schemas.REQUEST_COLUMNS),
        "label": schemas.LABEL,
        "library_versions": tracking.library_versions(),
        "threshold": meta["threshold"],
        "threshold_policy": meta["threshold_policy"],
        "alerts_per_day": evaluation.get("operating_point", {}).get("alerts_per_day"),
        "label_delay_days": meta.get("split", {}).get("delay_days", schemas.DEFAULT_DELAY_DAYS),
        "family": meta["family"],
        "params": meta["params"],
        "pipeline_steps": [type(step).__name__ for _, step in getattr(model, "steps", [])],
        "data_hash": meta["data_hash"],
        "train_days": meta["train_days"],
        "metrics": evaluation.get("headline", {}),
        "gate": evaluation.get("gate", {}),
        "release": release,
        "mlflow": {
            "registered_version": mlflow_version,
            "run_id": meta.get("run_id"),
            "model_uri": meta.get("model_uri"),
        },
    }


@dataclass(frozen=True)
class Promotion:
    """A change of champion, as recorded in the history."""

    version: str
    previous: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def promote(
    models_dir: Path | str,
    version: str,
    *,
    reason: str,
    tracking_uri: str | None = None,
    model_name: str = "fraud-detector",
) -> Promotion:
    """Make `version` the champion (the version the service loads); record who it replaced and why.

    Raises:
        MissingInputError: no such registered version.
        InvalidInputError: no reason given.
    """
    models_dir = Path(models_dir)
    if not (models_dir / version / METADATA_FILE).is_file():
        raise MissingInputError(f"no registered version {version!r} in {models_dir}")
    if not reason.strip():
        raise InvalidInputError("a promotion needs a reason (it is recorded in the history)")
    previous = champion_version(models_dir)
    atomic.write_text(models_dir / CHAMPION, version + "\n")
    _record(
        models_dir,
        {"event": "promoted", "version": version, "previous": previous, "reason": reason},
    )
    mlflow_version = json.loads((models_dir / version / METADATA_FILE).read_text())["mlflow"][
        "registered_version"
    ]
    if tracking_uri and mlflow_version:
        client = tracking.mlflow_client(tracking_uri).MlflowClient()
        client.set_registered_model_alias(model_name, "champion", mlflow_version)
    return Promotion(version=version, previous=previous, reason=reason)


def _register_mlflow(
    meta: dict[str, Any],
    evaluation: dict[str, Any],
    tracking_uri: str | None,
    model_name: str,
    hook: SystemHook,
) -> str | None:
    run_id = meta.get("run_id")
    if not (tracking_uri and run_id):
        return None
    mlflow = tracking.mlflow_client(tracking_uri, hook.experiment)
    tags = {
        "data_hash": meta["data_hash"],
        "family": meta["family"],
        "model_sha256": meta["model_sha256"],
        "feature_schema": json.dumps(meta["feature_columns"]),
        "threshold": str(meta["threshold"]),
        **{f"metric.{k}": f"{v:.4f}" for k, v in evaluation.get("headline", {}).items()},
        **{f"version.{k}": v for k, v in tracking.library_versions().items()},
    }
    mv = mlflow.register_model(
        meta.get("model_uri") or f"runs:/{run_id}/model", model_name, tags=tags
    )
    mlflow.MlflowClient().update_model_version(
        model_name, mv.version, description=hook.summary(meta, evaluation)
    )
    return str(mv.version)


def champion_version(models_dir: Path | str) -> str | None:
    """Name of the champion version, or None when nothing was promoted yet."""
    pointer = Path(models_dir) / CHAMPION
    return pointer.read_text().strip() if pointer.is_file() else None


def champion_dir(models_dir: Path | str, *, cli: str = "fraud") -> Path:
    """Directory of the champion (`cli`: the command that registers these models, for the
    error).

    Raises:
        MissingInputError: nothing promoted yet.
    """
    name = champion_version(models_dir)
    if name is None:
        raise MissingInputError(f"no champion in {models_dir} (run `{cli} register`)")
    return Path(models_dir) / name


def load_registered(directory: Path | str) -> tuple[Any, dict[str, Any]]:
    """Model and metadata of an exported version, with the sha256 verified."""
    directory = Path(directory)
    metadata = json.loads((directory / METADATA_FILE).read_text())
    model = load_model(directory / metadata["artifact"], sha256=metadata["sha256"])
    return model, metadata
