"""Write the figures the course quotes: run the project's own benchmarks, commit their results.

Each *figure set* is one benchmark script run on one preset and seed. Its figures go to
`course/_data/<set>.json` together with what produced them (command, preset, seed, git revision,
library versions, date, seconds); lessons, flashcards and quizzes insert them with placeholders
(`site/hooks/course_figures.py`). When code changes a figure, the diff of that file shows it.

    python tools/course_numbers.py          # the cheap sets (small preset, a minute or two)
    python tools/course_numbers.py --full   # every set, full preset included (instructor; long)
    python tools/course_numbers.py --only models_small
    python tools/course_numbers.py --check  # recompute the cheap sets, compare with the committed
                                            # files (tolerance below); exit 1 on any difference
    python tools/course_numbers.py --only lesion_model_full --reextract
                                            # an extractor change: re-read the script's JSON of
                                            # the committed run (build/numbers), rerun nothing

Reference code is only reached through the benchmark scripts' command lines, so a refactor of
`reference_impl/` that keeps those working keeps this working.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "course" / "_data"
RAW = ROOT / "build" / "numbers"  # the benchmark scripts' own JSON (git-ignored)
# A recomputed figure matches the committed one if it is within ABS_TOL, or REL_TOL of it.
# The sets are deterministic (fixed seeds); the tolerance absorbs last-digit differences of
# numerical libraries across machines, not randomness.
ABS_TOL = 0.002
REL_TOL = 0.01
LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy")


def _mean(values: list[float]) -> float:
    return float(sum(values) / len(values))


def models_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/reference_model.py JSON → figures: per family and for the data."""
    families = raw["families"]
    out: dict[str, Any] = {}
    names = {
        "roc_auc": "auc",
        "average_precision": "ap",
        "card_precision_100": "cp100",
        "brier": "brier",
        "residual_count": "residual_count",
        "residual_amount": "residual_amount",
        "train_roc_auc": "train_auc",
        "train_average_precision": "train_ap",
    }
    for family, fam in families.items():
        f: dict[str, Any] = {"validation_ap": fam["validation_ap"]}
        f["best"] = {  # the hyper-parameters chosen on the validation folds, e.g. best.C
            k.rsplit("__", 1)[-1]: v
            for k, v in fam["best_params"].items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        for key, short in names.items():
            if key not in fam["mean"]:  # written by an older benchmark
                continue
            f[short] = fam["mean"][key]
            f[f"{short}_std"] = fam["std"][key]
        for key in ("residual_count", "residual_amount"):
            f[f"{names[key]}_worst_fold"] = max(fam["per_fold"][key])
        for key, values in fam["mean"].items():
            if "_at_" in key:
                f[key] = values
        f["brier_skill"] = 1 - fam["mean"]["brier"] / fam["mean"]["brier_base_rate"]
        f["ap_fold"] = {f"f{i}": v for i, v in enumerate(fam["per_fold"]["average_precision"])}
        out[family] = f
    any_family = next(iter(families.values()))
    first = any_family["mean"]
    out["data"] = {
        key: first[key]
        for key in (
            "base_rate_count",
            "base_rate_amount",
            "brier_base_rate",
            "card_precision_100_perfect",
            "card_precision_100_random",
            "average_precision_random",
        )
    }
    out["data"]["folds"] = len(any_family["per_fold"]["roc_auc"])
    out["data"].update(raw.get("data", {}))  # the whole simulated stream
    return out


def drift_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/monitor_decisions.py JSON (one seed) → figures per incident."""
    keep = (
        "worst_feature_psi",
        "score_psi",
        "amount_ks",
        "ap_reference",
        "ap_reference_se",
        "ap_current",
        "ap_current_se",
        "ap_drop_z",
        "cp_reference",
        "cp_current",
        "challenger_ap",
        "challenger_gain",
        "challenger_gain_se",
        "recall_drop_z",
    )
    out: dict[str, Any] = {}
    for row in raw["rows"]:
        out[row["incident"]] = {
            **{k: row[k] for k in keep if isinstance(row.get(k), int | float)},
            "as_expected": int(bool(row["correct"])),
        }
    out["decisions"] = {"as_expected": raw["correct"], "total": raw["total"]}
    return out


def serving_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/serving_load.py JSON → req/s, p50/p99 ms, tx/s, CPU µs per request, swaps.

    Wall-clock figures of a load test on a shared machine: `--check` would see them move, so
    the set is not a cheap one (lesson 6.4 prints the load average next to them).
    """
    out: dict[str, Any] = {}
    for app in ("baseline", "ours"):
        out[app] = {}
        for phase, runs in raw[app].items():
            if phase == "swap" or not isinstance(runs, dict):
                continue
            keys = ["req_per_s", "p50_ms", "p99_ms", "failed"]
            if phase in ("batch", "rows"):  # tx/s = requests/s x transactions per request
                keys.append("tx_per_s")
            out[app][phase] = {k: runs[k] for k in keys if isinstance(runs.get(k), int | float)}
    swap = raw["ours"]["swap"]
    out["swap"] = {k: swap[k] for k in ("swaps_ok", "swaps_failed", "requests", "failed", "p99_ms")}
    out["cpu_us"] = dict(raw["cpu_us_per_request"])
    out["load"] = {"before": raw["load_before"][0], "after": raw["load_after"][0]}
    return out


def timeline_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/monitor_timeline.py JSON → per incident, daily PSI (`d<day>`), weekly AP.

    Lessons 7.2/7.3 draw them as charts (mermaid xychart) from placeholders.
    """
    out: dict[str, Any] = {"thresholds": dict(raw["thresholds"])}
    for name, inc in raw["incidents"].items():
        out[name] = {
            "daily": {f"d{day}": dict(row) for day, row in inc["daily"].items()},
            "weekly": {
                f"w{row['first_day']}": {k: row[k] for k in ("ap", "ap_se", "frauds")}
                for row in inc["weekly"]
            },
        }
    return out


def model_views_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/model_views.py JSON → PR points, reliability bins, KPI curve, permutation
    importance, partial dependence and the leak experiment (lessons 1.2, 2.3, 4.1, 4.3 draw them
    as charts). The run's description and timing are not figures."""
    return {k: v for k, v in raw.items() if k not in ("preset", "seed", "fold", "seconds")}


def scheduler_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/scheduler_simulation.py JSON: per memory model, SM-2 and FSRS-6 at their
    defaults, week-by-week reviews, the sweeps and the reviews needed per target exam recall."""
    return {k: v for k, v in raw.items() if k != "seconds"}


def scaleout_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/grading_scaleout.py JSON: pool vs Dask timings, per-notebook times of labs 1
    and 4, and the projection (hours per cohort size and core count) built from them."""
    return dict(raw)


def governance_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/governance_{fraud,lesion}.py JSON: costs, risk rows, slices, explanations,
    feedback (fraud); the skin-tone audit, its floor and a referred lesion explained (lesion)."""
    out = {k: v for k, v in raw.items() if k != "meta"}
    if "block_per_day" in raw["meta"]:  # the fraud set; the lesion set has no budget
        out["block_per_day"] = raw["meta"]["block_per_day"]
    return out


def lesion_data_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/lesion_data.py JSON: generation and feature speed (wall and CPU, with the load
    average), and what the generated lesion data holds (counts, shares, the oracle's AUC)."""
    return {k: v for k, v in raw.items() if k != "seconds"}


def lesion_model_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/lesion_model.py JSON: per model (oracles, ABCD features, pixels) the 5-fold
    patient-grouped figures; the pipeline's held-out screening figures, subgroups and gate."""
    keys = ("auc", "auc_fold_std", "ap", "spec_at_95_sens", "nnb_at_95_sens", "sens_at_90_spec")
    out: dict[str, Any] = {
        row["key"]: {k: row[k] for k in keys if isinstance(row.get(k), int | float)}
        for row in raw["learnability"]
    }
    pipe = raw["pipeline"]
    at, shift = pipe["at_threshold"], pipe["prevalence_shift"]
    head = pipe["headline"]
    out["pipeline"] = {
        "auc": head["roc_auc"],
        "threshold": pipe["threshold"],
        **{k: at[k] for k in ("sensitivity", "specificity", "nnb", "ppv") if at.get(k) is not None},
        **{k: at[k] for k in ("tp", "fp", "tn", "fn")},  # the held-out confusion counts
        **{k: v for k, v in shift.items() if isinstance(v, int | float)},
        "gate_passed": int(bool(pipe["gate"]["passed"])),
        # Lesson 4.4: ranking, calibration and the best specificity these predictions allow.
        **{k: head[k] for k in ("brier", "ece") if isinstance(head.get(k), int | float)},
        "ap": head["average_precision"],
        "best_spec_at_95_sens": head["specificity_at_95_sensitivity"],
        "min_judged_subgroup_sensitivity": head["min_judged_subgroup_sensitivity"],
    }
    # The refer-to-dermatologist band on the held-out patients, by coverage (c100 = no band).
    out["abstention"] = {
        f"c{round(100 * p['coverage'])}": {k: v for k, v in p.items() if isinstance(v, float)}
        for p in pipe.get("abstention", [])
    }
    out["subgroups"] = {
        f"{s['attribute']}_{s['group']}": {
            "sensitivity": s["sensitivity"],
            "low": s["sensitivity_low"],
            "high": s["sensitivity_high"],
            "n_malignant": s["n_malignant"],
            "judged": int(bool(s["enough_data"])),
        }
        for s in pipe["subgroups"]
        if math.isfinite(s["sensitivity"])
    }
    data = raw["data"]
    out["data"] = {k: v for k, v in data.items() if isinstance(v, int | float)}
    rule = data["oracle_tds_rule_4_75"]  # the clinical rule "TDS > 4.75" on the latent score
    out["data"].update(
        tds_rule_sensitivity=rule["sensitivity"], tds_rule_specificity=rule["specificity"]
    )
    return out


def lesion_seven_class_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/lesion_seven_class.py JSON: per model (majority, ABCD features, pixels, the
    drawn-diagnosis oracle) the macro recall, accuracy and recall per class; the class shares."""
    out: dict[str, Any] = {
        row["key"]: {
            "macro_recall": row["macro_recall"],
            "accuracy": row["accuracy"],
            "recall": row["recall"],
        }
        for row in raw["models"]
    }
    out["data"] = raw["data"]
    out["best_abcd"] = raw["best_abcd"]
    return out


def lesion_views_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """benchmarks/lesion_views.py JSON: grouped vs random split (the leak), reliability bins,
    PPV/NNB across prevalences and the model on a screening-prevalence set (lessons 2.1, 4.4)."""
    return {k: v for k, v in raw.items() if k != "seconds"}


def walkthrough_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """tools/lab_walkthrough.py JSON: each walked-through lab's learner-time estimate (minutes,
    low and high) and per exercise what the walk-through measured; the rule's rates."""
    return dict(raw)


@dataclass(frozen=True)
class FigureSet:
    """One benchmark run whose figures the course quotes."""

    name: str
    script: str
    args: tuple[str, ...]  # `{out}` is replaced by the JSON path the script writes
    preset: str
    seed: int
    cheap: bool  # recomputed by CI (`--check`)
    extract: Callable[[dict[str, Any]], dict[str, Any]]
    output: str = "{out}"  # where the script's JSON lands, relative to `{out}`'s folder

    def argv(self, out: Path) -> list[str]:
        return [self.script, *(a.replace("{out}", str(out)) for a in self.args)]

    def command(self) -> str:
        """The command as a person reruns it from the repository root."""
        shown = self.argv(Path(f"build/numbers/{self.name}.json"))
        return "python " + shlex.join(shown)


# The families the lessons compare (the pipeline's default three; the opt-in blend is slow).
MODELS = ("--families", "logreg", "random_forest", "hist_gb", "--skip-pipeline", "--out", "{out}")
SMALL_MODELS = ("--families", "logreg", "random_forest", "--skip-pipeline", "--out", "{out}")
SETS = [
    FigureSet(
        "models_small",
        "benchmarks/reference_model.py",
        # The two families the small-preset figures quote (CI recomputes this set: boosting,
        # which no lesson quotes on this preset, would double its time).
        ("--preset", "small", "--seed", "0", *SMALL_MODELS),
        preset="small",
        seed=0,
        cheap=True,
        extract=models_figures,
    ),
    FigureSet(
        "drift_small",
        "benchmarks/monitor_decisions.py",
        ("--seeds", "0", "--out", "{out}.d"),
        preset="small",
        seed=0,
        cheap=True,
        extract=drift_figures,
        output="{out}.d/decisions.json",
    ),
    FigureSet(
        "drift_timeline_small",
        "benchmarks/monitor_timeline.py",
        ("--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=True,
        extract=timeline_figures,
    ),
    FigureSet(
        "model_views_small",
        "benchmarks/model_views.py",
        ("--preset", "small", "--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=True,
        extract=model_views_figures,
    ),
    FigureSet(
        "scheduler_simulation",
        "benchmarks/scheduler_simulation.py",
        ("--seed", "0", "--out", "{out}"),
        preset="none",
        seed=0,
        # A few seconds, deterministic, but it simulates the course's decks, which change often:
        # one card more shifts every random draw, so CI would fail on every card edit. Rerun it
        # when the decks change (tests/course/test_scheduler_simulation.py says when they drifted).
        cheap=False,
        extract=scheduler_figures,
    ),
    FigureSet(
        "governance_small",
        "benchmarks/governance_fraud.py",
        ("--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=True,  # module 8; ~20 s of CPU
        extract=governance_figures,
    ),
    FigureSet(
        "governance_lesion_small",
        "benchmarks/governance_lesion.py",
        ("--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=False,  # module 8's lesion parts: generation and features take ~2 minutes
        extract=governance_figures,
    ),
    FigureSet(
        "models_full",
        "benchmarks/reference_model.py",
        ("--preset", "full", "--seed", "0", *MODELS),
        preset="full",
        seed=0,
        cheap=False,
        extract=models_figures,
    ),
    FigureSet(
        "models_full_seed1",
        "benchmarks/reference_model.py",
        ("--preset", "full", "--seed", "1", *MODELS),
        preset="full",
        seed=1,
        cheap=False,
        extract=models_figures,
    ),
    FigureSet(
        "serving_small",
        "benchmarks/serving_load.py",
        ("--model", "forest", "--rounds", "1", "--seconds", "2"),
        preset="none",
        seed=0,
        cheap=False,  # timings: a rerun moves them (module 6)
        extract=serving_figures,
        output=str(ROOT / "build" / "reports" / "bench" / "serving_load_forest.json"),
    ),
    FigureSet(
        "lesion_data_small",
        "benchmarks/lesion_data.py",
        ("--preset", "small", "--seed", "0", "--jobs", "2", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=False,  # timings on a shared machine (issue 20's speed targets)
        extract=lesion_data_figures,
    ),
    FigureSet(
        "lesion_model_full",
        "benchmarks/lesion_model.py",
        ("--preset", "full", "--seed", "0", "--out", "{out}"),
        preset="full",
        seed=0,
        cheap=False,  # 20,000 images: minutes (issue 20's model-quality targets)
        extract=lesion_model_figures,
    ),
    FigureSet(
        "lesion_seven_class_small",
        "benchmarks/lesion_seven_class.py",
        ("--preset", "small", "--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=False,  # about a minute (issue 20's 7-class mode: is each diagnosis learnable?)
        extract=lesion_seven_class_figures,
    ),
    FigureSet(
        "lesion_views_small",
        "benchmarks/lesion_views.py",
        ("--seed", "0", "--out", "{out}"),
        preset="small",
        seed=0,
        cheap=False,  # two generated sets and 24 cross-validations: a few minutes
        extract=lesion_views_figures,
    ),
    FigureSet(
        "lab_walkthroughs",
        "tools/lab_walkthrough.py",
        ("--out", "{out}"),
        preset="none",
        seed=0,
        cheap=True,  # counts words in the labs and lessons: under a second
        extract=walkthrough_figures,
    ),
    FigureSet(
        "grading_scaleout",
        "benchmarks/grading_scaleout.py",
        ("--n", "100", "--out", "{out}"),
        preset="none",
        seed=0,
        cheap=False,  # timings on a shared machine (the instructors' "large cohort" page)
        extract=scaleout_figures,
    ),
]


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def provenance(figure_set: FigureSet, seconds: float) -> dict[str, Any]:
    """What produced a set: enough to rerun it and to see why a figure moved."""
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            versions[lib] = "absent"
    # Uncommitted changes to what the script runs: the revision alone does not pin the code then.
    dirty = _git("status", "--porcelain", "--", "reference_impl", figure_set.script, "params.yaml")
    return {
        "command": figure_set.command(),
        "make_target": "numbers" if figure_set.cheap else "numbers-full",
        "preset": figure_set.preset,
        "seed": figure_set.seed,
        "revision": _git("rev-parse", "HEAD") or "unknown",
        "uncommitted_changes": bool(dirty),
        "versions": versions,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(seconds, 1),
    }


def compute(figure_set: FigureSet, scratch: Path) -> dict[str, Any]:
    """Run the set's script (a child process) and return `{"meta": ..., "figures": ...}`."""
    out = scratch / f"{figure_set.name}.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *figure_set.argv(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    result = Path(figure_set.output.replace("{out}", str(out)))
    if proc.returncode != 0 or not result.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise RuntimeError(
            f"{figure_set.name}: {figure_set.command()} failed (exit {proc.returncode}): "
            + " | ".join(tail)
        )
    raw = json.loads(result.read_text())
    return {"meta": provenance(figure_set, seconds), "figures": figure_set.extract(raw)}


def _leaves(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differences(committed: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Figures that moved beyond the tolerance, appeared or disappeared (one line each)."""
    old, new = _leaves(committed), _leaves(fresh)
    lines = [f"{k}: missing now (was {old[k]})" for k in sorted(set(old) - set(new))]
    lines += [f"{k}: new figure {new[k]}" for k in sorted(set(new) - set(old))]
    for key in sorted(set(old) & set(new)):
        a, b = old[key], new[key]
        if isinstance(a, int | float) and isinstance(b, int | float):
            if not math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                lines.append(f"{key}: committed {a:.4g}, recomputed {b:.4g}")
        elif a != b:
            lines.append(f"{key}: committed {a!r}, recomputed {b!r}")
    return lines


def write(name: str, payload: dict[str, Any], data_dir: Path = DATA) -> Path:
    """Write a results file atomically (stable key order, so diffs show only moved figures)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def reextract(figure_set: FigureSet, data_dir: Path = DATA) -> list[str]:
    """Rebuild a committed set's figures from its script's JSON in build/numbers, keeping the
    committed provenance: for an extractor that now reads more of the same run. Returns the
    figures it adds; raises RuntimeError when there is no such JSON or when it is not the
    committed run's (a committed figure would change or vanish)."""
    raw_path = Path(figure_set.output.replace("{out}", str(RAW / f"{figure_set.name}.json")))
    committed_path = data_dir / f"{figure_set.name}.json"
    if not raw_path.is_file() or not committed_path.is_file():
        raise RuntimeError(
            f"{figure_set.name}: --reextract needs {raw_path} and {committed_path}: run the set"
        )
    committed = json.loads(committed_path.read_text())
    figures = figure_set.extract(json.loads(raw_path.read_text()))
    changed = [
        line for line in differences(committed["figures"], figures) if ": new figure" not in line
    ]
    if changed:
        raise RuntimeError(
            f"{figure_set.name}: {raw_path} is not the committed run's output ("
            + "; ".join(changed[:3])
            + "): rerun the set instead"
        )
    write(figure_set.name, {"meta": committed["meta"], "figures": figures}, data_dir)
    return sorted(set(_leaves(figures)) - set(_leaves(committed["figures"])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also the full-preset sets (minutes)")
    parser.add_argument("--only", nargs="+", metavar="SET", help="just these sets")
    parser.add_argument("--check", action="store_true", help="recompute and compare, write nothing")
    parser.add_argument(
        "--reextract",
        action="store_true",
        help="with --only: re-read the scripts' JSON of the committed runs (build/numbers) after "
        "an extractor change, keeping their provenance; rerun nothing",
    )
    parser.add_argument("--data", type=Path, default=DATA, help="results folder (course/_data)")
    parser.add_argument(
        "--jobs", type=int, default=2, help="sets computed at once (each is its own process)"
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        print(f"error: --jobs must be at least 1, not {args.jobs}", file=sys.stderr)
        return 1
    known = {s.name: s for s in SETS}
    if args.only:
        unknown = [n for n in args.only if n not in known]
        if unknown:
            print(f"error: unknown set(s) {unknown}; known: {', '.join(known)}", file=sys.stderr)
            return 1
        chosen = [known[n] for n in args.only]
    else:
        chosen = [s for s in SETS if s.cheap or args.full]
    if args.reextract:
        if not args.only or args.check:
            print("error: --reextract needs --only SET and no --check", file=sys.stderr)
            return 1
        for figure_set in chosen:
            try:
                added = reextract(figure_set, args.data)
            except RuntimeError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"== {figure_set.name}: re-extracted, {len(added)} figure(s) added")
        return 0
    failed = 0
    with tempfile.TemporaryDirectory(prefix="numbers-") as tmp:
        # The scripts' own output stays in build/numbers/ (the path the recorded command names);
        # a check writes to a scratch folder instead.
        scratch = Path(tmp) if args.check else RAW
        scratch.mkdir(parents=True, exist_ok=True)
        # The sets are independent child processes (each simulates its own data and writes its
        # own files): two at a time on two cores; results are reported in the list's order.
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(compute, figure_set, scratch) for figure_set in chosen]
        for figure_set, future in zip(chosen, futures, strict=True):
            print(f"== {figure_set.name}: {figure_set.command()}", flush=True)
            try:
                payload = future.result()
            except RuntimeError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            seconds = payload["meta"]["seconds"]
            if not args.check:
                path = write(figure_set.name, payload, args.data)
                print(f"   wrote {path.relative_to(ROOT)} ({seconds} s)")
                continue
            committed_path = args.data / f"{figure_set.name}.json"
            if not committed_path.is_file():
                print(f"   MISSING {committed_path}: run `make numbers`")
                failed += 1
                continue
            moved = differences(
                json.loads(committed_path.read_text())["figures"], payload["figures"]
            )
            for line in moved:
                print(f"   MOVED {figure_set.name}.{line}")
            print(f"   {'ok' if not moved else f'{len(moved)} figure(s) moved'} ({seconds} s)")
            failed += bool(moved)
    if failed:
        print(
            f"{failed} set(s) differ from course/_data (tolerance: {ABS_TOL} absolute or "
            f"{REL_TOL:.0%} relative). If the change is intended, run `make numbers` and commit.",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
