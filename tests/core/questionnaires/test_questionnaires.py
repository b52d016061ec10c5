"""Questionnaires: templates, pages, answering with resume, bad input, versions, status and deliveries."""

import logging
from datetime import timedelta

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.errors import DomainError
from bot.core.evaluation.retention import RetentionSweeper
from bot.core.participants.domain import Area, ProfileUpdate
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.questionnaires.deliveries import QUESTIONNAIRE_CLOSE, QUESTIONNAIRE_DM, QUESTIONNAIRE_OPEN
from bot.core.questionnaires.domain import ItemKind, QuestionnaireStatus
from bot.core.questionnaires.errors import (
    QuestionnaireClosedError,
    StaleVersionError,
    TamperedPageError,
    WrongAudienceError,
)
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.questionnaires.service import QuestionnaireService
from bot.core.storage.database import Database
from tests.core.fakes import FakeSender
from tests.core.questionnaires.conftest import add_outcomes
from tests.core.reflections.conftest import (
    FACILITATOR,
    GUILD,
    REFLECTIONS_CHANNEL,
    FakeDispatcher,
    join,
    member,
    opt_in_dms,
    pending,
)

FACILITATOR_ROLE = 77
PARTICIPANT_ROLE = 78


async def _roles(database: Database, clock: ManualClock) -> None:
    async with database.unit_of_work() as uow:
        await uow.repo(SqlProgrammeRepository).update(
            GUILD, {"facilitator_role_id": FACILITATOR_ROLE, "participant_role_id": PARTICIPANT_ROLE}, now=clock.now()
        )
        await uow.commit()


async def _open(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    database: Database,
    template: str = "end-of-programme",
) -> int:
    view = await questionnaires.create(FACILITATOR, template)
    await questionnaires.open(FACILITATOR, view.questionnaire.name)
    (row,) = await pending(database, [QUESTIONNAIRE_OPEN])
    await handlers.registered[QUESTIONNAIRE_OPEN](row)
    return view.questionnaire.id


def _page(form, value: str = "4", text: str = "Plenty") -> dict:
    values = {}
    for field in form.fields:
        if field.kind.is_rating:
            values[field.id] = [value]
        elif field.kind is ItemKind.YES_MAYBE_NO:
            values[field.id] = ["yes"]
        else:
            values[field.id] = text
    return values


async def test_end_of_programme_template_pages_keep_pairs_together(
    questionnaires: QuestionnaireService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """Four outcomes make 14 items on 4 pages of ≤ 5, each outcome's before/now on one page, mentor last."""
    await add_outcomes(database, clock)
    view = await questionnaires.create(FACILITATOR, "end-of-programme")
    assert len(view.items) == 14 and view.pages == 4
    assert view.items[-1].key == "mentor" and view.items[-1].kind is ItemKind.YES_MAYBE_NO
    assert view.questionnaire.status is QuestionnaireStatus.DRAFT


async def test_open_posts_start_and_invites_opted_in_people(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """Opening posts the Start button in the reflections channel and plans a DM per opted-in participant."""
    await join(participants, 101, 102)
    await opt_in_dms(database, clock, 101)
    qid = await _open(questionnaires, handlers, database)
    (post,) = sender.channel_posts
    assert post.channel_id == REFLECTIONS_CHANNEL and post.message.buttons[0].custom_id == f"blether:qn-start:{qid}"
    dms = await pending(database, [QUESTIONNAIRE_DM])
    assert [d.payload["user_id"] for d in dms] == [101]
    closes = await pending(database, [QUESTIONNAIRE_CLOSE])
    assert closes[0].due_at == clock.now() + timedelta(days=21)


async def test_answers_resume_where_left_off_and_summary_at_the_end(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """Page 1 saved, Start again opens page 2; the last page returns the summary and the mentoring offer."""
    await add_outcomes(database, clock)
    await join(participants, 101)
    qid = await _open(questionnaires, handlers, database)
    person = member(101)
    first = await questionnaires.start(person, qid)
    assert first.page == 1 and first.pages == 4 and first.title.endswith("page 1 of 4")
    saved = await questionnaires.submit_page(person, qid, first.version, 1, _page(first, "2"))
    assert saved.next_page == 2
    resumed = await questionnaires.start(person, qid)
    assert resumed.page == 2
    again = await questionnaires.page(person, qid, 1)
    assert again.fields[0].default == "2"
    for number in (2, 3, 4):
        form = await questionnaires.page(person, qid, number)
        saved = await questionnaires.submit_page(person, qid, form.version, number, _page(form))
    assert saved.next_page is None and saved.mentor_offer
    assert ("Would you support or mentor a second cohort?", "yes") in saved.summary
    assert len(saved.summary) == 14


async def test_bad_input_is_refused_logged_and_stores_nothing(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out-of-range values and tampered pages are refused and logged; unregistered people are sent to /join."""
    await add_outcomes(database, clock)
    await join(participants, 101)
    qid = await _open(questionnaires, handlers, database)
    person = member(101)
    form = await questionnaires.start(person, qid)
    bad = _page(form) | {"q1": ["6"]}
    with caplog.at_level(logging.WARNING), pytest.raises(TamperedPageError):
        await questionnaires.submit_page(person, qid, form.version, 1, bad)
    assert "Refused a tampered questionnaire page from user 101" in caplog.text
    with pytest.raises(TamperedPageError):
        await questionnaires.submit_page(person, qid, form.version, 9, _page(form))
    with pytest.raises(TamperedPageError):
        await questionnaires.page(person, qid, 0)
    with pytest.raises(TamperedPageError):
        await questionnaires.submit_page(person, qid, form.version, 1, _page(form) | {"q9": "x"})
    with pytest.raises(NotRegisteredError, match="/join"):
        await questionnaires.start(member(555), qid)
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlQuestionnaireRepository).answer_count(qid) == 0
    await questionnaires.close(FACILITATOR, "end-of-programme")
    with pytest.raises(QuestionnaireClosedError):
        await questionnaires.submit_page(person, qid, form.version, 1, _page(form))
    async with database.unit_of_work() as uow:
        assert await uow.repo(SqlQuestionnaireRepository).answer_count(qid) == 0


async def test_audiences_are_kept_apart(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """The facilitators' questionnaire refuses participants; the participants' one refuses facilitator-only members."""
    await _roles(database, clock)
    await join(participants, 101, 102)
    staff_q = await _open(questionnaires, handlers, database, "facilitators")
    pat = Actor(GUILD, 101, role_ids=frozenset({PARTICIPANT_ROLE}))
    fran = Actor(GUILD, 102, role_ids=frozenset({FACILITATOR_ROLE}))
    with pytest.raises(WrongAudienceError):
        await questionnaires.start(pat, staff_q)
    assert (await questionnaires.start(fran, staff_q)).page == 1
    view = await questionnaires.create(FACILITATOR, "baseline")
    await questionnaires.open(FACILITATOR, view.questionnaire.name)
    rows = await pending(database, [QUESTIONNAIRE_OPEN])
    (row,) = [r for r in rows if r.payload["questionnaire_id"] == view.questionnaire.id]
    await handlers.registered[QUESTIONNAIRE_OPEN](row)
    with pytest.raises(WrongAudienceError):
        await questionnaires.start(fran, view.questionnaire.id)
    assert (await questionnaires.start(pat, view.questionnaire.id)).page == 1


async def test_editing_after_answers_makes_a_new_version_and_keeps_old_answers(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """An edit after answers bumps the version; old answers keep version 1; a stale page is refused."""
    await add_outcomes(database, clock)
    await join(participants, 101)
    qid = await _open(questionnaires, handlers, database)
    person = member(101)
    form = await questionnaires.start(person, qid)
    await questionnaires.submit_page(person, qid, 1, 1, _page(form, "3"))
    view = await questionnaires.edit_items(FACILITATOR, "end-of-programme", "add", kind="short_text", text="One word?")
    assert view.questionnaire.version == 2 and view.items[-1].text == "One word?"
    with pytest.raises(StaleVersionError):
        await questionnaires.submit_page(person, qid, 1, 2, _page(form))
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlQuestionnaireRepository).answers(qid, 101)
    assert {a.version for a in stored} == {1} and len(stored) == 4
    resumed = await questionnaires.start(person, qid)
    assert resumed.version == 2 and resumed.page == 2
    first = await questionnaires.page(person, qid, 1)
    assert first.fields[0].default == "3"  # pre-filled from version 1 by item key
    await questionnaires.submit_page(person, qid, 2, 1, _page(first, "4"))
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlQuestionnaireRepository).answers(qid, 101)
    assert {a.version for a in stored} == {2} and {a.value for a in stored} == {4}


async def test_status_counts_by_area_and_role_suppress_under_five(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
    sender: FakeSender,
) -> None:
    """Six rural starters show; two urban ones are suppressed; close posts the completion summary."""
    people = list(range(201, 209))
    await join(participants, *people)
    for user_id in people[:6]:
        await participants.update_profile(member(user_id), ProfileUpdate(area=Area.REMOTE_RURAL))
    for user_id in people[6:]:
        await participants.update_profile(member(user_id), ProfileUpdate(area=Area.LARGE_URBAN))
    qid = await _open(questionnaires, handlers, database)
    for user_id in people:
        form = await questionnaires.start(member(user_id), qid)
        await questionnaires.submit_page(member(user_id), qid, form.version, 1, _page(form))
    report = await questionnaires.status(FACILITATOR, "end-of-programme")
    assert report.started == 8 and report.finished == 0
    areas = {g.label: g for g in report.by_area}
    assert areas["Rural"].started == 6 and areas["Urban"].started is None
    await questionnaires.close(FACILITATOR, "end-of-programme")
    (row,) = await pending(database, [QUESTIONNAIRE_CLOSE])
    await handlers.registered[QUESTIONNAIRE_CLOSE](row)
    summary = sender.channel_posts[-1]
    assert "8 people started it and 0 finished" in str(summary.message.embeds[0].description)


async def test_mentoring_contact_is_a_fourth_consent_purpose_not_asked_at_join(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """Yes to mentoring records the mentoring purpose; the join prompt still asks only the three."""
    from bot.core.participants.domain import ConsentPurpose

    await join(participants, 101, quote=False)
    qid = await _open(questionnaires, handlers, database)
    person = member(101)
    with pytest.raises(Exception, match="yes or maybe"):
        await questionnaires.mentor_contact(person, qid, True)
    form = await questionnaires.start(person, qid)
    while True:
        saved = await questionnaires.submit_page(person, qid, form.version, form.page, _page(form))
        if saved.next_page is None:
            break
        form = await questionnaires.page(person, qid, saved.next_page)
    assert saved.mentor_offer
    await questionnaires.mentor_contact(Actor(0, 101), qid, True)
    state = await participants.current_consent(GUILD, 101)
    assert state.granted(ConsentPurpose.MENTORING) and state.missing == ()


async def test_pages_submitted_together_are_saved_together_and_a_bad_one_alone_is_refused(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """Concurrent pages (two from one person, one tampered, one unregistered) share a batch; each gets its own."""
    import asyncio

    await add_outcomes(database, clock)
    people = list(range(401, 411))
    await join(participants, *people)
    qid = await _open(questionnaires, handlers, database)
    first = await questionnaires.page(member(401), qid, 1)
    second = await questionnaires.page(member(401), qid, 2)
    calls = [questionnaires.submit_page(member(u), qid, 1, 1, _page(first)) for u in people]
    calls.append(questionnaires.submit_page(member(401), qid, 1, 2, _page(second)))
    calls.append(questionnaires.submit_page(member(402), qid, 1, 1, _page(first) | {"q1": ["9"]}))
    calls.append(questionnaires.submit_page(member(999), qid, 1, 1, _page(first)))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(r.next_page == 2 for r in results[:10])  # type: ignore[union-attr]
    assert results[10].next_page == 3  # type: ignore[union-attr]
    assert isinstance(results[11], TamperedPageError) and isinstance(results[12], NotRegisteredError)
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlQuestionnaireRepository).answers(qid)
    assert len(stored) == 10 * 4 + 4
    assert {a.value for a in stored if a.user_id == 402} == {4}  # the tampered resubmit changed nothing


async def test_baseline_opens_before_the_first_session_and_is_offered_at_join(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """A baseline opens a week before the first session by default; once open, /join offers it until finished."""
    from tests.core.reflections.conftest import add_session

    await add_outcomes(database, clock)
    first = await add_session(database, clock, starts_at=clock.now() + timedelta(days=30))
    view = await questionnaires.create(FACILITATOR, "baseline")
    assert view.questionnaire.opens_at == first.starts_at - timedelta(days=7)
    await join(participants, 101)
    assert await questionnaires.baseline_offer(member(101)) is None  # not open yet
    clock.set(view.questionnaire.opens_at + timedelta(minutes=1))
    (row,) = await pending(database, [QUESTIONNAIRE_OPEN])
    await handlers.registered[QUESTIONNAIRE_OPEN](row)
    offer = await questionnaires.baseline_offer(member(101))
    assert offer is not None and offer.buttons[0].custom_id == f"blether:qn-start:{view.questionnaire.id}"
    assert await questionnaires.baseline_offer(member(555)) is None  # not registered
    form = await questionnaires.start(member(101), view.questionnaire.id)
    while True:
        saved = await questionnaires.submit_page(member(101), view.questionnaire.id, 1, form.page, _page(form))
        if saved.next_page is None:
            break
        form = await questionnaires.page(member(101), view.questionnaire.id, saved.next_page)
    assert await questionnaires.baseline_offer(member(101)) is None  # finished


async def test_open_at_a_typed_local_time_plans_it_in_the_programme_zone(
    questionnaires: QuestionnaireService, programme: Programme, database: Database, clock: ManualClock
) -> None:
    """`at:` as typed ("YYYY-MM-DD HH:MM", programme's zone) opens then; a bad time is refused and plans nothing."""
    view = await questionnaires.create(FACILITATOR, "end-of-programme")
    local = (clock.now() + timedelta(days=3)).astimezone(programme.zone).replace(second=0, microsecond=0)
    await questionnaires.open(FACILITATOR, view.questionnaire.name, at=local.strftime("%Y-%m-%d %H:%M"))
    (row,) = await pending(database, [QUESTIONNAIRE_OPEN])
    assert row.due_at == local
    other = await questionnaires.create(FACILITATOR, "facilitators")
    with pytest.raises(DomainError):
        await questionnaires.open(FACILITATOR, other.questionnaire.name, at="next Tuesday")
    assert len(await pending(database, [QUESTIONNAIRE_OPEN])) == 1


async def test_retention_blanks_questionnaire_text_answers_and_keeps_ratings(
    questionnaires: QuestionnaireService,
    handlers: FakeDispatcher,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    clock: ManualClock,
) -> None:
    """Past retention the sweep blanks text answers (and counts them in the audit); ratings and choices stay."""
    await add_outcomes(database, clock)
    await join(participants, 101)
    qid = await _open(questionnaires, handlers, database)
    person = member(101)
    for number in (1, 2, 3, 4):
        form = await questionnaires.page(person, qid, number)
        await questionnaires.submit_page(person, qid, form.version, number, _page(form, "5", "Our hall reopened"))
    clock.advance(timedelta(days=3 * 366))
    result = await RetentionSweeper(database, clock, handlers).sweep(GUILD)
    assert result is not None and result.questionnaire_answers > 0
    assert f"questionnaire answers {result.questionnaire_answers}" in result.audit_detail()
    async with database.unit_of_work() as uow:
        stored = await uow.repo(SqlQuestionnaireRepository).answers(qid, 101)
    assert not any(a.value == "Our hall reopened" for a in stored)
    assert sum(1 for a in stored if a.value == "") == result.questionnaire_answers
    assert any(a.value in (5, "5") for a in stored)
