"""Small-group assignment: split a session's people into groups that mix communities, areas and roles.

The objective (lower is better) is a sum over every pair of people placed in the same group:

    cost(a, b) = 1000 · [same community]         # never two from one community while the numbers allow
               +   50 · [already met in a group]  # new conversations over repeat pairings
               +    3 · [same area group]         # spread urban / small town / rural
               +    2 · [same role]               # spread volunteers, leaders, practitioners, managers

Because every term is a pair weight, spreading areas and roles means few same-area and same-role pairs,
and the weights order the goals strictly: one avoidable same-community pair costs more than any number of
repeat pairings a swap could remove from a group of up to 12 (11 · 50 < 1000), and one repeat pairing costs
more than the area and role terms a swap changes. "Not said" areas and roles match nothing.

Group sizes differ by at most one: ``ceil(n / size)`` groups for n people (a group of 6 and 7 people makes one
group of 7 rather than a group of 6 and one of 1). Peer coaches are placed after the members, one per group
while coaches last, each in the group where they add the least cost (the coach's own community and previous
groups count too).

The search is a greedy construction (people from the largest communities first, each into the open group
where they cost least) followed by a swap search: for people in random order, try swapping them with every
person of another group and keep the best improving swap, until a whole pass improves nothing or the pass
budget is spent. A seeded ``random.Random`` makes each run reproducible; "Shuffle" asks for another seed.
"""

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SAME_COMMUNITY = 1000
MET_BEFORE = 50
SAME_AREA = 3
SAME_ROLE = 2
MIN_SIZE = 3
MAX_SIZE = 12


@dataclass(frozen=True, slots=True)
class Person:
    """Someone to place: platform user id and what the mix looks at (None = not said)."""

    user_id: int
    community: str | None = None
    area: str | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Grouping:
    """A proposal: members per group (user ids), the coach of each group (or None), and its cost."""

    groups: tuple[tuple[int, ...], ...]
    coaches: tuple[int | None, ...]
    cost: int
    seed: int


def pair_key(a: int, b: int) -> tuple[int, int]:
    """Return the order-free key of a pair of user ids."""
    return (a, b) if a < b else (b, a)


class _Costs:
    """Pair costs for one assignment problem (same community, met before, same area, same role)."""

    def __init__(self, people: Mapping[int, Person], met: frozenset[tuple[int, int]]) -> None:
        self._people = people
        self._met = met

    def pair(self, a: int, b: int) -> int:
        pa, pb = self._people[a], self._people[b]
        cost = 0
        if pa.community is not None and pa.community == pb.community:
            cost += SAME_COMMUNITY
        if pair_key(a, b) in self._met:
            cost += MET_BEFORE
        if pa.area is not None and pa.area == pb.area:
            cost += SAME_AREA
        if pa.role is not None and pa.role == pb.role:
            cost += SAME_ROLE
        return cost

    def into(self, person: int, members: Iterable[int]) -> int:
        return sum(self.pair(person, other) for other in members if other != person)

    def group(self, members: Sequence[int]) -> int:
        return sum(self.pair(a, b) for i, a in enumerate(members) for b in members[i + 1 :])


def placement_cost(
    user_id: int, members: Iterable[int], people: Mapping[int, Person], met_before: Iterable[tuple[int, int]] = ()
) -> int:
    """Return the pair cost someone adds to a group (for placing a late joiner; people must hold everyone)."""
    return _Costs(people, frozenset(pair_key(a, b) for a, b in met_before)).into(user_id, members)


def group_count(people: int, size: int) -> int:
    """Return how many groups of about `size` the people make (at least one)."""
    return max(1, math.ceil(people / size)) if people else 0


def assign_groups(
    people: Sequence[Person],
    *,
    size: int,
    met_before: Iterable[tuple[int, int]] = (),
    coaches: Sequence[Person] = (),
    seed: int = 0,
    max_passes: int = 8,
    count: int | None = None,
) -> Grouping:
    """Split people into groups of about `size`, minimising the pair cost described in the module docstring.

    count fixes the number of groups instead (connections: n // 2 pairs, so an odd one out makes a trio).
    """
    if count is None and not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}")
    rng = random.Random(seed)
    everyone = {p.user_id: p for p in (*people, *coaches)}
    costs = _Costs(everyone, frozenset(pair_key(a, b) for a, b in met_before))
    k = min(count, len(people)) if count is not None else group_count(len(people), size)
    if k <= 0:
        return Grouping((), (), 0, seed)
    capacity = [len(people) // k + (1 if i < len(people) % k else 0) for i in range(k)]
    groups: list[list[int]] = [[] for _ in range(k)]

    community_sizes = Counter(p.community for p in people)
    order = list(people)
    rng.shuffle(order)
    order.sort(key=lambda p: -community_sizes[p.community] if p.community is not None else 0)
    for person in order:
        open_groups = [i for i in range(k) if len(groups[i]) < capacity[i]]
        best = min(open_groups, key=lambda i: (costs.into(person.user_id, groups[i]), len(groups[i]), rng.random()))
        groups[best].append(person.user_id)

    _swap_search(groups, costs, rng, max_passes)

    coach_of: list[int | None] = [None] * k
    free = list(coaches)
    rng.shuffle(free)
    for coach in free[:k]:
        open_groups = [i for i in range(k) if coach_of[i] is None]
        best = min(open_groups, key=lambda i: (costs.into(coach.user_id, groups[i]), rng.random()))
        coach_of[best] = coach.user_id

    total = sum(costs.group(g) for g in groups)
    total += sum(costs.into(c, groups[i]) for i, c in enumerate(coach_of) if c is not None)
    return Grouping(tuple(tuple(sorted(g)) for g in groups), tuple(coach_of), total, seed)


def _swap_search(groups: list[list[int]], costs: _Costs, rng: random.Random, max_passes: int) -> None:
    """Improve groups in place by best-improvement swaps between groups (see the module docstring).

    Keeps, for every person and group, the cost that person adds to that group (``into[p][g]``), so a swap's
    change is computed in constant time and a swap updates two columns.
    """
    ids = [uid for members in groups for uid in members]
    index = {uid: i for i, uid in enumerate(ids)}
    n = len(ids)
    weight = [[costs.pair(a, b) if a != b else 0 for b in ids] for a in ids]
    slot = [[index[uid] for uid in members] for members in groups]
    where = [0] * n
    for g, members in enumerate(slot):
        for i in members:
            where[i] = g
    into = [[sum(row[j] for j in members) for members in slot] for row in weight]
    order = list(range(n))
    for _ in range(max_passes):
        improved = False
        rng.shuffle(order)
        for a in order:
            ga = where[a]
            row_a, into_a = weight[a], into[a]
            here_a = into_a[ga]
            if here_a == 0:
                continue  # nothing to gain by moving a
            best_delta, best_b = 0, -1
            for b in range(n):
                gb = where[b]
                if gb == ga:
                    continue
                into_b = into[b]
                delta = into_b[ga] + into_a[gb] - 2 * row_a[b] - here_a - into_b[gb]
                if delta < best_delta:
                    best_delta, best_b = delta, b
            if best_b < 0:
                continue
            b, gb = best_b, where[best_b]
            slot[ga][slot[ga].index(a)] = b
            slot[gb][slot[gb].index(b)] = a
            where[a], where[b] = gb, ga
            for x in range(n):
                wx = weight[x]
                change = wx[b] - wx[a]
                into[x][ga] += change
                into[x][gb] -= change
            improved = True
        if not improved:
            break
    for g, members in enumerate(slot):
        groups[g] = [ids[i] for i in members]


def random_groups(people: Sequence[Person], *, size: int, seed: int = 0) -> tuple[tuple[int, ...], ...]:
    """Split people into groups of about `size` at random (the baseline the benchmark compares against)."""
    rng = random.Random(seed)
    ids = [p.user_id for p in people]
    rng.shuffle(ids)
    k = group_count(len(ids), size)
    return tuple(tuple(sorted(ids[i::k])) for i in range(k))


@dataclass(frozen=True, slots=True)
class MixFigures:
    """How well groups mix: what the evaluation and the benchmark report."""

    groups_with_same_community_pair: int
    same_community_pairs: int
    repeat_pairs: int
    distinct_community_pairs: int


def mix_figures(
    groups: Iterable[Sequence[int]], people: Mapping[int, Person], met_before: Iterable[tuple[int, int]] = ()
) -> MixFigures:
    """Count same-community pairs, groups holding one, repeat pairings and distinct community pairs met."""
    met = {pair_key(a, b) for a, b in met_before}
    with_same = same = repeats = 0
    community_pairs: set[tuple[str, str]] = set()
    for members in groups:
        found = False
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                ca, cb = people[a].community, people[b].community
                if ca is not None and ca == cb:
                    same += 1
                    found = True
                elif ca is not None and cb is not None:
                    community_pairs.add((ca, cb) if ca < cb else (cb, ca))
                if pair_key(a, b) in met:
                    repeats += 1
        with_same += found
    return MixFigures(with_same, same, repeats, len(community_pairs))
