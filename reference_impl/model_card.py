"""Generated model card (Markdown), after Mitchell et al. 2019 "Model Cards for Model Reporting".

The template is plain Markdown with ``$placeholders`` (string.Template); `render` fills it from
the candidate's train.json, the evaluation report and the export metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template
from typing import Any

from reference_impl import schemas
from reference_impl.errors import InvalidInputError

TEMPLATE = Template(
    """# Model card: $name $version

## Model details

- **Family:** $family, hyper-parameters $params (selected by prequential validation on $scoring).
- **Pipeline (scikit-learn):** $steps, on the $n_features features below.
- **Artifact:** `model.skops` (sha256 `$sha256`), loadable without pickle.
- **MLflow:** run `$run_id`, registry version $mlflow_version.
- **Trained on:** days $train_days of the simulated dataset `$data_hash`.

## Features

$features

## Operating point

Alert when the score is at least **$threshold** ($policy policy), capped at $budget alerts per
day; everything else is approved.

## Evaluation (test week, days $test_days, known compromised cards removed)

| metric | value |
|---|---|
| AUC ROC | $auc |
| Average precision | $ap |
| Card precision@100 | $cp |
| Brier score | $brier |
| Alerts per day | $alerts |
| Recall at the operating point | $recall |
| Residual fraud among approved, by count | $res_count |
| Residual fraud among approved, by amount | $res_amount |

Prequential estimate ($n_folds test folds, mean ± std): AUC $p_auc, AP $p_ap, CP@100 $p_cp.

Recall per fraud scenario at the operating point:

$scenarios

Release gate (floors): **$gate**$gate_reasons

Release decision: **$release**$release_reasons

## Caveats

- Simulated data is far easier than real card data: on the Worldline data the handbook reports
  an average precision about ten times lower for the same models.
- Scenarios outside training (e.g. card testing, short terminal compromises) are not detected
  well; the $delay-day-delayed terminal features cannot see attacks shorter than the delay.
- Probabilities are not calibrated beyond what the model gives; use the reliability plot before
  setting a cost-based threshold.

$governance

## Reproducibility

$versions
"""
)

# Module 8's sections (Mitchell et al. 2019: intended use, factors, quantitative analyses,
# ethical considerations): what the fraud model is for, what it is not for, who watches it.
GOVERNANCE_FIELDS = ("intended_use", "out_of_scope", "subgroups", "limitations", "oversight")
FRAUD_GOVERNANCE: dict[str, Any] = {
    "intended_use": (
        "Rank card payments for the bank's fraud investigators and decline at most the "
        "daily budget of the most suspicious ones; every decline can be overridden by a person. "
        "Teaching material for the MLOps course: the data is simulated (Fraud Detection "
        "Handbook-style), not real payments."
    ),
    "out_of_scope": (
        "Credit decisions, customer profiling for marketing, any use on real customers without "
        "retraining and a new audit (the data is simulated), and payments of channels or "
        "countries absent from the training data."
    ),
    "limitations": (
        "Attacks shorter than the label delay and patterns absent from training (card testing) "
        "are missed; recall and false-decline rate differ between customer spending bands "
        "(lesson 8.2); a declined payment never gets a label, so retraining needs a checked "
        "random share of declines (lesson 8.5)."
    ),
    "oversight": (
        "Investigators review alerts within the budget and log every override with its reason; "
        "the decision threshold is owned by the fraud-operations manager; the monitor (module 7) "
        "reports drift and labelled performance daily; a customer can contest a decline and "
        "have it reviewed by a person (GDPR art. 22(3))."
    ),
}


# --8<-- [start:governance]
def governance_section(info: Mapping[str, Any], *, require_subgroups: bool = True) -> str:
    """Intended use, out-of-scope use, subgroup results with intervals, limitations, oversight.

    Raises:
        InvalidInputError: a required field is missing or empty (named in the message).
    """
    needed = [f for f in GOVERNANCE_FIELDS if require_subgroups or f != "subgroups"]
    missing = [f for f in needed if not info.get(f)]
    if missing:
        raise InvalidInputError(f"model card: missing or empty field(s): {', '.join(missing)}")
    rows = [
        f"| {r['group']} | {r['metric']} | {100 * r['rate']:.2f} % "
        f"| {100 * r['lo']:.2f} – {100 * r['hi']:.2f} % | {r['n']:,} |"
        for r in info.get("subgroups") or []
    ]
    table = (
        "| subgroup | metric | value | 95 % interval | n |\n|---|---|---|---|---|\n"
        + "\n".join(rows)
        if rows
        else "Not in this evaluation report: run the subgroup audit before release."
    )
    return (
        f"## Intended use\n\n{info['intended_use']}\n\n"
        f"## Out-of-scope use\n\n{info['out_of_scope']}\n\n"
        f"## Subgroup results\n\n{table}\n\n"
        f"## Limitations\n\n{info['limitations']}\n\n"
        f"## Human oversight\n\n{info['oversight']}\n"
    )


# --8<-- [end:governance]


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def _pm(prequential: dict[str, Any], key: str) -> str:
    return f"{prequential['mean'][key]:.3f} ± {prequential['std'][key]:.3f}"


def render(meta: dict[str, Any], evaluation: dict[str, Any], export: dict[str, Any]) -> str:
    """The model card of a registered version."""
    week, op = evaluation["test_week"], evaluation["operating_point"]
    residual, preq, gate = op["residual_fraud"], evaluation["prequential"], evaluation["gate"]
    return TEMPLATE.substitute(
        name=export["name"],
        version=export["version"],
        family=meta["family"],
        params=meta["params"] or "defaults",
        scoring=meta["scoring"],
        n_features=len(meta["feature_columns"]),
        steps=" → ".join(export.get("pipeline_steps", [])) or "see the artifact",
        sha256=meta["model_sha256"],
        run_id=meta.get("run_id") or "not tracked",
        mlflow_version=export["mlflow"]["registered_version"] or "none",
        train_days="–".join(map(str, meta["train_days"])),
        data_hash=meta["data_hash"][:16],
        budget=op["alerts_per_day"],
        features="\n".join(f"- `{c}`" for c in meta["feature_columns"]),
        threshold=f"{op['threshold']:.4g}",
        policy=op["threshold_policy"],
        test_days="–".join(map(str, week["days"])),
        auc=f"{week['roc_auc']:.3f}",
        ap=f"{week['average_precision']:.3f}",
        cp=f"{week['card_precision_100']:.3f}",
        brier=f"{week['brier']:.5f}",
        alerts=f"{residual['alerts_per_day']:.1f}",
        recall=f"{residual['recall']:.3f}",
        res_count=_pct(residual["by_count"]),
        res_amount=_pct(residual["by_amount"]),
        n_folds=len(preq["folds"]),
        p_auc=_pm(preq, "roc_auc"),
        p_ap=_pm(preq, "average_precision"),
        p_cp=_pm(preq, "card_precision_100"),
        scenarios="\n".join(
            f"- {name}: {value:.3f}" for name, value in op["recall_per_scenario"].items()
        ),
        gate="passed" if gate["passed"] else "failed",
        gate_reasons="".join(f"\n- {r}" for r in gate["reasons"]),
        release=export.get("release", {}).get("decision", "not decided"),
        release_reasons="".join(f"\n- {r}" for r in export.get("release", {}).get("reasons", [])),
        delay=export.get("label_delay_days", schemas.DEFAULT_DELAY_DAYS),
        versions="\n".join(f"- {k} {v}" for k, v in export["library_versions"].items()),
        governance=governance_section(
            {**FRAUD_GOVERNANCE, "subgroups": evaluation.get("subgroups", [])},
            require_subgroups=False,
        ),
    )


def summary(meta: dict[str, Any], evaluation: dict[str, Any]) -> str:
    """One paragraph for the MLflow registry's version description."""
    h = evaluation["headline"]
    return (
        f"{meta['family']} {meta['params']} trained on days {meta['train_days']} of dataset "
        f"{meta['data_hash'][:12]}; test AP {h['test_average_precision']:.3f}, CP@100 "
        f"{h['test_card_precision_100']:.3f}; residual fraud {_pct(h['residual_fraud_count'])} "
        f"(count), {_pct(h['residual_fraud_amount'])} (amount) at "
        f"{h['alerts_per_day']:.0f} alerts/day. Features: {len(schemas.FEATURE_COLUMNS)}."
    )
