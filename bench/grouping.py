"""Small groups over a programme: Blether's assignment beside random groups, in one run.

80 participants from 39 communities (area groups and roles drawn at random, seeded) meet in groups of 6 at
each of ten sessions; pairs met in earlier sessions are passed to the next assignment. Reported for both:
repeat pairings, distinct community pairs that met, groups holding two people from one community, and the
time to assign 500 people from 120 communities (target ≤ 1 s).
"""

import random
import time
from itertools import combinations
from statistics import median
from typing import Any

from bot.core.groups.assignment import Person, assign_groups, mix_figures, pair_key, random_groups

AREAS = ("urban", "small_town", "rural")
ROLES = ("volunteer", "community leader", "practitioner", "manager")


def population(n: int, communities: int, seed: int) -> list[Person]:
    """Return n people spread over the given number of communities (every community has someone)."""
    rng = random.Random(seed)
    names = [f"community {i}" for i in range(communities)]
    homes = names + [rng.choice(names) for _ in range(n - communities)]
    rng.shuffle(homes)
    return [Person(i + 1, homes[i], rng.choice(AREAS), rng.choice(ROLES)) for i in range(n)]


def _programme(people: list[Person], sessions: int, size: int, *, ours: bool, seed: int) -> dict[str, int]:
    by_id = {p.user_id: p for p in people}
    met: set[tuple[int, int]] = set()
    repeats = same_groups = 0
    community_pairs: set[tuple[str, str]] = set()
    for session in range(sessions):
        if ours:
            groups = assign_groups(people, size=size, met_before=met, seed=seed + session).groups
        else:
            groups = random_groups(people, size=size, seed=seed + session)
        figures = mix_figures(groups, by_id, met)
        repeats += figures.repeat_pairs
        same_groups += figures.groups_with_same_community_pair
        for group in groups:
            for a, b in combinations(group, 2):
                met.add(pair_key(a, b))
                ca, cb = by_id[a].community, by_id[b].community
                if ca and cb and ca != cb:
                    community_pairs.add((ca, cb) if ca < cb else (cb, ca))
    return {
        "repeat_pairings": repeats,
        "distinct_community_pairs": len(community_pairs),
        "groups_with_two_from_one_community": same_groups,
        "distinct_people_pairs": len(met),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Run the comparison and the 500-person timing; return the figures."""
    people = population(80, 39, seed=2027)
    ours = _programme(people, 10, 6, ours=True, seed=1)
    baseline = _programme(people, 10, 6, ours=False, seed=1)
    big = population(500, 120, seed=2028)
    times = []
    for repeat in range(3 if quick else 7):
        started = time.perf_counter()
        assign_groups(big, size=6, seed=repeat)
        times.append(time.perf_counter() - started)
    return {"blether": ours, "random": baseline, "time_500_s": median(times), "time_500_max_s": max(times)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
