"""Form project groups from a roster: reproducible with a seed, balanced on the optional columns.

Balance means two different things per column, on purpose:
- **skills** are *spread*: each skill is shared out as evenly as possible between groups, so no
  group lacks, say, the only person who knows Docker while another has three;
- **time zones** are *kept close*: a group whose members are twelve hours apart cannot meet, so
  the spread of UTC offsets inside each group is minimised first.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cohort.errors import CohortError
from cohort.roster import Student

# Hours of time-zone spread cost more than one unit of skill imbalance: meeting at all comes first.
TZ_WEIGHT = 10.0


@dataclass(frozen=True)
class Group:
    """One project group."""

    id: str
    members: tuple[Student, ...]

    @property
    def skills(self) -> Counter[str]:
        return Counter(skill for m in self.members for skill in m.skills)

    @property
    def tz_spread(self) -> float:
        offsets = [m.utc_offset for m in self.members if m.utc_offset is not None]
        return max(offsets) - min(offsets) if offsets else 0.0


@dataclass(frozen=True)
class GroupingResult:
    """Groups plus what they were balanced on."""

    groups: tuple[Group, ...]
    seed: int
    size: int
    balanced_on: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "size": self.size,
            "balanced_on": list(self.balanced_on),
            "groups": {g.id: [m.id for m in g.members] for g in self.groups},
        }


def group_sizes(n: int, size: int) -> list[int]:
    """Sizes for `n` students: groups of `size`; leftovers join groups (or form one short group)."""
    if size < 2:
        raise CohortError(f"group size must be at least 2, got {size}")
    if n < size:
        raise CohortError(f"{n} student(s) cannot fill one group of {size}")
    count, rest = divmod(n, size)
    if rest <= count:  # a few groups get one extra member
        return [size + 1] * rest + [size] * (count - rest)
    count += 1  # otherwise one more group, some of them one short
    short = count * size - n
    return [size] * (count - short) + [size - 1] * short


def _cost(groups: list[list[Student]]) -> float:
    cost = 0.0
    for members in groups:
        offsets = [m.utc_offset for m in members if m.utc_offset is not None]
        if offsets:
            cost += TZ_WEIGHT * (max(offsets) - min(offsets))
        # Sum of squared counts is smallest when each skill is spread evenly.
        cost += sum(c * c for c in Counter(s for m in members for s in m.skills).values())
    return cost


def form_groups(
    *, students: list[Student], size: int, seed: int = 0, iterations: int = 4000
) -> GroupingResult:
    """Split students into groups of about `size`; same roster and seed give the same groups."""
    sizes = group_sizes(len(students), size)
    rng = random.Random(seed)
    order = sorted(students, key=lambda s: s.id)
    rng.shuffle(order)
    # Start from time-zone bands (stable sort keeps the seeded order within a band), then improve
    # by random swaps between groups that lower the cost.
    order.sort(key=lambda s: s.utc_offset if s.utc_offset is not None else 0.0)
    groups: list[list[Student]] = []
    start = 0
    for n in sizes:
        groups.append(order[start : start + n])
        start += n
    if len(groups) > 1:
        for _ in range(iterations):
            a, b = rng.sample(range(len(groups)), 2)
            i, j = rng.randrange(len(groups[a])), rng.randrange(len(groups[b]))
            before = _cost([groups[a], groups[b]])
            groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
            if _cost([groups[a], groups[b]]) >= before:  # keep only swaps that help
                groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
    balanced_on = tuple(
        name
        for name, present in (
            ("skills", any(s.skills for s in students)),
            ("timezone", any(s.utc_offset is not None for s in students)),
        )
        if present
    )
    width = len(str(len(groups)))
    result = tuple(
        Group(id=f"g{k + 1:0{width}d}", members=tuple(sorted(members, key=lambda s: s.id)))
        for k, members in enumerate(groups)
    )
    return GroupingResult(groups=result, seed=seed, size=size, balanced_on=balanced_on)


def write_groups_csv(result: GroupingResult, path: Path) -> Path:
    """Write one row per student: group, id, name, email, skills, timezone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["group", "id", "name", "email", "skills", "timezone"])
        for group in result.groups:
            for m in group.members:
                writer.writerow(
                    [group.id, m.id, m.name, m.email, ";".join(sorted(m.skills)), m.timezone]
                )
    return path


def read_groups_csv(path: Path) -> dict[str, list[str]]:
    """Group id → member ids from a groups CSV (as written by `write_groups_csv`)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            fields = set(reader.fieldnames or [])
            if not {"group", "id"} <= fields:
                raise CohortError(f"groups file {path.name} needs columns group and id")
            groups: dict[str, list[str]] = {}
            seen: set[str] = set()
            for line, row in enumerate(reader, start=2):
                gid, sid = (row["group"] or "").strip(), (row["id"] or "").strip()
                if not gid or not sid:
                    raise CohortError(f"groups file {path.name} line {line}: empty group or id")
                if sid in seen:
                    raise CohortError(
                        f"groups file {path.name} line {line}: {sid!r} is in two groups"
                    )
                seen.add(sid)
                groups.setdefault(gid, []).append(sid)
    except OSError as exc:
        raise CohortError(f"cannot read groups file {path}: {exc.strerror}") from exc
    if len(groups) < 2:
        raise CohortError(f"groups file {path.name} has fewer than two groups: nothing to review")
    return groups
