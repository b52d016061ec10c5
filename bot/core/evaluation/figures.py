"""The programme report's figures, computed once from the database so Discord, HTML and tests show one set.

Definitions (also printed in the HTML report's "How these figures are made"):

* participants registered: everyone who used /join and has not asked to be erased (active or not);
* communities represented: distinct community names participants gave; a community's area type is the one
  most of its participants chose (ties go to the more urban type; "not said" when nobody chose one). A
  community is *named* only when at least 5 of its participants consent to the evaluation; the others are
  counted together as "other communities" (a name one person typed can point to them);
* sessions held: sessions that are not cancelled and whose start has passed;
* attendance: distinct people recorded as attending (check-in, voice, facilitator, import) a held session;
  median attendance is ``statistics.median`` over the held sessions;
* reflections: responses to a session's reflection poll, from everyone; response rate = reflections ÷
  attendance (it can pass 100% when people reflect without being recorded as present);
* ratings (distribution 1–5 and mean): only from people whose current evaluation consent is yes, because
  ratings are reflection content; so an evaluator recomputes them exactly from responses.csv;
* quotes: at most five, from responses whose "you may quote" box was ticked by a person who currently
  consents to both evaluation and quotes; the first text answer of the response, cut to 300 characters;
* Flash Reports published: issues that have gone out; resources shared and stories of change: items
  collected (published or not).

Small numbers: figures here are exact. Every renderer shows a count that describes people (participants,
community members, attendance, reflections, ratings in a bucket) through ``suppress``: 0 as "0", 1–4 as "<5",
and rates or means resting on such a count as "n<5". Exports are not suppressed.
"""

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import SystemClock
from bot.core.evaluation.domain import Cohort
from bot.core.evaluation.outcomes import OutcomeFigures, outcome_figures
from bot.core.evaluation.repository import load_cohort
from bot.core.flash.domain import ItemKind
from bot.core.participants.domain import Area, AreaGroup, ConsentPurpose, ParticipantRole
from bot.core.programme.domain import Session
from bot.core.programme.errors import SessionNotFoundError
from bot.core.reflections.domain import ResponseRecord
from bot.core.storage.database import Database
from bot.core.text import clean_text

SMALL_NUMBER = 5
SUPPRESSED = "<5"
WITHHELD = "*"
"""A count of 5 or more hidden so that a "<5" beside it cannot be worked out from the published total."""
SMALL_SAMPLE = "n<5"
NOT_AVAILABLE = "–"
MAX_QUOTES = 5
QUOTE_LIMIT = 300
RATINGS = (1, 2, 3, 4, 5)
NOT_SAID = "not_said"
NOT_SAID_LABEL = "Not said"


# -- suppression -------------------------------------------------------------------------------------------------


def is_small(count: int) -> bool:
    """Tell whether a count of people is too small to show (1 to 4)."""
    return 0 < count < SMALL_NUMBER


def suppress(count: int) -> str:
    """Return a count of people as every report shows it: "0", "<5" for 1–4, else the number."""
    if count < 0:
        raise ValueError("a count cannot be negative")
    return SUPPRESSED if is_small(count) else str(count)


def suppress_breakdown(counts: Sequence[int]) -> list[str]:
    """Return a breakdown's counts as reports show them when its total is published elsewhere.

    1–4 show as "<5". When that hides exactly one cell, the total minus the others would give it away,
    so the smallest other cell of 5 or more is withheld too, as "*" (secondary suppression).
    """
    shown = [suppress(count) for count in counts]
    hidden = [i for i, count in enumerate(counts) if is_small(count)]
    exact = [i for i, count in enumerate(counts) if count >= SMALL_NUMBER]
    if len(hidden) == 1 and exact:
        shown[min(exact, key=lambda i: (counts[i], i))] = WITHHELD
    return shown


def suppress_rate(numerator: int, denominator: int) -> str:
    """Return a rate as a whole percentage, "–" without a denominator, "n<5" when either count is 1–4."""
    if denominator <= 0:
        return NOT_AVAILABLE
    if is_small(numerator) or is_small(denominator):
        return SMALL_SAMPLE
    return f"{round(100 * numerator / denominator)}%"


def suppress_mean(mean: float | None, count: int) -> str:
    """Return a mean rating with one decimal, "–" without ratings, "n<5" from fewer than five ratings."""
    if mean is None or count == 0:
        return NOT_AVAILABLE
    if count < SMALL_NUMBER:
        return SMALL_SAMPLE
    return f"{mean:.1f}"


def suppress_median(value: float | None) -> str:
    """Return a median count of people: "–" when there is none, "<5" under five, else whole or one decimal."""
    if value is None:
        return NOT_AVAILABLE
    if 0 < value < SMALL_NUMBER:
        return SUPPRESSED
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


# -- values ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """One category and its count (key is a stable code, label is for people)."""

    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class CommunityFigure:
    """A community and its participants; area is an Area value or "not_said", group an AreaGroup value."""

    name: str
    participants: int
    area: str
    area_label: str
    group: str
    group_label: str


OTHER_COMMUNITIES = "Other communities"


@dataclass(frozen=True, slots=True)
class Quote:
    """A consented quote (plain text, not escaped) and the session it is about."""

    session_number: int
    text: str


@dataclass(frozen=True, slots=True)
class SignificantStory:
    """A month's most significant story of change (only when its author consents to quotes), and why."""

    month: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class SessionFigures:
    """One session's figures (exact; renderers suppress small numbers)."""

    guild_id: int
    session_id: int
    number: int
    title: str
    starts_at: datetime
    timezone: str
    held: bool
    cancelled: bool
    attendance: int
    reflections: int
    response_rate: float | None
    ratings: tuple[Tally, ...]
    ratings_count: int
    mean_rating: float | None
    quotes: tuple[Quote, ...]
    generated_at: datetime

    def rating(self, value: int) -> int:
        """Return how many consenting people gave this rating."""
        return next((t.count for t in self.ratings if t.key == str(value)), 0)


@dataclass(frozen=True, slots=True)
class ProgrammeFigures:
    """The whole programme's figures (exact; renderers suppress small numbers)."""

    guild_id: int
    generated_at: datetime
    timezone: str
    retention_months: int
    participants_registered: int
    participants_active: int
    communities_count: int
    communities: tuple[CommunityFigure, ...]
    """The communities named in reports: at least SMALL_NUMBER of their participants consent to the evaluation."""
    communities_by_area: tuple[Tally, ...]
    communities_by_group: tuple[Tally, ...]
    participants_by_area: tuple[Tally, ...]
    participants_by_group: tuple[Tally, ...]
    roles: tuple[Tally, ...]
    sessions_planned: int
    sessions_held: int
    sessions_cancelled: int
    sessions: tuple[SessionFigures, ...]
    median_attendance: float | None
    reflections_total: int
    ratings: tuple[Tally, ...]
    ratings_count: int
    mean_rating: float | None
    flash_reports_published: int
    resources_shared: int
    stories_of_change: int
    quotes: tuple[Quote, ...]
    other_communities: int = 0
    """How many communities are not named (fewer than SMALL_NUMBER consenting participants)."""
    other_community_participants: int = 0
    """Their participants, counted together."""
    outcomes: OutcomeFigures | None = None
    significant_stories: tuple[SignificantStory, ...] = ()
    connections: "ConnectionFigures | None" = None


@dataclass(frozen=True, slots=True)
class ConnectionFigures:
    """What small groups achieved between communities (counts of pairs, never names).

    community_pairs_met: distinct pairs of different communities whose members shared a group; met_other_area:
    people in groups who shared one with someone from another area type (urban / small town / rural), out of
    people_with_area (those whose area is known); repeat_pairings: pairs of people placed together again in a
    later session's group.
    """

    groups: int
    people_in_groups: int
    community_pairs_met: int
    met_other_area: int
    people_with_area: int
    repeat_pairings: int
    introductions: int = 0
    introduced_community_pairs: int = 0
    met_yes: int = 0
    met_not_yet: int = 0
    met_skip: int = 0
    links: tuple[tuple[str, str, int], ...] = ()
    """Community pairs (names, alphabetical) and how many pairs of people met across them in groups or introductions."""


# -- helpers ---------------------------------------------------------------------------------------------------


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Return text on one line, cut at a word boundary with "…" when longer than limit."""
    line = clean_text(text, keep_newlines=False)
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def quote_text(record: ResponseRecord) -> str | None:
    """Return the words to quote from a response: its first non-empty text answer, in question order."""
    for answer in record.answers:
        if answer.kind.is_text and isinstance(answer.value, str) and answer.value.strip():
            return shorten(answer.value)
    return None


def _quotable(cohort: Cohort, record: ResponseRecord) -> Quote | None:
    if not record.quote_allowed:
        return None
    person = record.user_id
    if not (cohort.consents(person, ConsentPurpose.EVALUATION) and cohort.consents(person, ConsentPurpose.QUOTE)):
        return None
    session = cohort.sessions_by_id.get(record.session_id)
    words = quote_text(record)
    if session is None or not words:
        return None
    return Quote(session.number, words)


def _ratings(cohort: Cohort, records: tuple[ResponseRecord, ...]) -> list[int]:
    """Return the ratings of people who currently consent to the evaluation."""
    return [r.rating for r in records if r.rating in RATINGS and cohort.consents(r.user_id, ConsentPurpose.EVALUATION)]


def _rating_tallies(ratings: list[int]) -> tuple[Tally, ...]:
    counts = Counter(ratings)
    return tuple(Tally(str(v), str(v), counts.get(v, 0)) for v in RATINGS)


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def _area_key(area: Area | None) -> str:
    return NOT_SAID if area is None or area is Area.PREFER_NOT_TO_SAY else area.value


_AREA_LABELS = {a.value: a.label for a in Area if a is not Area.PREFER_NOT_TO_SAY} | {NOT_SAID: NOT_SAID_LABEL}
_AREA_ORDER = tuple(_AREA_LABELS)
_GROUP_OF = {a.value: a.group.value for a in Area if a is not Area.PREFER_NOT_TO_SAY} | {NOT_SAID: NOT_SAID}
_GROUP_LABELS = {g.value: g.label for g in AreaGroup if g is not AreaGroup.NOT_SAID} | {NOT_SAID: NOT_SAID_LABEL}
_ROLE_LABELS = {r.value: r.label for r in ParticipantRole} | {NOT_SAID: NOT_SAID_LABEL}


def _tallies(counts: Counter[str], labels: dict[str, str]) -> tuple[Tally, ...]:
    return tuple(Tally(key, label, counts.get(key, 0)) for key, label in labels.items())


def area_label(key: str) -> str:
    """Return the label of an area code ("not_said" included)."""
    return _AREA_LABELS.get(key, NOT_SAID_LABEL)


def group_of(area_key: str) -> str:
    """Return the urban / small_town / rural / not_said group of an area code."""
    return _GROUP_OF.get(area_key, NOT_SAID)


def group_label(key: str) -> str:
    """Return the label of a group code."""
    return _GROUP_LABELS.get(key, NOT_SAID_LABEL)


# -- computing ---------------------------------------------------------------------------------------------------


def session_figures(cohort: Cohort, session: Session) -> SessionFigures:
    """Return one session's figures from a cohort."""
    records = cohort.responses_by_session.get(session.id, ())
    attendance = len(cohort.attendees.get(session.id, frozenset()))
    ratings = _ratings(cohort, records)
    quotes = [q for q in (_quotable(cohort, r) for r in records) if q is not None][:MAX_QUOTES]
    return SessionFigures(
        guild_id=cohort.guild_id,
        session_id=session.id,
        number=session.number,
        title=session.title,
        starts_at=session.starts_at,
        timezone=cohort.timezone,
        held=not session.is_cancelled and session.starts_at <= cohort.generated_at,
        cancelled=session.is_cancelled,
        attendance=attendance,
        reflections=len(records),
        response_rate=(len(records) / attendance) if attendance else None,
        ratings=_rating_tallies(ratings),
        ratings_count=len(ratings),
        mean_rating=_mean(ratings),
        quotes=tuple(quotes),
        generated_at=cohort.generated_at,
    )


def _community_area(areas: list[str]) -> str:
    """Return the most common area among a community's members (ties: the earlier, more urban, type)."""
    chosen = Counter(a for a in areas if a != NOT_SAID)
    if not chosen:
        return NOT_SAID
    top = max(chosen.values())
    return next(key for key in _AREA_ORDER if chosen.get(key) == top)


def _pick_quotes(per_session: list[tuple[Quote, ...]]) -> tuple[Quote, ...]:
    """Take quotes one session at a time, round after round, so the handful spreads over the programme."""
    picked: list[Quote] = []
    depth = 0
    while len(picked) < MAX_QUOTES and any(depth < len(q) for q in per_session):
        for quotes in per_session:
            if depth < len(quotes) and len(picked) < MAX_QUOTES:
                picked.append(quotes[depth])
        depth += 1
    return tuple(picked)


def connection_figures(cohort: Cohort) -> ConnectionFigures | None:
    """Return what small groups and introductions achieved between communities (None before either)."""
    if not cohort.group_places and not cohort.connections:
        return None
    groups: dict[tuple[int, int], set[int]] = defaultdict(set)
    for place in cohort.group_places:
        groups[(place.session_id, place.group_number)].add(place.user_id)
    by_id = {p.user_id: p for p in cohort.participants}
    community = {u: p.community_id for u, p in by_id.items() if p.community_id is not None}
    area = {u: group_of(_area_key(p.area)) for u, p in by_id.items()}
    area = {u: g for u, g in area.items() if g != NOT_SAID}
    community_pairs: set[tuple[int, int]] = set()
    met_other: set[int] = set()
    sessions_of_pair: dict[tuple[int, int], set[int]] = defaultdict(set)
    for (session_id, _), people in groups.items():
        ordered = sorted(people)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                sessions_of_pair[(a, b)].add(session_id)
                ca, cb = community.get(a), community.get(b)
                if ca is not None and cb is not None and ca != cb:
                    community_pairs.add((min(ca, cb), max(ca, cb)))
                if a in area and b in area and area[a] != area[b]:
                    met_other.update((a, b))
    names = {p.community_id: p.community for p in cohort.participants if p.community_id is not None and p.community}
    people_pairs: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for members in [*groups.values(), *(set(c.members) for c in cohort.connections)]:
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                ca, cb = community.get(a), community.get(b)
                if ca is not None and cb is not None and ca != cb:
                    people_pairs[(min(ca, cb), max(ca, cb))].add((a, b))
    links: list[tuple[str, str, int]] = []
    for (ca, cb), met in people_pairs.items():
        first, second = sorted((names[ca], names[cb]), key=str.casefold)
        links.append((first, second, len(met)))
    links.sort(key=lambda link: (-link[2], link[0].casefold(), link[1].casefold()))
    everyone: set[int] = set().union(*groups.values()) if groups else set()
    introduced_pairs: set[tuple[int, int]] = set()
    answers: Counter[str] = Counter()
    for connection in cohort.connections:
        ordered = sorted(connection.members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                ca, cb = community.get(a), community.get(b)
                if ca is not None and cb is not None and ca != cb:
                    introduced_pairs.add((min(ca, cb), max(ca, cb)))
        answers.update(answer.value for _, answer in connection.answers)
    return ConnectionFigures(
        groups=len(groups),
        people_in_groups=len(everyone),
        community_pairs_met=len(community_pairs),
        met_other_area=len(met_other),
        people_with_area=len(everyone & set(area)),
        repeat_pairings=sum(1 for met in sessions_of_pair.values() if len(met) > 1),
        introductions=len(cohort.connections),
        introduced_community_pairs=len(introduced_pairs),
        met_yes=answers["yes"],
        met_not_yet=answers["not_yet"],
        met_skip=answers["skip"],
        links=tuple(links),
    )


def programme_figures(cohort: Cohort) -> ProgrammeFigures:
    """Return the programme's figures from a cohort."""
    people = cohort.participants
    area_keys = {p.user_id: _area_key(p.area) for p in people}
    members: dict[tuple[int, str], list[str]] = defaultdict(list)
    consenting: Counter[tuple[int, str]] = Counter()
    for p in people:
        if p.community_id is not None and p.community:
            members[(p.community_id, p.community)].append(area_keys[p.user_id])
            consenting[(p.community_id, p.community)] += cohort.consents(p.user_id, ConsentPurpose.EVALUATION)
    communities = []
    for (_, name), areas in members.items():
        area = _community_area(areas)
        group = group_of(area)
        communities.append(CommunityFigure(name, len(areas), area, area_label(area), group, group_label(group)))
    named = {name for (_, name), count in consenting.items() if count >= SMALL_NUMBER}
    shown = sorted((c for c in communities if c.name in named), key=lambda c: (-c.participants, c.name.casefold()))
    others = [c for c in communities if c.name not in named]

    held = [session_figures(cohort, s) for s in cohort.held_sessions]
    all_ratings = [r for s in cohort.held_sessions for r in _ratings(cohort, cohort.responses_by_session.get(s.id, ()))]
    planned = [s for s in cohort.sessions if not s.is_cancelled]
    return ProgrammeFigures(
        guild_id=cohort.guild_id,
        generated_at=cohort.generated_at,
        timezone=cohort.timezone,
        retention_months=cohort.retention_months,
        participants_registered=len(people),
        participants_active=sum(1 for p in people if p.active),
        communities_count=len(communities),
        communities=tuple(shown),
        other_communities=len(others),
        other_community_participants=sum(c.participants for c in others),
        communities_by_area=_tallies(Counter(c.area for c in communities), _AREA_LABELS),
        communities_by_group=_tallies(Counter(c.group for c in communities), _GROUP_LABELS),
        participants_by_area=_tallies(Counter(area_keys.values()), _AREA_LABELS),
        participants_by_group=_tallies(Counter(group_of(a) for a in area_keys.values()), _GROUP_LABELS),
        roles=_tallies(Counter(p.role.value if p.role else NOT_SAID for p in people), _ROLE_LABELS),
        sessions_planned=len(planned),
        sessions_held=len(held),
        sessions_cancelled=sum(1 for s in cohort.sessions if s.is_cancelled),
        sessions=tuple(held),
        median_attendance=statistics.median([s.attendance for s in held]) if held else None,
        reflections_total=sum(s.reflections for s in held),
        ratings=_rating_tallies(all_ratings),
        ratings_count=len(all_ratings),
        mean_rating=_mean(all_ratings),
        flash_reports_published=cohort.flash_reports_published,
        resources_shared=len(cohort.items(ItemKind.RESOURCE)),
        stories_of_change=len(cohort.items(ItemKind.STORY)),
        quotes=_pick_quotes([s.quotes for s in held]),
        connections=connection_figures(cohort),
        outcomes=outcome_figures(cohort),
        significant_stories=_significant(cohort),
    )


def _significant(cohort: Cohort) -> tuple[SignificantStory, ...]:
    """Return the months' most significant stories whose authors consent to evaluation and quotes."""
    stories = {i.id: i for i in cohort.items(ItemKind.STORY)}
    found = []
    for highlight in cohort.highlights:
        story = stories.get(highlight.item_id)
        author = story.author_id if story is not None else None
        if story is None or author is None:
            continue
        if cohort.consents(author, ConsentPurpose.EVALUATION) and cohort.consents(author, ConsentPurpose.QUOTE):
            found.append(SignificantStory(highlight.month, shorten(story.text), highlight.reason))
    return tuple(found)


async def compute_programme_figures(
    database: Database, guild_id: int, *, now: datetime | None = None
) -> ProgrammeFigures:
    """Compute the programme's figures from the database (now defaults to the system clock)."""
    cohort = await load_cohort(database, guild_id, now=now or SystemClock().now())
    return programme_figures(cohort)


async def compute_session_figures(
    database: Database,
    guild_id: int,
    session_id: int,
    *,
    now: datetime | None = None,
) -> SessionFigures:
    """Compute one session's figures from the database.

    Raises:
        SessionNotFoundError: when the server has no session with that id.
    """
    cohort = await load_cohort(database, guild_id, now=now or SystemClock().now())
    session = cohort.sessions_by_id.get(session_id)
    if session is None:
        raise SessionNotFoundError()
    return session_figures(cohort, session)
