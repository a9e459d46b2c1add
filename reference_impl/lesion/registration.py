"""Register the lesion model through the shared registry (`reference_impl.registry`).

The registry (versions, sha256, champion pointer, history, MLflow) is the fraud system's; this
module is the lesion system's hook into it: what its metadata.json holds (what the service needs
to score an image: the featurizer, the feature schema, the operating threshold and the
refer-to-dermatologist band; and what a reviewer needs: the sensitivity gate overall and per
judged subgroup, the screening figures, the training prevalence, library versions, data hash),
its model card, and the release decision.

Release: the gate (a sensitivity floor overall and on every subgroup with enough data) must
have passed; the first version is promoted; a later one is registered as a challenger and
promoted by hand (`lesion promote vNNN --reason ...`), because two lesion models are only
comparable on the same patients, which a later evaluation may not have held out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from reference_impl import registry, tracking
from reference_impl.errors import GateFailed
from reference_impl.lesion import schemas
from reference_impl.lesion.config import LesionSettings
from reference_impl.lesion.params import LesionParams
from reference_impl.lesion.train import EXPERIMENT
from reference_impl.model_card import governance_section
from reference_impl.runner import Progress, StageResult, quiet

FEATURIZER = "ABCDFeatures"  # reference_impl.lesion.features: image -> the feature columns
DECISIONS = ("biopsy", "refer_to_dermatologist", "routine")


def refer_band(evaluation: dict[str, Any], coverage: float) -> dict[str, float] | None:
    """The abstention curve's point nearest `coverage` as a band of probabilities, or None.

    Lesions whose probability falls in [low, high] are referred to a dermatologist instead of
    being decided at the threshold (Chow's rule; `lesion.metrics.abstention_curve`).
    """
    curve = evaluation.get("report", {}).get("abstention") or []
    if coverage >= 1 or not curve:
        return None
    point = min(curve, key=lambda p: abs(p["coverage"] - coverage))
    if point["referred"] <= 0:
        return None
    keys = ("coverage", "referred", "low", "high", "error", "sensitivity", "specificity")
    return {k: float(point[k]) for k in keys}


def gate_summary(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The gate's verdict with the floor and every judged subgroup's sensitivity and interval."""
    gate = evaluation.get("gate", {})
    audit = evaluation.get("audit", {})
    judged = set(gate.get("judged", []))
    return {
        **gate,
        "overall_sensitivity": evaluation.get("headline", {}).get("sensitivity"),
        "confidence": audit.get("confidence"),
        "subgroups": [
            {
                "subgroup": f"{s['attribute']}={s['group']}",
                "sensitivity": s["sensitivity"],
                "low": s["sensitivity_low"],
                "high": s["sensitivity_high"],
                "n_malignant": s["n_malignant"],
            }
            for s in audit.get("subgroups", [])
            if f"{s['attribute']}={s['group']}" in judged
        ],
    }


@dataclass(frozen=True)
class LesionHook:
    """The lesion system's contribution to a registered version (`registry.SystemHook`)."""

    refer_coverage: float = 0.9
    train_command: str = "lesion train"
    experiment: str = EXPERIMENT

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
        """metadata.json: key names shared with the fraud one are the serving bundle's contract."""
        report = evaluation.get("report", {})
        return {
            "name": model_name,
            "system": "lesion",
            "version": version,
            "artifact": registry.MODEL_FILE,
            "sha256": meta["model_sha256"],
            "format": "skops",
            "input": {
                "kind": "image",
                "size": schemas.IMAGE_SIZE,
                "content_types": ["image/jpeg", "image/png"],
            },
            "featurizer": FEATURIZER,
            "features": meta["feature_columns"],
            "label": "malignant",
            "library_versions": tracking.library_versions(),
            "threshold": meta["threshold"],
            "threshold_policy": (
                f"most specific threshold reaching {meta['target_sensitivity']:.0%} sensitivity "
                "on the development patients' out-of-fold probabilities"
            ),
            "refer_band": refer_band(evaluation, self.refer_coverage),
            # The training features' quantiles: the service refuses images far outside them.
            "input_range": meta.get("input_range"),
            "decisions": list(DECISIONS),
            "train_prevalence": meta["train_prevalence"],
            "family": meta["family"],
            "pipeline_steps": [type(step).__name__ for _, step in getattr(model, "steps", [])],
            "data_hash": meta["data_hash"],
            "n_dev_images": meta.get("n_dev"),
            "dev_patients": meta.get("dev_patients"),
            "metrics": evaluation.get("headline", {}),
            "screening": {
                "at_threshold": report.get("at_threshold"),
                "prevalence_shift": report.get("prevalence_shift"),
            },
            "gate": gate_summary(evaluation),
            "release": release,
            "mlflow": {
                "registered_version": mlflow_version,
                "run_id": meta.get("run_id"),
                "model_uri": meta.get("model_uri"),
            },
        }

    def card(self, meta: dict[str, Any], evaluation: dict[str, Any], export: dict[str, Any]) -> str:
        """The lesion model card (Markdown)."""
        return render_card(meta, evaluation, export)

    def summary(self, meta: dict[str, Any], evaluation: dict[str, Any]) -> str:
        """One paragraph for the MLflow registry's version description."""
        h = evaluation.get("headline", {})
        return (
            f"{meta['family']} on {len(meta['feature_columns'])} ABCD features, dataset "
            f"{meta['data_hash'][:12]}; held-out patients: AUC {_f(h.get('roc_auc'))}, "
            f"sensitivity {_f(h.get('sensitivity'))}, specificity {_f(h.get('specificity'))} "
            f"at threshold {meta['threshold']:.4f}."
        )


CARD = Template(
    """# Model card: $name $version

## Model details

- **Family:** $family (scikit-learn: $steps) on the $n_features ABCD features below, computed
  from a 64×64 RGB image by `$featurizer` (segmentation, asymmetry, border, colour, diameter,
  texture).
- **Artifact:** `model.skops` (sha256 `$sha256`), loadable without pickle.
- **MLflow:** run `$run_id`, registry version $mlflow_version.
- **Trained on:** $n_dev images of $dev_patients development patients of the generated dataset
  `$data_hash` (malignant share $train_prevalence).

## Features

$features

## Operating point

A lesion is sent to **biopsy** when its probability is at least **$threshold** ($policy);
$band

## Evaluation (patients held out in training)

| metric | value |
|---|---|
| AUC ROC | $auc |
| Sensitivity at the threshold | $sens |
| Specificity at the threshold | $spec |
| Number needed to biopsy | $nnb |
| PPV at the training prevalence | $ppv_train |
| PPV at the screening prevalence | $ppv_screen |
| Expected calibration error | $ece |

Sensitivity gate (floor $floor, overall and on every subgroup with enough data):
**$gate**$gate_reasons

Not judged (too few malignant lesions): $not_judged

$governance
## Reproducibility

$versions
"""
)

GOVERNANCE: dict[str, str] = {
    "intended_use": (
        "Triage of dermoscopy images in a screening service: each lesion is sent to biopsy, "
        "referred to a dermatologist, or left to routine follow-up, and a clinician makes every "
        "final call. Teaching material for the MLOps course: the images are generated "
        "(ABCD-rule lesions), not real patients."
    ),
    "out_of_scope": (
        "Diagnosis without a clinician; photographs that are not dermoscopy; any use on real "
        "patients without retraining on real images and a new audit; populations whose skin "
        "tones or devices had too few cancers to be judged (listed above)."
    ),
    "limitations": (
        "At a screening prevalence far below the training one most referrals are benign (the "
        "PPV above); subgroups with too few cancers are reported, not judged; a new lesion type "
        "(e.g. amelanotic melanoma) or a new device shifts the features."
    ),
    "oversight": (
        "Dermatologists review every referral and every biopsy decision; the threshold and the "
        "band are owned by the clinical lead; the sensitivity per skin tone and device is "
        "re-audited on every new version (the gate above)."
    ),
}


def _f(value: Any, fmt: str = ".3f") -> str:
    return "n/a" if value is None else format(float(value), fmt)


def _band_text(band: dict[str, float] | None) -> str:
    if band is None:
        return "no refer-to-dermatologist band: every lesion is decided at the threshold."
    return (
        f"a lesion with a probability in [{band['low']:.4f}, {band['high']:.4f}] is **referred "
        f"to a dermatologist** instead ({band['referred']:.0%} of the held-out lesions; the "
        f"error among those decided falls to {band['error']:.3f})."
    )


def render_card(meta: dict[str, Any], evaluation: dict[str, Any], export: dict[str, Any]) -> str:
    """The model card of a registered lesion version."""
    h, gate = evaluation.get("headline", {}), export["gate"]
    subgroups = [
        {
            "group": f"{s['attribute']}={s['group']}"
            + ("" if s["enough_data"] else " (not judged)"),
            "metric": "sensitivity",
            "rate": s["sensitivity"],
            "lo": s["sensitivity_low"],
            "hi": s["sensitivity_high"],
            "n": s["n_malignant"],
        }
        for s in evaluation.get("audit", {}).get("subgroups", [])
        if s["n_malignant"] > 0
    ]
    return CARD.substitute(
        name=export["name"],
        version=export["version"],
        family=meta["family"],
        steps=" → ".join(export.get("pipeline_steps", [])) or "see the artifact",
        n_features=len(meta["feature_columns"]),
        featurizer=export["featurizer"],
        sha256=meta["model_sha256"],
        run_id=meta.get("run_id") or "not tracked",
        mlflow_version=export["mlflow"]["registered_version"] or "none",
        n_dev=meta.get("n_dev", "?"),
        dev_patients=meta.get("dev_patients", "?"),
        data_hash=meta["data_hash"][:16],
        train_prevalence=f"{meta['train_prevalence']:.3f}",
        features="\n".join(f"- `{c}`" for c in meta["feature_columns"]),
        threshold=f"{meta['threshold']:.4f}",
        policy=export["threshold_policy"],
        band=_band_text(export["refer_band"]),
        auc=_f(h.get("roc_auc")),
        sens=_f(h.get("sensitivity")),
        spec=_f(h.get("specificity")),
        nnb=_f(h.get("nnb"), ".1f"),
        ppv_train=_f(h.get("ppv_train_prevalence")),
        ppv_screen=_f(h.get("ppv_screening_prevalence")),
        ece=_f(h.get("ece")),
        floor=_f(gate.get("floor"), ".2f"),
        gate="passed" if gate.get("passed") else "failed",
        gate_reasons="".join(f"\n- {r}" for r in gate.get("reasons", [])),
        not_judged=", ".join(gate.get("not_judged", [])) or "none",
        governance=governance_section(
            {**GOVERNANCE, "subgroups": subgroups}, require_subgroups=False
        ),
        versions="\n".join(f"- {k} {v}" for k, v in export["library_versions"].items()),
    )


def release_decision(evaluation: dict[str, Any], champion: str | None) -> dict[str, Any]:
    """Promote the first version that passed the gate; register later ones as challengers.

    Raises:
        GateFailed: the gate failed (one line naming each failing subgroup).
    """
    gate = evaluation.get("gate", {})
    if not gate.get("passed"):
        reasons = "; ".join(gate.get("reasons", [])) or "no gate result in the evaluation"
        raise GateFailed(f"refusing to register a model that failed its gate: {reasons}")
    judged = ", ".join(gate.get("judged", [])) or "overall only"
    passed = f"sensitivity gate passed (floor {_f(gate.get('floor'), '.2f')}; judged: {judged})"
    if champion is None:
        return {"decision": "promote", "reasons": [passed, "no champion yet: the first model"]}
    return {
        "decision": "challenger",
        "reasons": [
            passed,
            f"{champion} is the champion: compare both on the same patients, then "
            "`lesion promote <version> --reason ...`",
        ],
    }


@dataclass(frozen=True)
class LesionRegisterResult(StageResult):
    """The version published, the release decision, and the champion afterwards."""

    version: str
    directory: Path
    decision: str
    reasons: list[str]
    champion: str | None
    mlflow_version: str | None
    refer_band: dict[str, float] | None


def run_register(
    *, settings: LesionSettings, params: LesionParams, progress: Progress = quiet
) -> LesionRegisterResult:
    """Publish the evaluated candidate as a new version in `<root>/models`.

    Raises:
        GateFailed: the evaluation's sensitivity gate failed (nothing published).
        InvalidInputError: the evaluation belongs to another candidate.
        MissingInputError: no candidate or no evaluation.
    """
    from reference_impl.lesion.evaluate import load_evaluation

    start = time.perf_counter()
    evaluation = load_evaluation(settings.evaluation_dir)
    release = release_decision(evaluation, registry.champion_version(settings.models_dir))
    for reason in release["reasons"]:
        progress(f"{release['decision']}: {reason}")
    hook = LesionHook(refer_coverage=params.registry.refer_coverage)
    reg = registry.register(
        settings.candidate_dir,
        evaluation,
        release,
        models_dir=settings.models_dir,
        tracking_uri=settings.tracking,
        model_name=params.registry.model_name,
        hook=hook,
    )
    return LesionRegisterResult(
        seconds=round(time.perf_counter() - start, 2),
        version=reg.version,
        directory=reg.directory,
        decision=release["decision"],
        reasons=release["reasons"],
        champion=reg.champion,
        mlflow_version=reg.mlflow_version,
        refer_band=refer_band(evaluation, params.registry.refer_coverage),
    )
