"""Benchmark of the data side of the reference fraud system (simulate, validate, features, online).

Measures on the `full` preset (or --preset): `fraud simulate` end to end in a child process (wall
time and peak RSS), validation, batch features, the online feature store, and naive pandas
baselines in the same run (handbook-style per-customer loops / groupby-rolling on a subset of
customers, scaled linearly). Prints a table, writes JSON and a bar chart under
<root>/reports/benchmarks/.

    python benchmarks/reference_data.py                 # full preset, targets of issue 5
    python benchmarks/reference_data.py --preset small  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reference_impl import schemas as s
from reference_impl.config import get_settings
from reference_impl.features import build_features
from reference_impl.online import OnlineFeatureState
from reference_impl.simulate import config_for, load_transactions
from reference_impl.validate import validate

TARGETS = {"simulate_s": 10.0, "simulate_rss_mb": 2048.0, "features_s": 5.0}


CPU: dict[str, float] = {}  # CPU seconds per stage: wall time is inflated on a shared machine


def timed(fn: Any, *args: Any, label: str = "", **kwargs: Any) -> tuple[Any, float]:
    """Run fn; return its result and wall seconds (CPU seconds go to CPU[label])."""
    started, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    if label:
        CPU[label] = time.process_time() - cpu
    return out, time.perf_counter() - started


def simulate_cli(preset: str, out: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of `fraud simulate` in a fresh process."""
    cmd = [str(Path(sys.executable).parent / "fraud"), "simulate", "--preset", preset]
    cmd += ["--seed", "0", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["simulate_cli_s"] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 1024


def naive_simulate(n_customers: int, preset: str) -> float:
    """Handbook-style generation: Python loops per customer and day (time for n customers)."""
    cfg = config_for(preset)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    rows = []
    for c in range(n_customers):
        mean, per_day = rng.uniform(5, 100), rng.uniform(0, 4)
        terminals = list(range(75))
        for day in range(cfg.n_days):
            for _ in range(rng.poisson(per_day)):
                tod = int(rng.normal(43_200, 20_000))
                if 0 < tod < 86_400:
                    amount = rng.normal(mean, mean / 2)
                    amount = rng.uniform(0, 2 * mean) if amount < 0 else amount
                    rows.append(
                        (tod + day * 86_400, day, c, rng.choice(terminals), round(amount, 2))
                    )
    pd.DataFrame(rows, columns=["s", "d", "c", "t", "a"])
    return time.perf_counter() - started


def naive_customer_features(tx: pd.DataFrame) -> pd.DataFrame:
    """Handbook-style: per-customer groupby + time-based rolling windows."""

    def per_customer(g: pd.DataFrame) -> pd.DataFrame:
        g = g.sort_values(s.TX_DATETIME).set_index(s.TX_DATETIME)
        out = pd.DataFrame(index=g[s.TRANSACTION_ID].to_numpy())
        for n in s.WINDOWS:
            roll = g[s.TX_AMOUNT].rolling(f"{n}D")
            out[s.customer_nb_tx(n)] = roll.count().to_numpy()
            out[s.customer_avg_amount(n)] = (roll.sum() / roll.count()).to_numpy()
        return out

    return pd.concat([per_customer(g) for _, g in tx.groupby(s.CUSTOMER_ID)]).sort_index()


def naive_terminal_features(tx: pd.DataFrame, delay: int = 7) -> None:
    """Handbook-style delayed terminal risk: rolling count/sum minus the delay window."""
    for _, g in tx.groupby(s.TERMINAL_ID):
        g = g.sort_values(s.TX_DATETIME).set_index(s.TX_DATETIME)
        delay_fraud = g[s.TX_FRAUD].rolling(f"{delay}D").sum()
        delay_count = g[s.TX_FRAUD].rolling(f"{delay}D").count()
        for n in s.WINDOWS:
            fraud = g[s.TX_FRAUD].rolling(f"{delay + n}D").sum() - delay_fraud
            count = g[s.TX_FRAUD].rolling(f"{delay + n}D").count() - delay_count
            (fraud / count.replace(0, np.nan)).fillna(0)


def online_latency(tx: pd.DataFrame, n: int = 5000) -> tuple[float, float]:
    """Seconds to build the store from history, and mean µs per features_for + update."""
    as_of = tx[s.TX_DATETIME].iloc[len(tx) - n]
    state, build = timed(OnlineFeatureState.from_history, tx, as_of)
    rest = tx.iloc[len(tx) - n :].to_dict("records")
    started = time.perf_counter()
    for rec in rest:
        state.features_for(rec)
        state.update(rec, label=rec[s.TX_FRAUD])
    return build, (time.perf_counter() - started) / len(rest) * 1e6


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["simulate", "customer features", "terminal features"]
    ours = [
        results["simulate_inproc_s"],
        results["customer_features_s"],
        results["terminal_features_s"],
    ]
    naive = [results["naive_simulate_s"], results["naive_customer_s"], results["naive_terminal_s"]]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(x - 0.2, ours, 0.4, label="vectorised (this repo)")
    ax.bar(x + 0.2, naive, 0.4, label="naive pandas/Python (scaled estimate)")
    ax.set_yscale("log")
    ax.set_xticks(x, labels)
    ax.set_ylabel("seconds (log)")
    ax.set_title(
        f"Data stages on the {results['preset']} preset ({results['n_transactions']:,} tx)"
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(preset: str, subset: int) -> dict[str, Any]:
    from reference_impl.features import CustomerSpendingFeatures, TerminalRiskFeatures
    from reference_impl.simulate import simulate

    cfg = config_for(preset)
    r: dict[str, Any] = {"preset": preset}
    with tempfile.TemporaryDirectory(prefix="bench-raw-") as tmp:
        raw = Path(tmp) / "raw"
        r["simulate_cli_s"], r["simulate_rss_mb"] = simulate_cli(preset, raw)
        report, r["validate_s"] = timed(validate, raw, label="validate_s")
        r["valid"] = report.ok
        tx, r["load_s"] = timed(load_transactions, raw, label="load_s")
    r["n_transactions"] = len(tx)
    _, r["simulate_inproc_s"] = timed(simulate, cfg, label="simulate_inproc_s")
    _, r["features_s"] = timed(build_features, tx, label="features_s")
    _, r["customer_features_s"] = timed(
        CustomerSpendingFeatures().fit_transform, tx, label="customer_features_s"
    )
    _, r["terminal_features_s"] = timed(
        TerminalRiskFeatures().fit_transform, tx, label="terminal_features_s"
    )

    # Naive baselines on a subset, scaled linearly to the whole preset.
    customers = tx[tx[s.CUSTOMER_ID] < subset]
    naive, t_naive = timed(naive_customer_features, customers)
    r["naive_customer_s"] = t_naive * cfg.n_customers / subset
    ours = CustomerSpendingFeatures().fit_transform(customers).set_index(s.TRANSACTION_ID)
    r["naive_customer_matches"] = bool(
        np.allclose(ours.loc[naive.index, naive.columns].to_numpy(), naive.to_numpy(), rtol=1e-9)
    )
    n_terms = subset * cfg.n_terminals // cfg.n_customers
    _, t_term = timed(naive_terminal_features, tx[tx[s.TERMINAL_ID] < n_terms])
    r["naive_terminal_s"] = t_term * cfg.n_terminals / n_terms
    sim_subset = max(subset // 5, 20)
    r["naive_simulate_s"] = naive_simulate(sim_subset, preset) * cfg.n_customers / sim_subset
    r["online_from_history_s"], r["online_us_per_tx"] = online_latency(tx)
    r["cpu_s"] = dict(CPU)
    r["load_average"] = list(os.getloadavg())
    return r


def table(r: dict[str, Any]) -> str:
    rows = [
        (
            "fraud simulate (CLI, wall)",
            r["simulate_cli_s"],
            TARGETS["simulate_s"],
            r["naive_simulate_s"],
        ),
        ("simulate() in process", r["simulate_inproc_s"], None, r["naive_simulate_s"]),
        ("validate (contract)", r["validate_s"], None, None),
        ("load partitions", r["load_s"], None, None),
        (
            "build_features (15)",
            r["features_s"],
            TARGETS["features_s"],
            r["naive_customer_s"] + r["naive_terminal_s"],
        ),
        ("  customer windows", r["customer_features_s"], None, r["naive_customer_s"]),
        ("  terminal windows", r["terminal_features_s"], None, r["naive_terminal_s"]),
        ("online store from history", r["online_from_history_s"], None, None),
    ]
    keys = ["simulate_cli_s", "simulate_inproc_s", "validate_s", "load_s", "features_s"]
    keys += ["customer_features_s", "terminal_features_s", ""]
    head = (
        f"{'stage':28} {'wall s':>7} {'cpu s':>6} {'target':>6} {'naive est.':>10} {'speed-up':>8}"
    )
    out = [head]
    for (name, sec, target, naive), key in zip(rows, keys, strict=True):
        cpu = f"{r['cpu_s'][key]:.2f}" if key in r["cpu_s"] else "-"
        tgt = f"{target:.0f}" if target else "-"
        nv = f"{naive:.1f}" if naive else "-"
        up = f"{naive / sec:.0f}x" if naive else "-"
        out.append(f"{name:28} {sec:7.2f} {cpu:>6} {tgt:>6} {nv:>10} {up:>8}")
    out.append(f"load average during the run: {', '.join(f'{x:.1f}' for x in r['load_average'])}")
    out.append(f"peak RSS of fraud simulate: {r['simulate_rss_mb']:.0f} MB (target <= 2048 MB)")
    out.append(f"online features_for + update: {r['online_us_per_tx']:.0f} µs per transaction")
    out.append(f"naive customer features equal ours: {r['naive_customer_matches']}")
    out.append(f"data valid: {r['valid']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="full", choices=["tiny", "small", "full"])
    parser.add_argument("--subset", type=int, default=200, help="customers in the naive baselines")
    args = parser.parse_args(argv)
    r = run(args.preset, args.subset)
    print(table(r))
    out = get_settings().reports_dir / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"reference_data_{args.preset}.json").write_text(json.dumps(r, indent=2) + "\n")
    plot(r, out / f"reference_data_{args.preset}.png")
    print(f"-> {out / f'reference_data_{args.preset}.json'} and .png")
    measured = {key: r[{"simulate_s": "simulate_cli_s"}.get(key, key)] for key in TARGETS}
    missed = [f"{k} = {v:.2f} > {TARGETS[k]:g}" for k, v in measured.items() if v > TARGETS[k]]
    if args.preset == "full" and missed:
        load = ", ".join(f"{x:.1f}" for x in r["load_average"])
        print(f"target missed: {'; '.join(missed)} (load average {load}; compare CPU seconds)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
