"""What the monitor sees day by day: drift over time and weekly AP with error bars, per incident.

For each incident (drill timeline, small preset): train the champion, replay days 42-104 through
it (`reference_impl.monitor.drill.run_drill` without the challenger), and record

* `daily`: for each day from the end of the reference window, the PSI of the trailing seven days
  against the reference window (the monitor's daily report): the largest over the features, the
  largest over the amount features, and the score's;
* `weekly`: AP of each labelled week with its card × terminal bootstrap standard error
  (`reference_impl.monitor.uncertainty`), and the week's frauds.

Lesson 7.2 and 7.3 draw these series (`make numbers` writes course/_data/drift_timeline_small.json).

Run: .venv/bin/python benchmarks/monitor_timeline.py [--seed 0] [--incidents ...] [--out F.json]
About 10 s per incident on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl import schemas as s  # noqa: E402
from reference_impl.monitor.decide import Thresholds  # noqa: E402
from reference_impl.monitor.drill import run_drill, train_champion  # noqa: E402
from reference_impl.monitor.performance import DAY, SCORE  # noqa: E402
from reference_impl.monitor.timeline import DRILL  # noqa: E402
from reference_impl.monitor.uncertainty import (  # noqa: E402
    RankedScores,
    replicate_weights,
    standard_error,
)

OUT = ROOT / "build" / "reports" / "monitor_timeline" / "timeline.json"
INCIDENTS = ("spending_inflation", "volume_growth", "fast_compromises")
AMOUNT_FEATURES = [c for c in s.FEATURE_COLUMNS if "AMOUNT" in c]


def weekly_ap(log: Any, *, first: int, last: int) -> list[dict[str, float]]:
    """AP ± standard error of each whole labelled week from `first` to `last`."""
    rows = []
    for lo in range(first, last - 5, 7):
        week = log[(log[DAY] >= lo) & (log[DAY] <= lo + 6)]
        if week[s.TX_FRAUD].sum() == 0:
            continue
        ranked = RankedScores(week[s.TX_FRAUD].to_numpy(), week[SCORE].to_numpy())
        weights = replicate_weights(week[s.CUSTOMER_ID], week[s.TERMINAL_ID], n=100, seed=lo)
        rows.append(
            {
                "first_day": lo,
                "ap": round(ranked.average_precision(), 4),
                "ap_se": round(standard_error([ranked.average_precision(w) for w in weights]), 4),
                "frauds": int(week[s.TX_FRAUD].sum()),
            }
        )
    return rows


def timeline(incident: str, champion: Any, *, seed: int) -> dict[str, Any]:
    # No challenger: only the series are needed.
    result, log = run_drill(incident, champion, seed=seed, fit=None)
    daily = result.daily_psi
    features = [c for c in daily.columns if c != SCORE]
    return {
        "daily": {
            str(day): {
                "max_feature_psi": round(float(row[features].max()), 4),
                "amount_psi": round(float(row[AMOUNT_FEATURES].max()), 4),
                "score_psi": round(float(row[SCORE]), 4),
            }
            for day, row in daily.iterrows()
        },
        "weekly": weekly_ap(log, first=DRILL.reference[0], last=DRILL.today - s.DEFAULT_DELAY_DAYS),
        "decision": result.decision.action.value,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--incidents", nargs="+", default=list(INCIDENTS))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    champion = train_champion(seed=args.seed)
    thresholds = Thresholds()
    out = {
        "seed": args.seed,
        "preset": "small",
        "timeline": {
            "reference": list(DRILL.reference),
            "drift_start": DRILL.drift_start,
            "current": list(DRILL.current),
        },  # fmt: skip
        "thresholds": {"psi_warning": thresholds.psi_warning, "psi_alarm": thresholds.psi_alarm},
        "incidents": {name: timeline(name, champion, seed=args.seed) for name in args.incidents},
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out} ({out['seconds']} s)")


if __name__ == "__main__":
    main()
