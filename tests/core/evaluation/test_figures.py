"""Programme and session figures computed from the synthetic cohort, and the small-number rule."""

import pytest

from bot.core.evaluation.figures import (
    compute_programme_figures,
    compute_session_figures,
    suppress,
    suppress_breakdown,
    suppress_mean,
    suppress_median,
    suppress_rate,
)
from bot.core.evaluation.render import render_html_report
from bot.core.evaluation.report import build_report
from bot.core.participants.domain import ProfileUpdate
from bot.core.programme.errors import SessionNotFoundError
from tests.core.evaluation.conftest import ATTENDANCE, FACILITATOR, GUILD, MEDIAN_ATTENDANCE, World, person, uid


def _tallies(tallies) -> dict[str, int]:
    return {t.key: t.count for t in tallies}


def test_suppress_shows_zero_hides_one_to_four_and_shows_five_up() -> None:
    """0 stays "0", 1–4 become "<5", 5 and more are shown."""
    assert [suppress(n) for n in range(7)] == ["0", "<5", "<5", "<5", "<5", "5", "6"]
    with pytest.raises(ValueError):
        suppress(-1)


def test_a_lone_small_cell_cannot_be_worked_out_from_the_total() -> None:
    """One "<5" in a breakdown whose total is published takes the smallest count of 5+ with it ("*")."""
    assert suppress_breakdown([3, 12, 7, 0]) == ["<5", "12", "*", "0"]
    assert suppress_breakdown([3, 2, 12, 7]) == ["<5", "<5", "12", "7"]  # two hidden cells hide each other
    assert suppress_breakdown([3, 0, 0]) == ["<5", "0", "0"]  # the total is itself under 5, so hidden
    assert suppress_breakdown([6, 5, 9]) == ["6", "5", "9"]
    assert suppress_breakdown([3, 7, 7]) == ["<5", "*", "7"]  # ties: the first
    assert suppress_breakdown([]) == []


def test_rates_means_and_medians_resting_on_small_numbers_are_not_shown() -> None:
    """A rate or mean from 1–4 people shows "n<5"; without a denominator "–"; a median under 5 "<5"."""
    assert suppress_rate(8, 10) == "80%"
    assert suppress_rate(4, 10) == "n<5"
    assert suppress_rate(0, 10) == "0%"
    assert suppress_rate(5, 0) == "–"
    assert suppress_mean(4.57, 7) == "4.6"
    assert suppress_mean(3.0, 3) == "n<5"
    assert suppress_mean(None, 0) == "–"
    assert suppress_median(8) == "8"
    assert suppress_median(7.5) == "7.5"
    assert suppress_median(4) == "<5"
    assert suppress_median(None) == "–"


async def test_programme_figures_match_the_cohort(world: World) -> None:
    """Participants, communities, roles, sessions, attendance, median, reflections and Flash counts are exact."""
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert f.participants_registered == 12
    assert f.participants_active == 12
    assert f.communities_count == 4
    assert [(c.name, c.participants, c.area) for c in f.communities] == [("Leith", 5, "large_urban")]
    assert (f.other_communities, f.other_community_participants) == (3, 7)  # Skye 3, Crieff 2, Tain 2
    assert _tallies(f.communities_by_group) == {"urban": 1, "small_town": 2, "rural": 1, "not_said": 0}
    assert _tallies(f.participants_by_group) == {"urban": 5, "small_town": 3, "rural": 3, "not_said": 1}
    assert _tallies(f.participants_by_area)["remote_rural"] == 3
    assert _tallies(f.roles) == {
        "volunteer": 6,
        "community_leader": 3,
        "practitioner": 2,
        "manager": 0,
        "other": 0,
        "not_said": 1,
    }
    assert (f.sessions_planned, f.sessions_held, f.sessions_cancelled) == (6, 5, 1)
    assert [s.attendance for s in f.sessions] == [len(ATTENDANCE[n]) for n in range(1, 6)] == [10, 8, 7, 9, 6]
    assert f.median_attendance == MEDIAN_ATTENDANCE == 8
    assert [s.reflections for s in f.sessions] == [8, 6, 5, 7, 4]
    assert f.reflections_total == 30
    assert [s.response_rate for s in f.sessions] == pytest.approx([0.8, 0.75, 5 / 7, 7 / 9, 4 / 6])
    assert (f.flash_reports_published, f.resources_shared, f.stories_of_change) == (1, 1, 2)


async def test_ratings_come_only_from_people_who_consent_to_the_evaluation(world: World) -> None:
    """The decliner's ratings (1 in session 1, 5 in session 5) are in no distribution or mean, but counted as
    reflections."""
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    first, *_, fifth = f.sessions
    assert _tallies(first.ratings) == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 5}
    assert first.ratings_count == 7 and first.reflections == 8
    assert first.mean_rating == pytest.approx(32 / 7)
    assert _tallies(fifth.ratings) == {"1": 0, "2": 0, "3": 3, "4": 0, "5": 0}
    assert fifth.mean_rating == pytest.approx(3.0)
    assert _tallies(f.ratings) == {"1": 0, "2": 1, "3": 6, "4": 11, "5": 10}
    assert f.ratings_count == 28
    assert f.mean_rating == pytest.approx(114 / 28)


async def test_quotes_need_evaluation_and_quote_consent_and_the_tick(world: World) -> None:
    """Only person 1 (session 1) and person 2 (session 2) qualify; a tick without quote consent or from the
    decliner never becomes a quote."""
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert [(q.session_number, q.text) for q in f.quotes] == [
        (1, "The small groups in session 1 helped, said participant A."),
        (2, "The small groups in session 2 helped, said participant B."),
    ]
    assert all("participant L" not in q.text and "participant D" not in q.text for q in f.quotes)


async def test_withdrawing_consent_removes_ratings_and_quotes_from_then_on(world: World) -> None:
    """Person 1 withdrawing evaluation consent drops their ratings and quote from the next figures."""
    prompt = await world.participants.consent_text(GUILD)
    await world.participants.record_consent(person(1), {"evaluation": False}, text_version=prompt.version)
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert f.sessions[0].ratings_count == 6
    assert [q.session_number for q in f.quotes] == [2]


async def test_session_figures_for_one_session_and_unknown_ids(world: World) -> None:
    """compute_session_figures gives the same numbers as the programme's; another id is SessionNotFoundError."""
    session = world.sessions[3]
    s = await compute_session_figures(world.database, GUILD, session.id, now=world.clock.now())
    assert (s.number, s.attendance, s.reflections, s.ratings_count, s.held) == (4, 9, 7, 7, True)
    future = await compute_session_figures(world.database, GUILD, world.future.id, now=world.clock.now())
    assert (future.held, future.attendance, future.cancelled) == (False, 0, False)
    with pytest.raises(SessionNotFoundError):
        await compute_session_figures(world.database, GUILD, 99_999, now=world.clock.now())
    with pytest.raises(SessionNotFoundError):
        await world.evaluation.session_figures(FACILITATOR, 99_999)


async def test_figures_through_the_service_need_a_facilitator(world: World) -> None:
    """A participant cannot see the programme report."""
    from bot.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        await world.evaluation.programme_figures(person(1))
    figures = await world.evaluation.programme_figures(FACILITATOR)
    assert figures.median_attendance == 8


async def test_connections_count_community_pairs_other_areas_and_repeat_pairings(world: World) -> None:
    """Groups across two sessions: distinct community pairs, who met another area type, pairs placed again."""
    from bot.core.groups.domain import MemberHow
    from bot.core.groups.repository import SqlGroupRepository

    first, second = world.sessions[0], world.sessions[1]
    plan = {(first, 1): [1, 6, 9], (first, 2): [2, 3], (second, 1): [1, 6], (second, 2): [10, 11]}
    async with world.database.unit_of_work() as uow:
        for (session, number), people in plan.items():
            await uow.repo(SqlGroupRepository).add_group(
                guild_id=GUILD,
                session_id=session.id,
                number=number,
                coach_id=None,
                channel_id=None,
                members=[uid(n) for n in people],
                how=MemberHow.PROPOSAL,
                now=world.clock.now(),
            )
        await uow.commit()
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    c = f.connections
    assert c is not None
    # Leith–Skye, Leith–Crieff, Skye–Crieff, Crieff–Tain; Leith–Leith is no connection.
    assert (c.groups, c.people_in_groups, c.community_pairs_met) == (4, 7, 4)
    assert (c.met_other_area, c.people_with_area) == (3, 7)  # 1, 6 and 9; 2–3 urban, 10–11 small town
    assert c.repeat_pairings == 1  # 1 and 6 met again
    html = render_html_report(f, [])
    assert "Connections" in html and "Pairs placed together again" in html
    assert str(uid(1)) not in html


async def test_the_connection_chart_links_communities_and_hides_links_under_five(world: World) -> None:
    """Communities are nodes; a link drawn only where 5+ pairs of people met; the table says <5 otherwise."""
    from bot.core.evaluation.charts import PNG_MAGIC, chart_specs, render_chart
    from bot.core.groups.domain import MemberHow
    from bot.core.groups.repository import SqlGroupRepository

    # Leith (1–5) with Skye (6–8): 5 × 3 = 15 pairs in one big group; Crieff (9) meets Tain (11) once.
    async with world.database.unit_of_work() as uow:
        for number, people in ((1, [1, 2, 3, 4, 5, 6, 7, 8]), (2, [9, 11])):
            await uow.repo(SqlGroupRepository).add_group(
                guild_id=GUILD,
                session_id=world.sessions[0].id,
                number=number,
                coach_id=None,
                channel_id=None,
                members=[uid(n) for n in people],
                how=MemberHow.PROPOSAL,
                now=world.clock.now(),
            )
        await uow.commit()
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert f.connections is not None
    assert f.connections.links == (("Isle of Skye", "Leith", 15), ("Crieff", "Tain", 1))
    network = chart_specs(f)[-1]
    assert network.kind == "network"
    assert network.table_rows == (("Isle of Skye", "Leith", "15"), ("Crieff", "Tain", "<5"))
    assert "Crieff – Tain" not in network.alt and "Isle of Skye – Leith: 15" in network.alt
    assert render_chart(network).startswith(PNG_MAGIC)


async def test_a_community_is_named_only_with_five_consenting_participants(world: World) -> None:
    """Leith is named while its five members consent; when one withdraws, or a community has one member who
    typed it, it is counted under "other communities" and its name is nowhere in the report."""
    await world.participants.update_profile(person(6), ProfileUpdate(community="Glen Tiny"))
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert f.communities_count == 5 and [c.name for c in f.communities] == ["Leith"]
    assert (f.other_communities, f.other_community_participants) == (4, 7)
    page = (await build_report(world.database, GUILD, now=world.clock.now())).html
    assert "Glen Tiny" not in page and "Isle of Skye" not in page and "Other communities (4)" in page
    await world.participants.record_consent(person(5), {"evaluation": False}, text_version=1)
    f = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert f.communities == () and (f.other_communities, f.other_community_participants) == (5, 12)
    assert "Leith" not in (await build_report(world.database, GUILD, now=world.clock.now())).html
