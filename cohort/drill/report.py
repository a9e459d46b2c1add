"""Drill reports: per group a Markdown table, JSON and a plot; a cohort leaderboard."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

from cohort.drill.replay import Answer
from cohort.drill.traffic import WINDOWS

if TYPE_CHECKING:
    from cohort.drill.run import DrillResult


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "raised" if value else "quiet"
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_markdown(result: DrillResult) -> str:
    s = result.score
    lines = [
        f"# Live drill: {result.group}",
        "",
        f"**Score {s.total:.2f}** (availability {s.availability:.2f}, latency {s.latency:.2f}, "
        f"KPI {s.kpi:.2f}, monitor {s.monitor:.2f}) · service: {result.reason} · "
        f"{result.seconds:g} s",
        "",
        "| window | incident | sent | answered | failed | bad rows refused | p50 ms | p99 ms "
        "| KPI | no-model KPI | monitor |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k, w in enumerate(result.windows, 1):
        lines.append(
            f"| {k} | {w.name}: {'; '.join(w.notes) or 'as recorded'} | {w.sent} | {w.answered} "
            f"| {w.failed} | {w.rejected_bad} | {_cell(w.p50_ms)} | {_cell(w.p99_ms)} "
            f"| {_cell(w.kpi)} | {_cell(w.kpi_baseline)} | {_cell(w.monitor_raised)} |"
        )
    lines += ["", f"![latency and KPI per window]({result.group}.png)", ""]
    return "\n".join(lines)


def plot(result: DrillResult, answers: list[Answer], path: Path) -> None:
    """Latency of every request (coloured by window) and the KPI per window vs no model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for k, name in enumerate(WINDOWS):
        mine = [(n, a) for n, a in enumerate(answers) if a.window == k]
        ok = [(n, a.latency_s * 1000) for n, a in mine if a.status]
        failed = [n for n, a in mine if not a.status or a.status >= 500]
        if ok:
            left.scatter(*zip(*ok, strict=True), s=4, label=name)
        if failed:
            left.scatter(failed, [0] * len(failed), s=12, marker="x", color="red")
    left.set(xlabel="request", ylabel="latency (ms)", title=f"{result.group}: requests")
    if left.get_legend_handles_labels()[0]:
        left.legend(fontsize=7)
    names = [w.name for w in result.windows]
    xs = range(len(names))
    right.bar([x - 0.2 for x in xs], [w.kpi or 0 for w in result.windows], 0.4, label="served")
    right.bar([x + 0.2 for x in xs], [w.kpi_baseline or 0 for w in result.windows], 0.4,
              label="no model")  # fmt: skip
    right.set_xticks(list(xs), names, fontsize=7, rotation=15)
    right.set(ylabel="KPI (lower is better)", title="delayed-label KPI per window")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_group(result: DrillResult, answers: list[Answer], out_dir: Path) -> None:
    (out_dir / f"{result.group}.json").write_text(
        json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / f"{result.group}.md").write_text(to_markdown(result), encoding="utf-8")
    plot(result, answers, out_dir / f"{result.group}.png")


def write_leaderboard(results: list[DrillResult], errors: dict[str, str], out_dir: Path) -> None:
    ranked = sorted(results, key=lambda r: -r.score.total)
    header = ["rank", "group", "score", "availability", "latency", "kpi", "monitor", "p99_ms"]
    rows = [
        [k, r.group, r.score.total, r.score.availability, r.score.latency, r.score.kpi,
         r.score.monitor, r.score.p99_ms]
        for k, r in enumerate(ranked, 1)
    ]  # fmt: skip
    with (out_dir / "leaderboard.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    (out_dir / "leaderboard.json").write_text(
        json.dumps([dict(zip(header, r, strict=True)) for r in rows], indent=2) + "\n",
        encoding="utf-8",
    )
    md = ["# Live drill leaderboard", "", "| " + " | ".join(header) + " |",
          "|" + "---|" * len(header)]  # fmt: skip
    md += [
        "| " + " | ".join(f"[{c}]({c}.md)" if i == 1 else _cell(c) for i, c in enumerate(r)) + " |"
        for r in rows
    ]
    md += ["", *(f"- not drilled: {name}: {why}" for name, why in errors.items())]
    (out_dir / "leaderboard.md").write_text("\n".join(md) + "\n", encoding="utf-8")
