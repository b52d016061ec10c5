"""The small-group assignment: its objective, sizes, coaches and reproducibility."""

import random
from itertools import combinations

import pytest

from bot.core.groups.assignment import (
    Person,
    assign_groups,
    group_count,
    mix_figures,
    pair_key,
    random_groups,
)


def _people(n: int, communities: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    return [
        Person(
            i,
            f"community {rng.randrange(communities)}",
            rng.choice(["urban", "small_town", "rural"]),
            rng.choice(["volunteer", "leader", "practitioner", "manager"]),
        )
        for i in range(1, n + 1)
    ]


def test_everyone_is_placed_once_in_groups_whose_sizes_differ_by_at_most_one() -> None:
    """Every person is in exactly one group; group sizes differ by at most one."""
    people = _people(41, 20)
    result = assign_groups(people, size=6, seed=1)
    placed = [uid for group in result.groups for uid in group]
    assert sorted(placed) == [p.user_id for p in people]
    sizes = [len(g) for g in result.groups]
    assert len(sizes) == group_count(41, 6) == 7
    assert max(sizes) - min(sizes) <= 1


def test_people_from_one_community_are_split_while_the_numbers_allow() -> None:
    """Four people from one community and four groups: each group gets one of them."""
    people = [Person(i, "Oban" if i <= 4 else f"c{i}", None, None) for i in range(1, 25)]
    result = assign_groups(people, size=6, seed=2)
    for group in result.groups:
        assert sum(1 for uid in group if uid <= 4) == 1


def test_a_community_larger_than_the_number_of_groups_is_spread_evenly() -> None:
    """Nine from one community in four groups: no group holds more than three of them."""
    people = [Person(i, "Oban" if i <= 9 else f"c{i}", None, None) for i in range(1, 25)]
    result = assign_groups(people, size=6, seed=3)
    assert max(sum(1 for uid in g if uid <= 9) for g in result.groups) == 3


def test_pairs_who_met_before_are_kept_apart_when_possible() -> None:
    """36 people in six groups of 6: a second round repeats no pair (one from each first-round group)."""
    people = _people(36, 36)
    first = assign_groups(people, size=6, seed=0)
    met = {pair_key(a, b) for g in first.groups for a, b in combinations(g, 2)}
    second = assign_groups(people, size=6, met_before=met, seed=1)
    repeats = {pair_key(a, b) for g in second.groups for a, b in combinations(g, 2)} & met
    assert repeats == set()


def test_repeats_fall_to_the_minimum_when_some_are_unavoidable() -> None:
    """24 people in four groups of 6: a new group must hold two from one old group, so 8 repeats is the least."""
    people = _people(24, 24)
    first = assign_groups(people, size=6, seed=0)
    met = {pair_key(a, b) for g in first.groups for a, b in combinations(g, 2)}
    second = assign_groups(people, size=6, met_before=met, seed=1)
    assert len({pair_key(a, b) for g in second.groups for a, b in combinations(g, 2)} & met) == 8


def test_areas_and_roles_are_spread() -> None:
    """Twelve urban and twelve rural people in four groups: each group has three of each."""
    people = [Person(i, f"c{i}", "urban" if i <= 12 else "rural", None) for i in range(1, 25)]
    result = assign_groups(people, size=6, seed=4)
    for group in result.groups:
        assert sum(1 for uid in group if uid <= 12) == 3


def test_each_group_gets_a_coach_while_coaches_last() -> None:
    """Three coaches for four groups: three groups get one each, the fourth none."""
    people = _people(24, 12)
    coaches = [Person(100 + i, f"coach community {i}") for i in range(3)]
    result = assign_groups(people, size=6, coaches=coaches, seed=5)
    assert sorted(c for c in result.coaches if c is not None) == [100, 101, 102]
    assert result.coaches.count(None) == 1


def test_a_seed_reproduces_the_same_groups_and_another_seed_shuffles() -> None:
    """The same seed gives the same proposal; "Shuffle" (another seed) usually gives another."""
    people = _people(30, 30)
    assert assign_groups(people, size=5, seed=9) == assign_groups(people, size=5, seed=9)
    assert assign_groups(people, size=5, seed=9).groups != assign_groups(people, size=5, seed=10).groups


def test_better_than_random_on_the_programme_shape() -> None:
    """80 people from 39 communities: no same-community pair, unlike random groups of the same size."""
    people = _people(80, 39)
    by_id = {p.user_id: p for p in people}
    ours = mix_figures(assign_groups(people, size=6, seed=1).groups, by_id)
    assert ours.same_community_pairs == 0
    randoms = [mix_figures(random_groups(people, size=6, seed=s), by_id).same_community_pairs for s in range(20)]
    assert sum(randoms) > 0


@pytest.mark.parametrize("size", [2, 13])
def test_sizes_outside_three_to_twelve_are_refused(size: int) -> None:
    """A size outside 3–12 is a programming error here (the service checks it first, with a friendly message)."""
    with pytest.raises(ValueError, match="between 3 and 12"):
        assign_groups(_people(10, 5), size=size)


def test_no_people_make_no_groups() -> None:
    """An empty list makes no groups."""
    assert assign_groups([], size=6).groups == ()
