"""cohort.groups: balanced, reproducible groups."""

from __future__ import annotations

from collections import Counter

import pytest
from cohort_helpers import SKILLS, roster_rows

from cohort.errors import CohortError
from cohort.groups import form_groups, group_sizes, read_groups_csv, write_groups_csv
from cohort.roster import Student, read_roster


def _students(write_csv, n: int, **kw) -> list[Student]:
    return read_roster(write_csv(roster_rows(n, **kw)))


@pytest.mark.parametrize(
    ("n", "size", "sizes"),
    [(8, 4, [4, 4]), (9, 4, [5, 4]), (7, 4, [4, 3]), (4, 4, [4]), (13, 3, [4, 3, 3, 3])],
)
def test_group_sizes(n: int, size: int, sizes: list[int]) -> None:
    """Does every student get a group, with sizes within one of the asked size?"""
    assert group_sizes(n, size) == sizes


def test_fewer_students_than_a_group() -> None:
    """Is a roster too small for one group a clear error?"""
    with pytest.raises(CohortError, match="cannot fill one group of 5"):
        group_sizes(3, 5)


def test_same_seed_same_groups_other_seed_other_groups(write_csv) -> None:
    """Is grouping reproducible from the seed (and does the seed matter)?"""
    students = _students(write_csv, 16, zones=False)
    first = form_groups(students=students, size=4, seed=3).to_dict()
    assert form_groups(students=list(reversed(students)), size=4, seed=3).to_dict() == first
    assert form_groups(students=students, size=4, seed=4).to_dict() != first


def test_every_student_in_exactly_one_group(write_csv) -> None:
    """Is nobody lost or doubled?"""
    students = _students(write_csv, 23)
    result = form_groups(students=students, size=4, seed=1)
    ids = [m.id for g in result.groups for m in g.members]
    assert sorted(ids) == sorted(s.id for s in students)


def test_skills_are_spread(write_csv) -> None:
    """Does each group of 4 get all 4 skills once, though the roster lists them in runs?"""
    rows = roster_rows(16, zones=False)
    for k, row in enumerate(rows):  # runs of the same skill: a naive chunking would cluster them
        row["skills"] = SKILLS[k // 4]
    result = form_groups(students=read_roster(write_csv(rows)), size=4, seed=0)
    for group in result.groups:
        assert group.skills == Counter(SKILLS), group


def test_time_zones_are_kept_close(write_csv) -> None:
    """With 3 time-zone bands of 4 people, is every group within one zone (spread 0)?"""
    rows = roster_rows(12, skills=True, zones=True)
    rows = rows[::2] + rows[1::2]  # interleave so the roster order does not already band them
    result = form_groups(students=read_roster(write_csv(rows)), size=4, seed=5)
    assert [g.tz_spread for g in result.groups] == [0.0, 0.0, 0.0]
    assert result.balanced_on == ("skills", "timezone")


def test_groups_csv_round_trip(write_csv, tmp_path) -> None:
    """Does the written groups file read back as the same membership?"""
    result = form_groups(students=_students(write_csv, 10), size=3, seed=0)
    path = write_groups_csv(result, tmp_path / "out" / "groups.csv")
    assert read_groups_csv(path) == {g: m for g, m in result.to_dict()["groups"].items()}
