"""Scheduling, drafts and publication through the real dispatcher: on time, skipped, now, exactly once."""

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.delivery.domain import DeliverySkipped, DeliveryStatus
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.flash.content import Recap, RecapQuote
from bot.core.flash.deliveries import DRAFT_KIND, PUBLISH_KIND, issue_target
from bot.core.flash.domain import IssueStatus, PublishOutcome
from bot.core.flash.errors import (
    FlashChannelMissingError,
    InvalidLeadTimeError,
    IssueNotDraftError,
    NothingPublishedError,
    NotScheduledError,
)
from bot.core.flash.ids import parse_custom_id
from bot.core.flash.repository import SqlFlashIssueRepository
from bot.core.messages import OutboundMessage
from bot.core.ports import PermanentSendError, TransientSendError
from bot.discord_render import Mode
from tests.core.flash.conftest import (
    FACILITATOR,
    FACILITATOR_CHANNEL,
    FLASH_CHANNEL,
    OTHER,
    PARTICIPANT,
    Flash,
    at,
    make_session,
)
from tests.core.flash.limits import all_text, check_limits
from tests.rendering import written

MONTHLY = "first Monday of the month at 09:00"
FEB_2 = at(2026, 2, 2, 9)  # 09:00 GMT
MAR_2 = at(2026, 3, 2, 9)  # 09:00 GMT
APR_6 = at(2026, 4, 6, 8)  # 09:00 BST


async def seed(flash: Flash) -> None:
    """Collect a little of everything and give the programme a past and a next session."""
    flash.programmes.sessions = [
        make_session(1, "What is a compassionate community?", at(2026, 1, 6, 18)),
        make_session(2, "Death cafés", at(2026, 2, 17, 18), url="https://meet.example.org/s2"),
    ]
    flash.recaps.recaps[10] = Recap(
        None, "", 23, 12, 9, 4.25, (RecapQuote("I felt heard.", 31), RecapQuote("Brilliant!", 32))
    )
    flash.participants.joined = [at(2025, 12, 1), at(2026, 1, 10), at(2026, 1, 20)]
    flash.consent.by_purpose["quote"] = {PARTICIPANT.user_id}
    await flash.service.share_resource(PARTICIPANT, "https://toolkit.example/", "Community toolkit", tags="toolkit")
    await flash.service.share_story(PARTICIPANT, "Our street now checks on each other.", credit_by_name=True)
    await flash.service.share_story(OTHER, "A private story.")


async def deliveries(flash: Flash, issue_id: int) -> list[tuple[str, str, object]]:
    async with flash.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list(target=issue_target(issue_id))
    return [(d.kind, d.status.value, d.due_at) for d in rows]


async def issue(flash: Flash, number: int):  # type: ignore[no-untyped-def]
    async with flash.database.unit_of_work() as uow:
        found = await uow.repo(SqlFlashIssueRepository).get_by_number(4242, number)
    assert found is not None
    return found


async def test_schedule_drafts_two_days_before_and_publishes_on_time(flash: Flash) -> None:
    """The draft reaches facilitators at T-2d with its buttons; the issue goes out at T; the next is planned."""
    await seed(flash)
    result = await flash.service.set_schedule(FACILITATOR, MONTHLY)
    assert (result.cadence, result.timezone) == (MONTHLY, "Europe/London")
    assert result.publish_at == FEB_2 and result.draft_at == FEB_2 - timedelta(days=2)
    assert result.following == (MAR_2, APR_6)

    await flash.run_until(FEB_2 - timedelta(days=2, minutes=1))
    assert flash.sender.posts == []
    await flash.run_until(FEB_2 - timedelta(days=2))
    draft = flash.posted_to(FACILITATOR_CHANNEL)
    check_limits(draft)
    assert "Draft of Flash Report #1" in written(draft[0].content)
    assert f"<t:{int(FEB_2.timestamp())}:F>" in written(draft[0].content)
    assert {parse_custom_id(b.custom_id or "").action.value for b in draft[-1].buttons} == {"publish", "intro", "skip"}
    assert "1 story of change will wait" in written(draft[0].content)

    await flash.run_until(FEB_2 - timedelta(minutes=1))
    assert flash.posted_to(FLASH_CHANNEL) == []
    await flash.run_until(FEB_2)
    published = flash.posted_to(FLASH_CHANNEL)
    check_limits(published)
    text = all_text(published)
    assert "Community toolkit" in text and "https://toolkit.example/" in text and "shared by Pat" in text
    assert "Our street now checks on each other." in text and "— Pat" in text
    assert "A private story." not in text
    assert "Session 1: What is a compassionate community?" in text
    assert "👥 23 took part · 💬 12 reflections · ⭐ 4.2 / 5 from 9 ratings" in text
    assert "I felt heard." in text
    assert "Session 2: Death cafés" in text and "https://meet.example.org/s2" in text
    assert f"<t:{int(at(2026, 2, 17, 18).timestamp())}:R>" in text
    assert "3 people who joined" in text

    first = await issue(flash, 1)
    assert first.status is IssueStatus.PUBLISHED and first.published_at == FEB_2
    assert first.message_ids == tuple(p.message_id for p in flash.sender.posts if p.channel_id == FLASH_CHANNEL)
    second = await issue(flash, 2)
    assert second.status is IssueStatus.DRAFT and second.scheduled_for == MAR_2
    assert second.period_start == FEB_2
    assert sorted(await deliveries(flash, second.id)) == [
        (DRAFT_KIND, "pending", MAR_2 - timedelta(days=2)),
        (PUBLISH_KIND, "pending", MAR_2),
    ]
    latest = await flash.service.latest(PARTICIPANT)
    assert latest.issue.number == 1
    for frozen, posted in zip(latest.snapshot.messages, published, strict=True):  # posted = frozen + its marker
        assert [e.description for e in frozen.embeds] == [e.description for e in posted.embeds]
        posted_footer = written(posted.embeds[-1].footer, mode=Mode.PLAIN)
        assert posted_footer.startswith(written(frozen.embeds[-1].footer, mode=Mode.PLAIN) or "-")
        assert " · ref " in posted_footer


async def test_nine_local_stays_nine_local_after_the_clocks_change(flash: Flash) -> None:
    """Issues publish at 09:00 GMT in March and 09:00 BST (08:00 UTC) in April."""
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    await flash.run_until(MAR_2, step=timedelta(hours=6))
    assert (await issue(flash, 2)).published_at == MAR_2
    assert (await issue(flash, 3)).scheduled_for == APR_6
    await flash.run_until(APR_6, step=timedelta(hours=6))
    assert (await issue(flash, 3)).published_at == APR_6


async def test_skip_moves_the_issue_to_the_next_date_and_keeps_its_items(flash: Flash) -> None:
    """Skip this month: nothing goes out at T; the same issue (and its items) goes out a month later."""
    await seed(flash)
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    await flash.run_until(FEB_2 - timedelta(days=2))
    one = await issue(flash, 1)
    skipped = await flash.service.skip_issue(FACILITATOR, one.id)
    assert (skipped.skipped_date, skipped.next_date) == (FEB_2, MAR_2)
    await flash.run_until(FEB_2 + timedelta(days=1))
    assert flash.posted_to(FLASH_CHANNEL) == []
    assert len(flash.posted_to(FACILITATOR_CHANNEL)) == 1
    await flash.run_until(MAR_2)
    assert len(flash.posted_to(FACILITATOR_CHANNEL)) == 2  # the new draft at T-2d
    assert "Community toolkit" in all_text(flash.posted_to(FLASH_CHANNEL))
    assert (await issue(flash, 1)).published_at == MAR_2


async def test_publish_now_then_the_scheduled_publication_does_nothing(flash: Flash) -> None:
    """A "publish now" posts at once; at the scheduled time nothing more is posted for that issue."""
    await seed(flash)
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    one = await issue(flash, 1)
    request = await flash.service.publish_now(FACILITATOR, one.id)
    assert request.outcome is PublishOutcome.STARTED
    assert (await flash.service.publish_now(FACILITATOR, one.id)).outcome is PublishOutcome.ALREADY_GOING_OUT
    await flash.run()
    posted = len(flash.posted_to(FLASH_CHANNEL))
    assert posted >= 1
    assert (await flash.service.publish_now(FACILITATOR, one.id)).outcome is PublishOutcome.ALREADY_PUBLISHED
    again = await flash.service.publish_now(FACILITATOR)  # "/flash publish" again with nothing new collected
    assert again.outcome is PublishOutcome.ALREADY_PUBLISHED and again.issue.number == 1
    await flash.run_until(FEB_2 + timedelta(hours=1))
    assert len(flash.posted_to(FLASH_CHANNEL)) == posted
    assert flash.posted_to(FACILITATOR_CHANNEL) == []  # the draft for 2 February was cancelled with it
    assert (await issue(flash, 2)).scheduled_for == MAR_2  # the next issue keeps the cadence's next date


async def test_publish_requests_at_the_same_moment_take_turns(flash: Flash, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four "publish now" at once, a second apart in time: one publication, three told it is going out."""
    await seed(flash)
    one = (await flash.service.build_draft(FACILITATOR)).issue
    ticking = flash.clock
    monkeypatch.setattr(ticking, "now", lambda: ticking.advance(timedelta(seconds=1)))  # every request its own key
    requests = await asyncio.gather(*(flash.service.publish_now(FACILITATOR, one.id) for _ in range(4)))
    monkeypatch.undo()
    outcomes = Counter(r.outcome for r in requests)
    assert outcomes == {PublishOutcome.STARTED: 1, PublishOutcome.ALREADY_GOING_OUT: 3}
    assert [status for kind, status, _ in await deliveries(flash, one.id)] == ["pending"]
    await flash.run()
    assert [status for kind, status, _ in await deliveries(flash, one.id)] == ["sent"]
    assert len(flash.posted_to(FLASH_CHANNEL)) == len(await posted_parts(flash))


async def test_setting_a_schedule_keeps_a_pending_publish_now(flash: Flash) -> None:
    """/flash schedule right after "publish now" re-plans the dates but the promised publication still goes out."""
    await seed(flash)
    one = (await flash.service.build_draft(FACILITATOR)).issue
    assert (await flash.service.publish_now(FACILITATOR, one.id)).outcome is PublishOutcome.STARTED
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    statuses = {(kind, status) for kind, status, _ in await deliveries(flash, one.id)}
    assert statuses == {(DRAFT_KIND, "pending"), (PUBLISH_KIND, "pending")}
    assert len(await deliveries(flash, one.id)) == 3  # the publish now, and the new date's draft and publication
    await flash.run()
    assert (await issue(flash, 1)).status is IssueStatus.PUBLISHED
    await flash.run_until(FEB_2 + timedelta(hours=1))
    assert len(flash.posted_to(FLASH_CHANNEL)) == len(await posted_parts(flash))  # published once, not again
    assert flash.posted_to(FACILITATOR_CHANNEL) == []


async def test_finishing_one_issue_keeps_the_next_issues_publish_now(flash: Flash) -> None:
    """Issue 1 finishing re-plans issue 2, which a facilitator asked to publish meanwhile: that request stands.

    Found by the chaos run on PostgreSQL: the re-planning cancelled issue 2's pending "publish now".
    """
    await seed(flash)
    one = (await flash.service.build_draft(FACILITATOR)).issue
    await flash.service.publish_now(FACILITATOR, one.id)
    flash.sender.fail_when = lambda channel_id, message: TransientSendError("503")
    await flash.run()  # issue 1 is frozen but not out: its publication waits for a retry
    assert (await issue(flash, 1)).status is IssueStatus.PUBLISHING
    flash.clock.advance(timedelta(seconds=1))
    await flash.service.share_resource(PARTICIPANT, "https://later.example/", "Shared after issue 1 froze")
    two = await flash.service.publish_now(FACILITATOR)
    assert (two.issue.number, two.outcome) == (2, PublishOutcome.STARTED)
    flash.sender.fail_when = None
    async with flash.database.unit_of_work() as uow:
        (first,) = await uow.repo(SqlDeliveryRepository).list(target=issue_target(one.id), kind=PUBLISH_KIND)
    await flash.deliveries.deliver_publication(first)  # issue 1 finishes while issue 2's request waits
    assert [status for _, status, _ in await deliveries(flash, two.issue.id)] == ["pending"]
    flash.clock.advance(timedelta(minutes=1))
    await flash.run()
    assert (await issue(flash, 2)).status is IssueStatus.PUBLISHED


async def posted_parts(flash: Flash) -> tuple[object, ...]:
    return (await flash.service.latest(FACILITATOR)).snapshot.messages


async def test_a_stale_publication_delivery_of_a_published_issue_is_skipped(flash: Flash) -> None:
    """Even if the scheduled delivery ran, the issue's status and publisher guard it: nothing is posted."""
    await seed(flash)
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    one = await issue(flash, 1)
    async with flash.database.unit_of_work() as uow:
        (scheduled,) = await uow.repo(SqlDeliveryRepository).list(target=issue_target(one.id), kind=PUBLISH_KIND)
    await flash.service.publish_now(FACILITATOR, one.id)
    await flash.run()
    posted = len(flash.sender.posts)
    with pytest.raises(DeliverySkipped):
        await flash.deliveries.deliver_publication(scheduled)
    assert len(flash.sender.posts) == posted


async def big_issue(flash: Flash) -> None:
    for i in range(60):  # six people, ten each: within the daily limit; the issue posts its first 40
        sharer = replace(PARTICIPANT, user_id=1000 + i % 6, display_name=f"Sharer {i % 6}")
        await flash.service.share_resource(
            sharer, f"https://r{i}.example.org/{'x' * 200}", "A long title " * 11, note="A long note. " * 38
        )


async def test_a_crash_between_posting_and_recording_posts_each_part_once(flash: Flash) -> None:
    """After losing the answer for part 2 (and the nonce window passing), the retry finds it and goes on."""
    sender = flash.sender
    sender.crash_on = 2
    await big_issue(flash)
    one = (await flash.service.build_draft(FACILITATOR)).issue
    await flash.service.publish_now(FACILITATOR, one.id)
    await flash.run()
    assert len(sender.posts) == 2
    assert (await issue(flash, 1)).message_ids == (sender.posts[0].message_id,)
    flash.clock.advance(timedelta(minutes=6))  # beyond the nonce window: only the marker can save us
    await flash.run()
    latest = await flash.service.latest(FACILITATOR)
    parts = len(latest.snapshot.messages)
    assert parts >= 3
    assert len(sender.posts) == parts
    assert latest.issue.status is IssueStatus.PUBLISHED
    assert latest.issue.message_ids == tuple(p.message_id for p in sender.posts)
    footers = [written(p.message.embeds[-1].footer, mode=Mode.PLAIN) for p in sender.posts]
    assert [f"{i}/{parts}" in f for i, f in enumerate(footers, start=1)] == [True] * parts


async def test_a_publication_stopped_by_a_permanent_error_can_be_resumed(flash: Flash) -> None:
    """Missing permissions stop the publication part-way; "publish now" then posts only the missing parts."""
    await big_issue(flash)
    one = (await flash.service.build_draft(FACILITATOR)).issue
    calls = {"n": 0}

    def deny_second(channel_id: int, message: OutboundMessage) -> Exception | None:
        calls["n"] += 1
        return PermanentSendError("Blether cannot post in that channel") if calls["n"] == 2 else None

    flash.sender.fail_when = deny_second
    await flash.service.publish_now(FACILITATOR, one.id)
    await flash.run()
    stuck = await issue(flash, 1)
    assert stuck.status is IssueStatus.PUBLISHING and len(stuck.message_ids) == 1
    flash.sender.fail_when = None
    flash.clock.advance(timedelta(minutes=1))
    resumed = await flash.service.publish_now(FACILITATOR, one.id)
    assert resumed.outcome is PublishOutcome.RESUMED
    await flash.run()
    done = await issue(flash, 1)
    parts = len((await flash.service.latest(FACILITATOR)).snapshot.messages)
    assert done.status is IssueStatus.PUBLISHED
    assert len(flash.posted_to(FLASH_CHANNEL)) == parts == len(done.message_ids)


async def test_a_restart_with_an_abandoned_claim_publishes_exactly_once(flash: Flash) -> None:
    """A worker that claimed the publication and died: after its lease, another worker publishes once."""
    await seed(flash)
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    flash.clock.set(FEB_2)
    async with flash.database.unit_of_work() as uow:
        claimed = await uow.repo(SqlDeliveryRepository).claim_due(
            FEB_2, limit=10, lease=timedelta(minutes=2), worker_id="dead-worker"
        )
        await uow.commit()
    assert {d.kind for d in claimed} == {DRAFT_KIND, PUBLISH_KIND}
    flash.clock.advance(timedelta(minutes=10))
    await flash.run()
    await flash.run()
    assert len(flash.posted_to(FLASH_CHANNEL)) == len((await flash.service.latest(PARTICIPANT)).snapshot.messages)
    async with flash.database.unit_of_work() as uow:
        rows = await uow.repo(SqlDeliveryRepository).list(target=issue_target(claimed[0].payload["issue_id"]))
    assert {(d.kind, d.status) for d in rows} == {
        (PUBLISH_KIND, DeliveryStatus.SENT),
        (DRAFT_KIND, DeliveryStatus.EXPIRED),
    }


async def test_publication_without_a_channel_fails_clearly(flash: Flash) -> None:
    """Without a Flash Reports channel, "publish now" says so and a scheduled publication tells facilitators."""
    flash.programmes.programme_value = replace(flash.programmes.programme_value, flash_reports_channel_id=None)  # type: ignore[arg-type]
    with pytest.raises(FlashChannelMissingError, match="/programme setup"):
        await flash.service.publish_now(FACILITATOR)
    await flash.service.set_schedule(FACILITATOR, MONTHLY)
    await flash.run_until(FEB_2)
    assert flash.posted_to(FLASH_CHANNEL) == []
    one = await issue(flash, 1)
    assert one.status is IssueStatus.DRAFT
    async with flash.database.unit_of_work() as uow:
        failed = await uow.repo(SqlDeliveryRepository).list(kind=PUBLISH_KIND, status=DeliveryStatus.FAILED)
    assert failed and "No Flash Reports channel is set" in (failed[0].last_error or "")


async def test_facilitator_only_actions_are_refused_to_participants(flash: Flash) -> None:
    """Participants cannot schedule, draft, publish, skip, edit intros or list items."""
    from bot.core.errors import PermissionDeniedError

    for call in (
        flash.service.set_schedule(PARTICIPANT, MONTHLY),
        flash.service.build_draft(PARTICIPANT),
        flash.service.publish_now(PARTICIPANT),
        flash.service.skip_issue(PARTICIPANT, 1),
        flash.service.set_intro(PARTICIPANT, 1, "hi"),
        flash.service.list_items(PARTICIPANT),
    ):
        with pytest.raises(PermissionDeniedError, match="Only facilitators"):
            await call


async def test_intro_is_editable_until_publication(flash: Flash) -> None:
    """The intro shows in the draft and the issue; after publication it cannot change."""
    preview = await flash.service.build_draft(FACILITATOR)
    issue_id = preview.issue.id
    assert "Welcome to this month's Flash Report" in all_text(preview.messages)
    await flash.service.set_intro(FACILITATOR, issue_id, "Hello **everyone** — a special issue! @everyone")
    assert await flash.service.get_intro(FACILITATOR, issue_id) == "Hello **everyone** — a special issue! @everyone"
    await flash.service.publish_now(FACILITATOR, issue_id)
    await flash.run()
    text = all_text((await flash.service.latest(PARTICIPANT)).snapshot.messages)
    assert "Hello \\*\\*everyone\\*\\* — a special issue! @\u200beveryone" in text
    with pytest.raises(IssueNotDraftError):
        await flash.service.set_intro(FACILITATOR, issue_id, "too late")
    with pytest.raises(IssueNotDraftError):
        await flash.service.skip_issue(FACILITATOR, issue_id)


async def test_schedule_rules_and_skip_without_schedule(flash: Flash) -> None:
    """Lead time limits are explained; skipping needs a schedule; clearing it cancels the pending dates."""
    with pytest.raises(InvalidLeadTimeError):
        await flash.service.set_schedule(FACILITATOR, MONTHLY, lead_hours=0)
    preview = await flash.service.build_draft(FACILITATOR)
    with pytest.raises(NotScheduledError):
        await flash.service.skip_issue(FACILITATOR, preview.issue.id)
    result = await flash.service.set_schedule(FACILITATOR, "every Friday at 16:00", lead_hours=24)
    assert result.draft_at == result.publish_at - timedelta(hours=24)
    assert await flash.service.clear_schedule(FACILITATOR)
    assert {status for _, status, _ in await deliveries(flash, preview.issue.id)} == {"cancelled"}
    assert (await issue(flash, 1)).scheduled_for is None


async def test_latest_and_archive(flash: Flash) -> None:
    """Before anything is out, /flash latest says so; afterwards the archive lists issues newest first."""
    with pytest.raises(NothingPublishedError):
        await flash.service.latest(PARTICIPANT)
    for n in range(3):
        await flash.service.share_resource(PARTICIPANT, f"https://n{n}.example/", f"Thing {n}")
        await flash.service.publish_now(FACILITATOR)
        await flash.run()
        flash.clock.advance(timedelta(days=30))
    page = await flash.service.archive(PARTICIPANT)
    assert [s.number for s in page.issues] == [3, 2, 1]
    assert [s.resources for s in page.issues] == [1, 1, 1]
    assert (page.page, page.pages, page.total) == (1, 1, 3)
    assert (await flash.service.latest(PARTICIPANT)).issue.number == 3
