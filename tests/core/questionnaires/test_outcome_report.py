"""The report's Outcomes table equals figures computed independently from the answers given."""

import random
import statistics
from datetime import timedelta

from bot.core.clock import ManualClock
from bot.core.evaluation.charts import PNG_MAGIC, chart_specs, render_chart
from bot.core.evaluation.figures import programme_figures
from bot.core.evaluation.outcome_tables import agreement_rows, band_rows, mentor_rows, outcome_rows
from bot.core.evaluation.render import render_html_report
from bot.core.evaluation.repository import load_cohort
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.questionnaires.deliveries import QUESTIONNAIRE_OPEN
from bot.core.questionnaires.domain import ItemKind
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.reflections.domain import AttendanceSource
from bot.core.reflections.repository import SqlAttendanceRepository
from bot.core.storage.database import Database
from tests.core.questionnaires.conftest import OUTCOMES, add_outcomes
from tests.core.reflections.conftest import FACILITATOR, GUILD, FakeDispatcher, add_session, member, pending


def _mean(values: list[int]) -> str:
    return f"{statistics.fmean(values):.1f}" if len(values) >= 5 else ("–" if not values else "n<5")


async def test_outcome_table_matches_an_independent_computation(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """30 people answer at random; one withdraws evaluation consent; the table equals the test's own figures."""
    await add_outcomes(database, clock)
    sessions = [
        await add_session(database, clock, number=n, starts_at=clock.now() - timedelta(days=40 - 3 * n))
        for n in range(1, 11)
    ]
    rng = random.Random(11)
    people = list(range(300, 330))
    attended: dict[int, int] = {}
    for user_id in people:
        joined = await participants.join(member(user_id))
        assert joined.consent_prompt is not None
        await participants.record_consent(
            member(user_id),
            {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: False, ConsentPurpose.INTERVIEW: False},
            text_version=joined.consent_prompt.version,
        )
        attended[user_id] = rng.randint(1, 10)
        async with database.unit_of_work() as uow:
            for session in sessions[: attended[user_id]]:
                await uow.repo(SqlAttendanceRepository).record(
                    guild_id=GUILD,
                    session_id=session.id,
                    user_ids=[user_id],
                    source=AttendanceSource.CHECK_IN,
                    now=clock.now(),
                )
            await uow.commit()
    view = await questionnaires.create(FACILITATOR, "end-of-programme")
    await questionnaires.open(FACILITATOR, view.questionnaire.name)
    (row,) = await pending(database, [QUESTIONNAIRE_OPEN])
    await handlers.registered[QUESTIONNAIRE_OPEN](row)
    qid = view.questionnaire.id
    given: dict[int, dict[str, object]] = {}
    for user_id in people:
        form = await questionnaires.start(member(user_id), qid)
        mine: dict[str, object] = {}
        stop_after = rng.choice([1, 2, 4, 4, 4])
        for number in range(1, stop_after + 1):
            form = await questionnaires.page(member(user_id), qid, number)
            values: dict[str, object] = {}
            items = [i for i in view.items][sum(len(p) for p in _pages(view)[: number - 1]) :][: len(form.fields)]
            for field, item in zip(form.fields, items, strict=True):
                if rng.random() < 0.1:
                    continue  # left empty: simply missing
                if item.kind.is_rating:
                    value = rng.randint(1, 5)
                    values[field.id] = [str(value)]
                    mine[item.key] = value
                elif item.kind is ItemKind.YES_MAYBE_NO:
                    value = rng.choice(["yes", "maybe", "no"])
                    values[field.id] = [value]
                    mine[item.key] = value
                else:
                    values[field.id] = "words"
            await questionnaires.submit_page(member(user_id), qid, form.version, number, values)
        given[user_id] = mine
    withdrawn = people[0]
    text = await participants.consent_text(GUILD)
    await participants.record_consent(member(withdrawn), {ConsentPurpose.EVALUATION: False}, text_version=text.version)
    del given[withdrawn]

    figures = programme_figures(await load_cohort(database, GUILD, now=clock.now()))
    assert figures.outcomes is not None
    rows = outcome_rows(figures.outcomes)
    assert [r[0] for r in rows] == list(OUTCOMES)
    for number, row in enumerate(rows, 1):
        key = f"o{number}"
        before = [a[f"{key}_before"] for a in given.values() if f"{key}_before" in a]
        now = [a[f"{key}_now"] for a in given.values() if f"{key}_now" in a]
        pairs = [
            a[f"{key}_now"] - a[f"{key}_before"] for a in given.values() if f"{key}_before" in a and f"{key}_now" in a
        ]
        assert row[1] == _mean(before) and row[3] == str(len(before))
        assert row[2] == f"{statistics.median(before):.1f}"
        assert row[4] == _mean(now) and row[6] == str(len(now))
        assert row[7] == f"{statistics.fmean(pairs):+.1f}" and row[9] == str(len(pairs))
        improved = sum(1 for p in pairs if p > 0)
        assert row[8] == ("n<5" if 0 < improved < 5 else f"{round(100 * improved / len(pairs))}%")
    for label, shown, n in agreement_rows(figures.outcomes):
        key = {"I have grown personally": "grown", "I have more influence in my community": "influence"}.get(
            label, "network"
        )
        values = [a[key] for a in given.values() if key in a]
        assert n == (str(len(values)) if len(values) >= 5 else "<5")
        agreeing = sum(1 for v in values if v >= 4)
        if len(values) >= 5:
            expected = "n<5" if 0 < agreeing < 5 else f"{round(100 * agreeing / len(values))}%"
            assert shown == expected
    mentors = [a["mentor"] for a in given.values() if "mentor" in a]
    shown_mentor = dict(mentor_rows(figures.outcomes))
    for choice in ("yes", "maybe", "no"):
        count = mentors.count(choice)
        assert shown_mentor[choice.capitalize()] in ({"<5"} if 0 < count < 5 else {str(count), "*"})
    bands = {label: n for label, n, _ in band_rows(figures.outcomes)}
    assert set(bands) == {"1–3", "4–6", "7–10"}
    specs = {spec.name: spec for spec in chart_specs(figures)}
    assert {"outcomes_before_now", "agreement"} <= set(specs)
    assert render_chart(specs["outcomes_before_now"]).startswith(PNG_MAGIC)
    assert render_chart(specs["agreement"]).startswith(PNG_MAGIC)
    html = render_html_report(figures, ())
    assert "Learning outcomes: before the programme and now" in html and OUTCOMES[0] in html


def _pages(view):  # the page split the service uses
    from bot.core.questionnaires.pages import paginate

    return paginate(view.items)
