"""Register: store models safely, publish them to the MLflow registry and as a plain directory.

Models are saved with skops (no pickle: loading executes no code) and loaded back only if every
type they contain comes from scikit-learn, numpy or this package. A version is exported as::

    build/models/v001/model.skops      the estimator
    build/models/v001/metadata.json    sha256 of model.skops, feature schema, metrics, versions
    build/models/v001/model_card.md    the generated model card
    build/models/LATEST                "v001": the newest version (names sort by version)

Each directory is written under a temporary name and renamed into place; `LATEST` is replaced
atomically last, so a reader never sees a half-written version.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference_impl import model_card, schemas, tracking

# Our own transformers (reference_impl.train.AmountRatios) are installed code, not file content.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "reference_impl.")
LATEST = "LATEST"
MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "model_card.md"


class UntrustedModelError(ValueError):
    """A model file holds a type outside scikit-learn/numpy, or its hash does not match."""


def sha256_of(path: Path | str) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def untrusted_types_of(model: Any) -> list[str]:
    """Types skops would ask to trust when loading `model` (e.g. tree structures)."""
    import skops.io as sio

    return list(sio.get_untrusted_types(data=sio.dumps(model)))


def save_model(model: Any, path: Path | str) -> str:
    """Save with skops to `path` (temp file, then rename); return its sha256."""
    import skops.io as sio

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        sio.dump(model, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return sha256_of(path)


def load_model(path: Path | str, *, sha256: str | None = None) -> Any:
    """Load a skops model, trusting only scikit-learn and numpy types.

    Raises:
        FileNotFoundError: no file at `path`.
        UntrustedModelError: the hash differs from `sha256`, or a type is not trusted.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    if sha256 is not None and sha256_of(path) != sha256:
        raise UntrustedModelError(f"{path} does not match its recorded sha256 (file altered?)")
    types = sio.get_untrusted_types(file=path)
    bad = [t for t in types if not t.startswith(TRUSTED_PREFIXES)]
    if bad:
        raise UntrustedModelError(f"{path} holds untrusted types: {', '.join(bad)}")
    return sio.load(path, trusted=types)


@dataclass(frozen=True)
class Registration:
    """Where a model version was published."""

    name: str
    version: str
    directory: Path
    model_sha256: str
    mlflow_version: str | None
    run_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {**self.__dict__, "directory": str(self.directory)}


def _next_version(models_dir: Path) -> str:
    """`v001`, `v002`, …: zero-padded so that sorting by name is sorting by version."""
    taken = [int(p.name[1:]) for p in models_dir.glob("v*") if p.name[1:].isdigit()]
    return f"v{max(taken, default=0) + 1:03d}"


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def register(
    candidate_dir: Path | str,
    evaluation: dict[str, Any],
    *,
    models_dir: Path | str,
    tracking_uri: str | None = None,
    model_name: str = "fraud-detector",
) -> Registration:
    """Publish a candidate that passed the evaluation gate (MLflow registry + plain directory).

    Args:
        candidate_dir: output of `fraud train` (model.skops + train.json).
        evaluation: the evaluation report (evaluation.json of `fraud evaluate`).
        models_dir: where versions are exported (``v<N>/`` and ``LATEST``).
        tracking_uri: MLflow store; None = export only (no MLflow registry entry).
        model_name: registered model name.

    Raises:
        ValueError: the evaluation did not pass its gate, or belongs to another candidate.
        FileNotFoundError: no candidate in `candidate_dir`.
    """
    from reference_impl.train import load_candidate

    model, meta = load_candidate(candidate_dir)
    gate = evaluation.get("gate", {})
    if not gate.get("passed"):
        reasons = "; ".join(gate.get("reasons", [])) or "no gate result in the evaluation"
        raise ValueError(f"refusing to register a model that failed its gate: {reasons}")
    if evaluation.get("model_sha256") != meta["model_sha256"]:
        raise ValueError("the evaluation report belongs to another candidate (sha256 differs)")
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    mlflow_version = None
    if tracking_uri:
        mlflow_version = _register_mlflow(meta, evaluation, tracking_uri, model_name)
    version = _next_version(models_dir)
    # Key names are the serving bundle's contract (reference_impl/serve/bundle.py).
    metadata = {
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
        "mlflow": {
            "registered_version": mlflow_version,
            "run_id": meta.get("run_id"),
            "model_uri": meta.get("model_uri"),
        },
    }
    card = model_card.render(meta, evaluation, metadata)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=models_dir))
    try:
        shutil.copy2(Path(candidate_dir) / meta["model_file"], tmp / MODEL_FILE)
        if sha256_of(tmp / MODEL_FILE) != meta["model_sha256"]:
            raise UntrustedModelError("model file changed while copying")
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
        (tmp / CARD_FILE).write_text(card)
        tmp.rename(models_dir / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_text_atomic(models_dir / LATEST, version + "\n")
    if tracking_uri and meta.get("run_id"):
        mlflow = tracking.mlflow_client(tracking_uri)
        with mlflow.start_run(run_id=meta["run_id"]):
            mlflow.log_text(card, "model_card.md")
    return Registration(
        name=model_name,
        version=version,
        directory=models_dir / version,
        model_sha256=meta["model_sha256"],
        mlflow_version=mlflow_version,
        run_id=meta.get("run_id"),
    )


def _register_mlflow(
    meta: dict[str, Any], evaluation: dict[str, Any], tracking_uri: str, model_name: str
) -> str | None:
    run_id = meta.get("run_id")
    if not run_id:
        return None
    mlflow = tracking.mlflow_client(tracking_uri)
    client = mlflow.MlflowClient()
    tags = {
        "data_hash": meta["data_hash"],
        "family": meta["family"],
        "model_sha256": meta["model_sha256"],
        "feature_schema": json.dumps(meta["feature_columns"]),
        "threshold": str(meta["threshold"]),
        **{f"metric.{k}": f"{v:.4f}" for k, v in evaluation.get("headline", {}).items()},
        **{f"version.{k}": v for k, v in tracking.library_versions().items()},
    }
    uri = meta.get("model_uri") or f"runs:/{run_id}/model"
    mv = mlflow.register_model(uri, model_name, tags=tags)
    client.update_model_version(
        model_name, mv.version, description=model_card.summary(meta, evaluation)
    )
    client.set_registered_model_alias(model_name, "champion", mv.version)
    return str(mv.version)


def latest_version(models_dir: Path | str) -> Path:
    """Directory of the version `LATEST` points to.

    Raises:
        FileNotFoundError: nothing registered yet.
    """
    models_dir = Path(models_dir)
    pointer = models_dir / LATEST
    if not pointer.is_file():
        raise FileNotFoundError(f"no registered model in {models_dir} (run `fraud register`)")
    return models_dir / pointer.read_text().strip()


def load_registered(directory: Path | str) -> tuple[Any, dict[str, Any]]:
    """Model and metadata of an exported version, with the sha256 verified."""
    directory = Path(directory)
    metadata = json.loads((directory / METADATA_FILE).read_text())
    model = load_model(directory / metadata["artifact"], sha256=metadata["sha256"])
    return model, metadata
