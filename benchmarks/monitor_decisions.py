"""Does the monitor decide right on every seed? Decision matrix (seeds × incidents) and signals.

For each seed: train the champion (drill timeline, small preset), run every scripted incident
end to end (`reference_impl.monitor.drill.run_drill`: simulate, replay, monitor, challenger), and
record the decision against the expected one with the signals behind it: the worst feature PSI,
score PSI, KS of the amount, AP and CP@100 of the reference and current windows with their
standard errors, the AP drop in standard errors, the challenger's paired gain, per-scenario
recall. `--calibration` also checks the error bars themselves: on drift-free traffic, consecutive
four-week (and two-week) windows' AP differences divided by their bootstrap SE should have sd ≈ 1.

Run: .venv/bin/python benchmarks/monitor_decisions.py [--seeds 0 1 2 3 4] [--calibration]
Writes build/reports/monitor_decisions/{decisions.json,decisions.png} and prints the table.
About 30 s per seed on an idle 2-core machine (+ 15 s per seed for --calibration).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl import schemas as s  # noqa: E402
from reference_impl.monitor.drill import Timeline, run_drill, train_champion  # noqa: E402
from reference_impl.monitor.incidents import INCIDENTS  # noqa: E402
from reference_impl.monitor.job import MonitorResult  # noqa: E402
from reference_impl.monitor.performance import SCORE, window_performance  # noqa: E402
from reference_impl.monitor.replay import local_scorer, replay, simulate_incident  # noqa: E402

OUT = ROOT / "build" / "reports" / "monitor_decisions"


def signals(result: MonitorResult) -> dict[str, Any]:
    """The numbers behind one decision."""
    ref, cur, ch = result.reference, result.current, result.challenger
    assert ref is not None and cur is not None
    features = [d for d in result.drift if d.column != SCORE]
    worst = max(features, key=lambda d: d.psi)
    score = next(d for d in result.drift if d.column == SCORE)
    amount = next(d for d in result.drift if d.column == s.TX_AMOUNT)
    drop_se = math.hypot(ref.average_precision_se, cur.average_precision_se)
    return {
        "worst_feature": worst.column,
        "worst_feature_psi": worst.psi,
        "score_psi": score.psi,
        "amount_ks": amount.ks,
        "ap_reference": ref.average_precision,
        "ap_reference_se": ref.average_precision_se,
        "ap_current": cur.average_precision,
        "ap_current_se": cur.average_precision_se,
        "ap_drop_z": round((ref.average_precision - cur.average_precision) / drop_se, 2),
        "cp_reference": ref.card_precision_at_k,
        "cp_reference_se": ref.card_precision_se,
        "cp_current": cur.card_precision_at_k,
        "cp_current_se": cur.card_precision_se,
        "challenger_gain": ch.gain if ch else None,
        "challenger_gain_se": ch.gain_se if ch else None,
        "challenger_ap": ch.average_precision if ch else None,
        "recall_reference": ref.recall_by_scenario,
        "recall_current": cur.recall_by_scenario,
        "recall_current_se": cur.recall_se_by_scenario,
        "recall_drop_z": max(
            (
                (ref.recall_by_scenario[k] - cur.recall_by_scenario[k])
                / math.hypot(ref.recall_se_by_scenario[k], cur.recall_se_by_scenario[k])
                for k in cur.recall_by_scenario
                if k in ref.recall_by_scenario
                and math.hypot(ref.recall_se_by_scenario[k], cur.recall_se_by_scenario[k]) > 0
            ),
            default=0.0,
        ),
        "residual_fraud_count": cur.residual_fraud_count,
        "residual_fraud_count_se": cur.residual_fraud_count_se,
    }


def run_seed(seed: int, advance: Any) -> list[dict[str, Any]]:
    champion = train_champion(seed=seed)
    rows = []
    for name, incident in INCIDENTS.items():
        start = time.perf_counter()
        result, _ = run_drill(name, champion, seed=seed)
        rows.append(
            {
                "seed": seed,
                "incident": name,
                "expected": incident.expected.value,
                "decision": result.decision.action.value,
                "correct": result.decision.action is incident.expected,
                "reasons": result.decision.reasons,
                "seconds": round(time.perf_counter() - start, 1),
                **signals(result),
            }
        )
        advance()
    return rows


def calibration(seed: int) -> dict[int, list[float]]:
    """z of AP differences between consecutive drift-free windows (two and four weeks)."""
    timeline = Timeline()
    log = replay(
        simulate_incident("none", seed=seed, n_days=120),
        local_scorer(train_champion(seed=seed)),
        range(timeline.reference[0], 120),
    )
    out: dict[int, list[float]] = {}
    for length in (14, 28):
        perf = [
            window_performance(
                log[log[s.TX_TIME_DAYS].between(lo, lo + length - 1)], alerts_per_day=10
            )
            for lo in range(timeline.reference[0], 120 - length + 1, length)
        ]
        out[length] = [
            (b.average_precision - a.average_precision)
            / math.hypot(a.average_precision_se, b.average_precision_se)
            for a, b in zip(perf, perf[1:], strict=False)
        ]
    return out


def print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Monitor decisions (small preset; ✓ = expected)")
    for col in (
        "seed",
        "incident",
        "decision",
        "PSI feat/score",
        "AP ref → cur",
        "drop z",
        "CP@100 ref → cur",
        "challenger gain",
        "S3 recall",
        "S2 recall",
    ):
        table.add_column(col)
    for r in rows:
        rec = [
            f"{r['recall_reference'].get(k, float('nan')):.2f} → "
            f"{r['recall_current'].get(k, float('nan')):.2f}±{r['recall_current_se'].get(k, 0):.2f}"
            for k in (3, 2)
        ]
        gain = r["challenger_gain"]
        table.add_row(
            str(r["seed"]),
            r["incident"],
            ("✓ " if r["correct"] else "✗ ") + r["decision"],
            f"{r['worst_feature_psi']:.3f} / {r['score_psi']:.3f}",
            f"{r['ap_reference']:.3f}±{r['ap_reference_se']:.3f} → "
            f"{r['ap_current']:.3f}±{r['ap_current_se']:.3f}",
            f"{r['ap_drop_z']:+.1f}",
            f"{r['cp_reference']:.3f} → {r['cp_current']:.3f}±{r['cp_current_se']:.3f}",
            "—" if gain is None else f"{gain:+.3f}±{r['challenger_gain_se']:.3f}",
            *rec,
        )
    Console(width=200).print(table)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seeds = sorted({r["seed"] for r in rows})
    names = list(INCIDENTS)
    cell = {(r["seed"], r["incident"]): r for r in rows}
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(15, 4.5), dpi=100)
    ok = np.array([[cell[(sd, n)]["correct"] for n in names] for sd in seeds], float)
    ax.imshow(ok, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    for i, sd in enumerate(seeds):
        for j, n in enumerate(names):
            ax.text(
                j,
                i,
                cell[(sd, n)]["decision"].replace("_", " "),
                ha="center",
                va="center",
                fontsize=8,
            )
    ax.set_xticks(
        range(len(names)),
        [f"{n}\n(expect {INCIDENTS[n].expected.value})" for n in names],
        fontsize=7,
    )
    ax.set_yticks(range(len(seeds)), [f"seed {sd}" for sd in seeds])
    ax.set_title(f"decision per seed: {int(ok.sum())}/{ok.size} as expected")
    series = {
        "AP drop": ("tab:red", -0.2, lambda r: r["ap_drop_z"]),
        "worst scenario recall drop": ("tab:orange", 0.0, lambda r: r["recall_drop_z"]),
        "challenger gain": (
            "tab:blue",
            0.2,
            lambda r: (
                r["challenger_gain"] / r["challenger_gain_se"]
                if r["challenger_gain_se"]
                else float("nan")
            ),
        ),
    }
    for label, (colour, shift, value) in series.items():
        xs = [j + shift for j, n in enumerate(names) for _ in seeds]
        ys = [value(cell[(sd, n)]) for n in names for sd in seeds]
        bx.scatter(xs, ys, color=colour, s=18, label=f"{label} (z)")
    bx.axhline(2, color="grey", ls="--", lw=1)
    bx.text(len(names) - 0.5, 2.2, "z = 2", ha="right", fontsize=8, color="grey")
    bx.set_yscale("symlog", linthresh=3)
    bx.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
    bx.set_title("evidence in standard errors (each dot a seed)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--calibration", action="store_true", help="Also check the error bars.")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    from rich.progress import Progress

    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with Progress(transient=True) as bar:
        task = bar.add_task("drills", total=len(args.seeds) * len(INCIDENTS))
        for seed in args.seeds:
            rows += run_seed(seed, lambda: bar.advance(task))
    print_table(rows)
    for r in rows:
        if not r["correct"]:
            print(f"✗ seed {r['seed']} {r['incident']}: {' | '.join(r['reasons'])}")
    report: dict[str, Any] = {
        "seeds": args.seeds,
        "correct": sum(r["correct"] for r in rows),
        "total": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": os.getloadavg(),
        "rows": rows,
    }
    print(
        f"{report['correct']}/{report['total']} decisions as expected in {report['seconds']} s"
        f" (load average {report['load_average'][0]:.1f})"
    )
    if args.calibration:
        z: dict[int, list[float]] = {14: [], 28: []}
        for seed in args.seeds:
            for length, values in calibration(seed).items():
                z[length] += values
        report["calibration"] = {
            str(k): {
                "n": len(v),
                "sd_z": round(float(np.std(v)), 2),
                "max_abs_z": round(float(np.max(np.abs(v))), 2),
            }
            for k, v in z.items()
        }
        for k, v in report["calibration"].items():
            print(
                f"drift-free {k}-day windows: sd of AP-difference z = {v['sd_z']} "
                f"(n = {v['n']}, max |z| = {v['max_abs_z']}); 1 = error bars right"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / ".decisions.json.tmp"
    tmp.write_text(json.dumps(report, indent=2, default=str))
    os.replace(tmp, args.out / "decisions.json")
    plot(rows, args.out / "decisions.png")
    print(f"wrote {args.out / 'decisions.json'} and {args.out / 'decisions.png'}")


if __name__ == "__main__":
    main()
