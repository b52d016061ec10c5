"""Interviews: a reproducible stratified shortlist, invitations with answers, and withdrawal removing people."""

import pytest
from sqlalchemy import select

from bot.core.interviews import deliveries as interview_deliveries
from bot.core.interviews.deliveries import INTERVIEW_INVITE
from bot.core.interviews.domain import InterviewStatus
from bot.core.interviews.errors import NoCandidatesError, NotInvitedError
from bot.core.interviews.service import InterviewService, draw
from bot.core.participants.domain import Area, ConsentPurpose, ConsentSource, ProfileUpdate
from bot.core.participants.service import ParticipantService
from bot.core.programme.domain import Programme
from bot.core.storage.database import Database
from bot.core.storage.models.state import AuditEventRow
from tests.core.fakes import FakeSender
from tests.core.reflections.conftest import FACILITATOR, GUILD, FakeDispatcher, member, pending


async def _people(participants: ParticipantService, *, interview: dict[int, bool]) -> None:
    for user_id, yes in interview.items():
        joined = await participants.join(member(user_id))
        assert joined.consent_prompt is not None
        await participants.record_consent(
            member(user_id),
            {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: False, ConsentPurpose.INTERVIEW: yes},
            text_version=joined.consent_prompt.version,
        )


def test_draw_is_reproducible_and_spreads_across_strata() -> None:
    """The same seed gives the same people; every stratum gives one before any gives two."""
    strata = {"Rural": [1, 2, 3, 4], "Urban": [5, 6, 7], "Small town": [8]}
    first = draw(strata, 3, seed=42)
    assert first == draw(strata, 3, seed=42)
    assert sorted(key for _, key in first) == ["Rural", "Small town", "Urban"]
    assert len({u for u, _ in draw(strata, 8, seed=7)}) == 8


async def test_shortlist_only_consenting_people_records_seed(
    interviews: InterviewService, participants: ParticipantService, programme: Programme, database: Database
) -> None:
    """Only people who agreed are proposed; the seed is in the audit log; a second call proposes others."""
    await _people(participants, interview={101: True, 102: True, 103: False, 104: True})
    await participants.update_profile(member(101), ProfileUpdate(area=Area.REMOTE_RURAL))
    result = await interviews.shortlist(FACILITATOR, 2, "area", seed=1234)
    assert result.pool == 3 and len(result.candidates) == 2 and result.seed == 1234
    assert 103 not in {c.user_id for c in result.candidates}
    assert 101 in {c.user_id for c in result.candidates}  # the only rural person is its stratum's pick
    async with database.unit_of_work() as uow:
        details = (await uow.session.scalars(select(AuditEventRow.detail))).all()
    assert any("seed=1234" in d and "vary_by=area" in d for d in details)
    more = await interviews.shortlist(FACILITATOR, 5)
    assert len(more.candidates) == 1
    with pytest.raises(NoCandidatesError):
        await interviews.shortlist(FACILITATOR, 5)


async def test_invite_answer_and_withdrawal_removes(
    interviews: InterviewService,
    participants: ParticipantService,
    programme: Programme,
    database: Database,
    dispatcher: FakeDispatcher,
    sender: FakeSender,
) -> None:
    """Invitations go out as DMs with Yes/No; answers are recorded; withdrawing consent removes the person."""
    interview_deliveries.register(dispatcher, database=database, sender=sender)
    await _people(participants, interview={101: True, 102: True})
    await interviews.shortlist(FACILITATOR, 2, seed=5)
    with pytest.raises(NotInvitedError):
        await interviews.answer(member(101), GUILD, True)
    listed = await interviews.invite(FACILITATOR)
    assert listed.invited == 2
    rows = await pending(database, [INTERVIEW_INVITE])
    for row in rows:
        await dispatcher.registered[INTERVIEW_INVITE](row)
    assert {d.user_id for d in sender.dms} == {101, 102}
    assert [b.custom_id for b in sender.dms[0].message.buttons] == [
        f"blether:interview:{GUILD}:yes",
        f"blether:interview:{GUILD}:no",
    ]
    await interviews.answer(member(101), GUILD, True)
    text = await participants.consent_text(GUILD)
    await participants.record_consent(
        member(102), {ConsentPurpose.INTERVIEW: False}, text_version=text.version, source=ConsentSource.SETTINGS
    )
    after = await interviews.listing(FACILITATOR)
    assert [(c.user_id, c.status) for c in after.candidates] == [(101, InterviewStatus.ACCEPTED)]
    assert after.removed == 1
