"""SM-2 vs FSRS-6 on this course's flashcards: simulated learners, two memory models.

A **simulation**, not a measurement on people. Simulated learners take the course one module a
week, meet the course's real decks (`course/*/flashcards.yml`: their sizes and order) at the
site's pace of new cards, review every card the day it is due (no backlog), and sit an exam a week
after the last module. The same learners are scheduled twice, by SM-2 as this site ran it until
issue 23 and by FSRS-6 with its published default parameters (as the site runs it now), and the
script reports what each costs (reviews per day) and what each buys (the share of cards a learner
would recall at the exam).

What the learners' memory does is an assumption, so there are two ground truths:

* `fsrs`: memory follows FSRS-6's own model (power forgetting curve, stability growth that depends
  on difficulty, stability and retrievability) with each learner-card pair's difficulty shifted by
  noise (sd 1.5 on FSRS's 1-10 scale) and each learner's stabilities scaled (log-sd 0.3). The
  scheduler does not know the shifts. This favours FSRS: its model is the truth, up to the noise.
* `exponential`: the model SM-2's design assumes: exponential forgetting (R = 0.9^(t/S)), the same
  first stabilities as FSRS's (times a pair's own noise, log-sd 0.4), and each successful review
  multiplies S by the pair's own factor (log-normal, median 2.2, clipped to 1.3-4) whatever the
  spacing; a lapse multiplies it by 0.3. FSRS's power curve and spacing effect are wrong here.

Both: recall is drawn with the true probability; a recalled card gets hard / good / easy with
probabilities 0.224 / 0.631 / 0.145 and a new card's first grade again / hard / good / easy with
0.24 / 0.094 / 0.495 / 0.171 (the fsrs-rs simulator's defaults, fitted on Anki users); "again"
is followed by a same-day re-study the learner passes (one more review, as the site keeps a
failed card in today's queue). Days are whole: no learning steps, no fuzz, as on the site.

The trade-off curve: FSRS's desired retention and an interval modifier on SM-2 (as Anki's) are
swept, and the reviews needed to reach a target exam retention are read off each curve by linear
interpolation.

Run: .venv/bin/python benchmarks/scheduler_simulation.py [--learners 100] [--seed 0] [--pace 10]
     [--out build/numbers/scheduler_simulation.json] [--plot build/reports/scheduler.png]
About 5 s on one core. `python tools/course_numbers.py --only scheduler_simulation` (or `make
numbers-full`) writes course/_data/scheduler_simulation.json, which the
"How this course works" page quotes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"

# FSRS-6 default parameters (ts-fsrs 5.x / py-fsrs DEFAULT_PARAMETERS, as the site uses them).
W = np.array(
    [0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796,
     1.4835, 0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.1542]
)  # fmt: skip
DECAY = -W[20]
FACTOR = 0.9 ** (1 / DECAY) - 1
S_MIN, S_MAX = 1e-3, 36500.0  # ts-fsrs clamps stability to this range
FIRST_GRADE_P = (0.24, 0.094, 0.495, 0.171)  # again, hard, good, easy (fsrs-rs simulator)
REVIEW_GRADE_P = (0.224, 0.631, 0.145)  # hard, good, easy given recall (fsrs-rs simulator)
SM2_QUALITY = np.array([0, 1, 3, 4, 5])  # grade 1..4 -> SM-2 quality, as the site mapped them
FSRS_RETENTIONS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99)
SM2_MODIFIERS = (0.2, 0.3, 0.45, 0.65, 1.0, 1.5, 2.2, 3.3, 5.0, 8.0, 12.0, 20.0)
TARGETS = (0.8, 0.85, 0.9, 0.95)  # exam recall the workload comparison aims at


def load_decks(course: Path = COURSE) -> list[tuple[str, int]]:
    """(module folder, number of cards) in course order, from the real flashcard files."""
    decks = []
    for path in sorted(course.glob("[0-9][0-9]-*/flashcards.yml")):
        cards = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cards") or []
        if cards:
            decks.append((path.parent.name, len(cards)))
    if not decks:
        raise SystemExit(f"error: no flashcards.yml under {course}")
    return decks


def introduction_days(decks: list[tuple[str, int]], pace: int, week: int = 7) -> np.ndarray:
    """The day each card is first shown: module m opens on day m * week; at most `pace` new cards
    a day across the course, in course order (the site's global new-card pace)."""
    opens = np.concatenate([np.full(n, m * week) for m, (_, n) in enumerate(decks)])
    days = np.empty(len(opens), dtype=int)
    day, used = 0, 0
    for i, opening in enumerate(opens):
        if opening > day:
            day, used = opening, 0
        if used == pace:
            day, used = day + 1, 0
        days[i], used = day, used + 1
    return days


# ---- FSRS-6 formulas (the wiki's "The Algorithm"), vectorised ----
def d0(grade: np.ndarray) -> np.ndarray:
    return W[4] - np.exp(W[5] * (grade - 1)) + 1


def power_recall(elapsed: np.ndarray, stability: np.ndarray) -> np.ndarray:
    return (1 + FACTOR * elapsed / stability) ** DECAY


def fsrs_next(
    s: np.ndarray, d: np.ndarray, r: np.ndarray, grade: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Stability and difficulty after a review with grade 1-4 at retrievability r."""
    lapse = np.minimum(W[11] * d ** -W[12] * ((s + 1) ** W[13] - 1) * np.exp(W[14] * (1 - r)), s)
    bonus = np.where(grade == 2, W[15], 1.0) * np.where(grade == 4, W[16], 1.0)
    growth = np.exp(W[8]) * (11 - d) * s ** -W[9] * (np.exp(W[10] * (1 - r)) - 1) * bonus
    s2 = np.clip(np.where(grade == 1, lapse, s * (1 + growth)), S_MIN, S_MAX)
    d2 = d - W[6] * (grade - 3) * (10 - d) / 9
    return s2, np.clip(W[7] * d0(np.array(4.0)) + (1 - W[7]) * d2, 1, 10)


def fsrs_interval(stability: np.ndarray, retention: float) -> np.ndarray:
    return np.maximum(1, np.round(stability / FACTOR * (retention ** (1 / DECAY) - 1)))


# ---- ground truths: what the simulated learners' memory does ----
class FsrsTruth:
    """FSRS-6's model with per learner-card difficulty noise and per-learner stability scale."""

    name = "fsrs"

    def __init__(self, shape: tuple[int, int], rng: np.random.Generator) -> None:
        self.shift = rng.normal(0, 1.5, shape)
        self.scale = np.exp(rng.normal(0, 0.3, (shape[0], 1))) * np.ones(shape)
        self.s = np.ones(shape)
        self.d = np.ones(shape)

    def recall(self, m: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
        return power_recall(elapsed, self.s[m])

    def learn(self, m: np.ndarray, grade: np.ndarray) -> None:
        self.s[m] = W[grade - 1] * self.scale[m]
        self.d[m] = np.clip(d0(grade) + self.shift[m], 1, 10)

    def review(self, m: np.ndarray, r: np.ndarray, grade: np.ndarray) -> None:
        s, scale = self.s[m], self.scale[m]
        s2, self.d[m] = fsrs_next(s, self.d[m], r, grade)
        # The learner's scale applies to what a success adds and to what a lapse leaves.
        self.s[m] = np.where(grade == 1, np.clip(s2 * scale, S_MIN, s), s + (s2 - s) * scale)


class ExponentialTruth:
    """Exponential forgetting; each success multiplies stability by the pair's own factor."""

    name = "exponential"

    def __init__(self, shape: tuple[int, int], rng: np.random.Generator) -> None:
        self.growth = np.clip(np.exp(rng.normal(math.log(2.2), 0.35, shape)), 1.3, 4.0)
        self.first = np.exp(rng.normal(0, 0.4, shape))
        self.s = np.ones(shape)  # days until recall falls to 90 %, as FSRS's stability

    def recall(self, m: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
        return 0.9 ** (elapsed / self.s[m])

    def learn(self, m: np.ndarray, grade: np.ndarray) -> None:
        self.s[m] = W[grade - 1] * self.first[m]  # the same start as FSRS's, then other dynamics

    def review(self, m: np.ndarray, r: np.ndarray, grade: np.ndarray) -> None:
        s = self.s[m]
        self.s[m] = np.where(grade == 1, np.maximum(W[0], s * 0.3), s * self.growth[m])


# ---- schedulers: what the site decides from the grades alone ----
class Fsrs:
    """The site's FSRS-6: default parameters, whole days, no learning steps."""

    def __init__(self, shape: tuple[int, int], retention: float) -> None:
        self.retention = retention
        self.s = np.ones(shape)
        self.d = np.ones(shape)

    def learn(self, m: np.ndarray, grade: np.ndarray) -> np.ndarray:
        self.s[m], self.d[m] = W[grade - 1], np.clip(d0(grade), 1, 10)
        return fsrs_interval(self.s[m], self.retention)

    def review(self, m: np.ndarray, elapsed: np.ndarray, grade: np.ndarray) -> np.ndarray:
        r = power_recall(elapsed, self.s[m])
        self.s[m], self.d[m] = fsrs_next(self.s[m], self.d[m], r, grade)
        return fsrs_interval(self.s[m], self.retention)


class Sm2:
    """SM-2 as the site ran it (1 day, 6 days, then x ease; ease from the quality), with an
    optional interval modifier as in Anki. A failed card restarts at one day."""

    def __init__(self, shape: tuple[int, int], modifier: float = 1.0) -> None:
        self.modifier = modifier
        self.reps = np.zeros(shape, dtype=int)
        self.interval = np.zeros(shape)
        self.ef = np.full(shape, 2.5)

    def _grade(self, m: np.ndarray, grade: np.ndarray) -> np.ndarray:
        q = SM2_QUALITY[grade]
        ef = np.maximum(1.3, self.ef[m] + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
        fail = q < 3
        reps = np.where(fail, 1, self.reps[m] + 1)  # a failure is re-studied today: reps 1
        base = np.where(reps == 1, 1.0, np.where(reps == 2, 6.0, self.interval[m] * ef))
        interval = np.where(reps == 1, 1.0, np.maximum(1, np.round(base * self.modifier)))
        self.reps[m], self.interval[m], self.ef[m] = reps, interval, ef
        return interval

    def learn(self, m: np.ndarray, grade: np.ndarray) -> np.ndarray:
        return self._grade(m, grade)

    def review(self, m: np.ndarray, elapsed: np.ndarray, grade: np.ndarray) -> np.ndarray:
        return self._grade(m, grade)


@dataclass
class Run:
    """One scheduler on one ground truth: daily workload and what is remembered."""

    reviews_per_day: np.ndarray  # mean over learners, per day (first views and re-studies included)
    exam_retention: float  # mean over learners and cards of the true recall probability
    retention_during: float  # mean true recall probability of introduced cards, over the days

    def summary(self) -> dict[str, float]:
        return {
            "reviews_per_day": float(self.reviews_per_day.mean()),
            "reviews_total": float(self.reviews_per_day.sum()),
            "reviews_peak_week": float(
                max(
                    self.reviews_per_day[i : i + 7].mean()
                    for i in range(0, len(self.reviews_per_day), 7)
                )
            ),
            "exam_retention": self.exam_retention,
            "retention_during": self.retention_during,
        }


def simulate(
    truth_cls: Callable[..., Any],
    make_scheduler: Callable[[tuple[int, int]], Any],
    intro: np.ndarray,
    *,
    learners: int,
    exam_day: int,
    seed: int,
) -> Run:
    shape = (learners, len(intro))
    truth = truth_cls(shape, np.random.default_rng([seed, 1]))  # same learners for every scheduler
    sched = make_scheduler(shape)
    rng = np.random.default_rng([seed, 2])
    due = np.full(shape, np.iinfo(np.int64).max)
    last = np.zeros(shape, dtype=int)
    seen = np.zeros(shape, dtype=bool)
    per_day = np.zeros(exam_day)
    known = []
    for day in range(exam_day):
        shown = 0
        rev = seen & (due <= day)
        if rev.any():
            elapsed = (day - last)[rev].astype(float)
            r = truth.recall(rev, elapsed)
            recalled = rng.random(r.shape) < r
            grade = np.where(recalled, rng.choice([2, 3, 4], size=r.shape, p=REVIEW_GRADE_P), 1)
            truth.review(rev, r, grade)
            due[rev] = day + sched.review(rev, elapsed, grade).astype(int)
            last[rev] = day
            shown += rev.sum() + (grade == 1).sum()
        new = np.broadcast_to(intro == day, shape) & ~seen
        if new.any():
            grade = rng.choice([1, 2, 3, 4], size=int(new.sum()), p=FIRST_GRADE_P)
            truth.learn(new, grade)
            due[new] = day + sched.learn(new, grade).astype(int)
            last[new], seen[new] = day, True
            shown += new.sum() + (grade == 1).sum()
        per_day[day] = shown / learners
        if seen.any():  # what a learner would recall if asked at the end of the day
            known.append(truth.recall(seen, (day + 1 - last[seen]).astype(float)).mean())
    exam = truth.recall(seen, (exam_day - last[seen]).astype(float)).mean()
    return Run(per_day, float(exam), float(np.mean(known)))


def reviews_for(points: list[tuple[float, float]], target: float) -> float | None:
    """Total reviews at which the (exam retention, reviews) curve reaches `target` (linear
    interpolation between the two sweep points around it); None when the sweep never gets there."""
    pts = sorted(points)
    for (r0, n0), (r1, n1) in zip(pts, pts[1:], strict=False):
        if r0 <= target <= r1 and r1 > r0:
            return n0 + (n1 - n0) * (target - r0) / (r1 - r0)
    return None


def run(*, learners: int, seed: int, pace: int, course: Path = COURSE) -> dict[str, Any]:
    decks = load_decks(course)
    intro = introduction_days(decks, pace)
    exam_day = 7 * len(decks) + 7
    common = {"learners": learners, "exam_day": exam_day, "seed": seed}
    out: dict[str, Any] = {
        "setup": {
            "cards": int(len(intro)),
            "modules": len(decks),
            "learners": learners,
            "pace": pace,
            "exam_day": exam_day,
            "last_new_card_day": int(intro.max()),
            "seed": seed,
        },
        "truths": {},
    }
    for truth_cls in (FsrsTruth, ExponentialTruth):
        res: dict[str, Any] = {}
        sm2 = simulate(truth_cls, Sm2, intro, **common)
        fsrs = simulate(truth_cls, partial(Fsrs, retention=0.9), intro, **common)
        res["sm2"], res["fsrs"] = sm2.summary(), fsrs.summary()
        res["weekly"] = {
            f"w{i // 7}": {
                "sm2": float(sm2.reviews_per_day[i : i + 7].mean()),
                "fsrs": float(fsrs.reviews_per_day[i : i + 7].mean()),
            }
            for i in range(0, exam_day, 7)
        }
        curves: dict[str, list[tuple[float, float]]] = {"sm2": [], "fsrs": []}
        res["sweep"] = {"fsrs": {}, "sm2": {}}
        for retention in FSRS_RETENTIONS:
            s = simulate(truth_cls, partial(Fsrs, retention=retention), intro, **common).summary()
            res["sweep"]["fsrs"][f"r{round(retention * 100)}"] = s
            curves["fsrs"].append((s["exam_retention"], s["reviews_total"]))
        for mod in SM2_MODIFIERS:
            s = simulate(truth_cls, partial(Sm2, modifier=mod), intro, **common).summary()
            res["sweep"]["sm2"][f"m{round(mod * 100)}"] = s
            curves["sm2"].append((s["exam_retention"], s["reviews_total"]))
        res["target"] = {}
        for target in TARGETS:
            a, b = reviews_for(curves["sm2"], target), reviews_for(curves["fsrs"], target)
            res["target"][f"t{round(target * 100)}"] = {
                "sm2_reviews": a,
                "fsrs_reviews": b,
                "fsrs_saving": None if a is None or b is None else 1 - b / a,
            }
        out["truths"][truth_cls.name] = res
    return out


def table(result: dict[str, Any]) -> str:
    setup = result["setup"]
    lines = [
        f"{setup['learners']} simulated learners x {setup['cards']} cards "
        f"({setup['modules']} modules, {setup['pace']} new cards/day), "
        f"exam on day {setup['exam_day']}",
        f"{'memory model':<12} {'scheduler':<10} {'reviews/day':>11} {'peak week':>9} "
        f"{'total':>7} {'exam recall':>11} {'recall during':>13}",
    ]
    for truth, res in result["truths"].items():
        for name, label in (("sm2", "SM-2"), ("fsrs", "FSRS-6 90%")):
            s = res[name]
            lines.append(
                f"{truth:<12} {label:<10} {s['reviews_per_day']:>11.1f} "
                f"{s['reviews_peak_week']:>9.1f} {s['reviews_total']:>7.0f} "
                f"{s['exam_retention']:>11.1%} {s['retention_during']:>13.1%}"
            )
        for key, t in res["target"].items():
            a, b = t["sm2_reviews"], t["fsrs_reviews"]
            text = (
                "not reached in the sweep"
                if a is None or b is None
                else (
                    f"SM-2 {a:.0f} vs FSRS {b:.0f} reviews ({t['fsrs_saving']:+.0%} saved by FSRS)"
                )
            )
            lines.append(f"{truth:<12} to reach {key[1:]} % at the exam: {text}")
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Exam retention against total reviews, both schedulers' sweeps, one panel per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truths = result["truths"]
    fig, axes = plt.subplots(1, len(truths), figsize=(5 * len(truths), 4), sharey=True)
    for ax, (truth, res) in zip(np.atleast_1d(axes), truths.items(), strict=True):
        for name, label in (
            ("sm2", "SM-2 (interval modifier)"),
            ("fsrs", "FSRS-6 (desired retention)"),
        ):
            pts = sorted(
                (s["reviews_total"], s["exam_retention"]) for s in res["sweep"][name].values()
            )
            ax.plot(*zip(*pts, strict=True), marker="o", label=label)
        ax.set_title(f"memory model: {truth} (simulation)")
        ax.set_xlabel("reviews per learner until the exam")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("share of cards recalled at the exam")
    np.atleast_1d(axes)[0].legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100, help="simulated learners (100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pace", type=int, default=10, help="new cards a day, course-wide (10)")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--plot", type=Path, help="also draw the trade-off curves (PNG)")
    args = parser.parse_args(argv)
    if args.learners < 1 or args.pace < 1:
        parser.error("--learners and --pace must be at least 1")
    started = time.perf_counter()
    result = run(learners=args.learners, seed=args.seed, pace=args.pace)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(table(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if args.plot:
        plot(result, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
