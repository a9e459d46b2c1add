"""Monitor reports: JSON for machines, one self-contained HTML page (inline PNG plots) for people.

Both are written atomically (`reference_impl.atomic`), so a reader never sees half a report.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from reference_impl.atomic import write_text
from reference_impl.monitor.decide import Thresholds
from reference_impl.monitor.job import MonitorResult

LEVEL_COLOURS = {"ok": "#e8f5e9", "warning": "#fff3cd", "alarm": "#f8d7da"}
ACTION_COLOURS = {"no_action": "#2e7d32", "investigate": "#b26a00", "retrain": "#c62828"}


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _drift_plot(result: MonitorResult, psi_alarm: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    daily = result.daily_psi
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    if not daily.empty:
        image = ax.imshow(
            daily.T.to_numpy(), aspect="auto", cmap="Reds", vmin=0, vmax=max(psi_alarm * 2, 0.01)
        )
        ax.set_yticks(range(len(daily.columns)), [c.replace("_WINDOW", "") for c in daily.columns])
        ticks = list(range(0, len(daily.index), max(1, len(daily.index) // 12)))
        ax.set_xticks(ticks, [str(daily.index[i]) for i in ticks])
        fig.colorbar(image, ax=ax, label="PSI of the trailing 7 days vs reference")
    ax.set_xlabel("day")
    ax.set_title("Drift per feature over time (PSI, trailing 7 days)")
    return _png(fig)


def _kpi_plot(result: MonitorResult, kpi_limit: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, mid, bottom) = plt.subplots(3, 1, figsize=(9, 7), dpi=100, sharex=True)
    weekly = result.weekly
    if not weekly.empty:
        x = weekly["first_day"]
        top.plot(x, weekly["average_precision"], "o-", label="AP")
        top.plot(x, weekly["card_precision_at_k"], "s-", label="CP@100")
        top.set_ylim(0, 1)
        top.legend()
        mid.plot(x, weekly["residual_fraud_count"] * 100, "o-", label="by count")
        mid.plot(x, weekly["residual_fraud_amount"] * 100, "s-", label="by amount")
        mid.axhline(kpi_limit * 100, color="red", linestyle="--", label="limit")
        mid.legend()
    top.set_title("Delayed-label performance per week (labels after the delay)")
    mid.set_ylabel("residual fraud %")
    bottom.bar(result.volume.index, result.volume.to_numpy(), color="grey")
    bottom.set_ylabel("transactions/day")
    bottom.set_xlabel("day")
    return _png(fig)


def _drift_rows(result: MonitorResult) -> str:
    rows = []
    for d in sorted(result.drift, key=lambda d: -d.psi):
        rows.append(
            f'<tr style="background:{LEVEL_COLOURS[d.level]}"><td>{html.escape(d.column)}</td>'
            f"<td>{d.psi:.4f}</td><td>{d.ks:.4f}</td><td>{d.js:.4f}</td><td>{d.level}</td></tr>"
        )
    return "\n".join(rows)


def _perf_rows(result: MonitorResult) -> str:
    ref = result.reference.to_dict() if result.reference else {}
    cur = result.current.to_dict() if result.current else {}
    keys = [k for k in ref if k not in ("days",)]
    return "\n".join(
        f"<tr><td>{k}</td><td>{html.escape(str(ref.get(k)))}</td>"
        f"<td>{html.escape(str(cur.get(k, '—')))}</td></tr>"
        for k in keys
    )


def _challenger_text(result: MonitorResult) -> str:
    c = result.challenger
    if c is None:
        return "none trained"
    return f"AP {c.average_precision:.3f} (gain {c.gain:+.3f} ± {2 * c.gain_se:.3f})"


def write_reports(
    result: MonitorResult, out_dir: Path, *, thresholds: Thresholds | None = None
) -> tuple[Path, Path]:
    """Write `monitor.json` and `monitor.html` into `out_dir`; returns both paths.

    `thresholds` (default: `Thresholds()`, as the monitor's) draw the alarm lines of the plots.
    """
    t = thresholds or Thresholds()
    data = result.to_dict()
    json_path = write_text(out_dir / "monitor.json", json.dumps(data, indent=2, default=str))
    action = result.decision.action.value
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in result.decision.reasons)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fraud model monitor: {action}</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head>
<body>
<h1>Decision: <span style="color:{ACTION_COLOURS[action]}">{action.replace("_", " ")}</span></h1>
<ul>{reasons}</ul>
<p>Reference days {result.reference_days[0]}–{result.reference_days[1]};
current days {result.current_days[0]}–{result.current_days[1]};
labelled: {html.escape(str(result.labelled_days))};
challenger: {html.escape(_challenger_text(result))}.</p>
<h2>Input drift (reference vs current)</h2>
<table><tr><th>column</th><th>PSI</th><th>KS D</th><th>JS distance</th><th>level</th></tr>
{_drift_rows(result)}</table>
<img alt="daily PSI per feature" src="data:image/png;base64,{_drift_plot(result, t.psi_alarm)}">
<h2>Delayed-label performance</h2>
<table><tr><th>metric</th><th>reference</th><th>current</th></tr>{_perf_rows(result)}</table>
<img alt="weekly AP, CP@100 and KPI" src="data:image/png;base64,{_kpi_plot(result, t.kpi_limit)}">
</body></html>
"""
    return json_path, write_text(out_dir / "monitor.html", page)
