"""Data retention: the daily retention_sweep removes old free text, keeps ratings, audits and reschedules itself."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.delivery.domain import DeliveryStatus, NewDelivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.evaluation.deliveries import RETENTION_SWEEP
from bot.core.evaluation.figures import compute_programme_figures
from bot.core.evaluation.retention import add_months, retention_cutoff
from bot.core.flash.content import STORY_REDACTED
from bot.core.flash.repository import SqlFlashItemRepository
from bot.core.programme.domain import Programme
from bot.core.storage.state import SqlAuditRepository
from tests.core.evaluation.conftest import (
    FACILITATOR,
    GUILD,
    NAMES,
    RESOURCE_URL,
    STORY_TEXT,
    World,
    person,
)
from tests.core.evaluation.test_exports import export_all, read_csv
from tests.core.fakes import Posted

QUOTE_B = "The small groups in session 2 helped, said participant B."
AFTER_RETENTION = datetime(2027, 9, 8, 12, 0, tzinfo=UTC)  # 12 months after the last planned session (7 Sep 2026)


async def sweeps(world: World, status: DeliveryStatus | None = None) -> list:
    """Return the retention sweep deliveries."""
    async with world.database.unit_of_work() as uow:
        return await uow.repo(SqlDeliveryRepository).list(kind=RETENTION_SWEEP, status=status)


async def audit(world: World) -> list:
    """Return the retention audit entries."""
    async with world.database.unit_of_work() as uow:
        return await uow.repo(SqlAuditRepository).list(guild_id=GUILD, action="retention_sweep")


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    """31 January + 1 month is 28 February; going back works across years."""
    moment = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert add_months(moment, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert add_months(moment, -2) == datetime(2025, 11, 30, 9, 0, tzinfo=UTC)
    assert add_months(moment, 12) == datetime(2027, 1, 31, 9, 0, tzinfo=UTC)


def test_cutoff_waits_for_retention_months_after_the_last_session(world: World) -> None:
    """No cutoff while the programme runs or within retention after it; then now minus retention."""
    programme = Programme(id=1, guild_id=GUILD, retention_months=12)
    sessions = [*world.sessions, world.future, world.cancelled]
    assert retention_cutoff(programme, sessions, datetime(2027, 8, 1, tzinfo=UTC)) is None
    assert retention_cutoff(programme, sessions, AFTER_RETENTION) == datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
    assert retention_cutoff(programme, [], AFTER_RETENTION) == datetime(2026, 9, 8, 12, 0, tzinfo=UTC)


async def test_ensure_schedules_one_sweep_per_day_at_half_past_three_local(world: World) -> None:
    """ensure_retention_sweep is idempotent: one pending row keyed by server and local date, due 03:30 BST."""
    due = await world.evaluation.ensure_retention_sweep(GUILD)
    again = await world.evaluation.ensure_retention_sweep(GUILD)
    assert due == again == datetime(2026, 7, 2, 2, 30, tzinfo=UTC)
    (row,) = await sweeps(world, DeliveryStatus.PENDING)
    assert row.dedupe_key == f"retention_sweep:{GUILD}:2026-07-02"
    assert row.target == f"guild:{GUILD}:retention"
    assert row.deliver_before - row.due_at == timedelta(days=30)
    assert await world.evaluation.ensure_retention_sweep(999) is None  # no programme there
    assert await world.evaluation.ensure_all_retention_sweeps() == 1


async def test_nothing_is_removed_while_the_programme_runs(world: World) -> None:
    """A year after the first session, with a session still planned, the sweep keeps all text and reschedules."""
    world.clock.set(datetime(2027, 8, 1, 12, 0, tzinfo=UTC))
    result = await world.sweeper.sweep(GUILD)
    assert result is not None and result.cutoff is None and result.removed == 0
    assert await audit(world) == []
    _, rows = read_csv((await export_all(world))["responses.csv"])
    assert sum(1 for r in rows if r["answer_text"]) == 28


async def test_the_daily_sweep_removes_old_free_text_keeps_ratings_and_schedules_the_next(world: World) -> None:
    """Run through the dispatcher after retention: texts, story and note gone; ratings, counts and figures stay;
    an audit entry counts what went; tomorrow's sweep is pending."""
    before = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    published = (await world.flash.latest(FACILITATOR)).snapshot
    assert [q.text for q in published.content.recap.quotes] == [QUOTE_B]
    world.clock.set(AFTER_RETENTION)
    due = await world.evaluation.ensure_retention_sweep(GUILD)
    assert due == datetime(2027, 9, 9, 2, 30, tzinfo=UTC)
    world.clock.set(due)
    await world.dispatcher.run_due()

    done = [d for d in await sweeps(world) if d.dedupe_key.endswith("2027-09-09")]
    assert [d.status for d in done] == [DeliveryStatus.SENT]
    (pending,) = await sweeps(world, DeliveryStatus.PENDING)
    assert pending.dedupe_key == f"retention_sweep:{GUILD}:2027-09-10"

    files = await export_all(world)
    _, responses = read_csv(files["responses.csv"])
    assert [r["answer_text"] for r in responses if r["answer_text"]] == []
    assert sum(1 for r in responses if r["answer_rating"]) == 28
    _, stories = read_csv(files["stories.csv"])
    assert [r["story_text"] for r in stories] == [""]
    _, resources = read_csv(files["resources.csv"])
    assert [(r["note"], r["title"], r["url"] != "") for r in resources] == [("", "", True)]  # the link stays

    after = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert after.ratings == before.ratings and after.mean_rating == before.mean_rating
    assert [s.attendance for s in after.sessions][:5] == [s.attendance for s in before.sessions]  # 7 is held by now
    assert after.reflections_total == 30 and after.stories_of_change == 2
    assert after.quotes == ()

    (entry,) = await audit(world)
    assert entry.actor_id is None
    assert entry.detail == (
        "cutoff 2026-09-09T02:30:00+00:00; reflection answers 30, resources 1, stories 2, nominations 0, "
        "published issues 1; posted messages edited 1"
    )
    latest = await world.flash.latest(FACILITATOR)
    assert [s.text for s in latest.snapshot.content.stories] == [STORY_REDACTED, STORY_REDACTED]  # both published
    assert latest.snapshot.content.recap is not None and latest.snapshot.content.recap.quotes == ()
    assert STORY_TEXT not in str(latest.snapshot.messages) and "participant B" not in str(latest.snapshot.messages)
    assert latest.snapshot.content.recap.attendance == 8  # figures stay


async def test_a_second_sweep_finds_nothing_more(world: World) -> None:
    """The sweep is idempotent: run again, it removes nothing and adds no audit entry."""
    world.clock.set(AFTER_RETENTION)
    first = await world.sweeper.sweep(GUILD)
    second = await world.sweeper.sweep(GUILD)
    assert first is not None and first.removed == 33
    assert second is not None and second.removed == 0 and second.flash.issues == 0
    assert len(await audit(world)) == 1


async def test_a_sweep_for_a_server_without_a_programme_is_cancelled(world: World) -> None:
    """The handler skips (cancels) a sweep whose server has no programme, and schedules nothing more."""
    now = world.clock.now()
    async with world.database.unit_of_work() as uow:
        await world.dispatcher.schedule(
            uow,
            NewDelivery(
                guild_id=4242,
                kind=RETENTION_SWEEP,
                target="guild:4242:retention",
                dedupe_key="retention_sweep:4242:2026-07-01",
                due_at=now,
                deliver_before=now + timedelta(days=30),
            ),
        )
        await uow.commit()
    await world.dispatcher.run_due()
    rows = [d for d in await sweeps(world) if d.guild_id == 4242]
    assert [d.status for d in rows] == [DeliveryStatus.CANCELLED]


@pytest.mark.parametrize("months", [1, 6])
async def test_shorter_retention_applies_sooner(world: World, months: int) -> None:
    """With retention of a few months the text goes that long after the last session."""
    from bot.core.programme.domain import ProgrammeSettingsUpdate
    from tests.core.evaluation.conftest import ADMIN

    await world.programme.setup(ADMIN, ProgrammeSettingsUpdate(retention_months=months))
    world.clock.set(add_months(world.future.ends_at, months) + timedelta(days=1))
    result = await world.sweeper.sweep(GUILD)
    assert result is not None and result.reflection_answers == 30


async def test_retention_blanks_every_free_text_field_and_edits_what_was_posted_with_it(world: World) -> None:
    """Past retention the sweep blanks resource titles and notes, credited names, stories and excerpts (items and
    the published snapshot), and through the delivery engine edits the posted issue, the facilitators' draft and
    the reflection summary that showed them: nothing expired is left readable in a message."""
    await world.reflections.close_poll(FACILITATOR, world.sessions[1].id)  # its summary quotes participant B
    await world.flash.share_resource(person(4), "https://example.org/kettle", "Kettle club guide", "Ask Morven")
    await world.participants.record_consent(person(4), {"quote": True}, text_version=1)
    await world.flash.share_story(person(4), "Our kettle club now meets twice a week.", credit_by_name=True)
    plan = await world.flash.set_schedule(FACILITATOR, "first Monday of the month at 09:00")
    world.clock.set(plan.draft_at)
    await world.dispatcher.run_due()
    await world.flash.clear_schedule(FACILITATOR)  # the draft stays a draft (unpublished) till the sweep
    posted = {p.message_id: p for p in world.sender.channel_posts}
    expiring = (
        QUOTE_B,
        "Compassion toolkit",
        "Handy for our cafe",
        NAMES[1],
        STORY_TEXT,
        "Kettle club guide",
        NAMES[4],
    )
    shown = " ".join(p.text() for p in posted.values())
    assert all(text in shown for text in expiring)

    world.clock.set(datetime(2027, 9, 9, 2, 30, tzinfo=UTC))
    result = await world.sweeper.sweep(GUILD)
    assert result is not None and result.posted_edits == 3  # issue #1, the draft and the summary
    async with world.database.unit_of_work() as uow:
        (item,) = [i for i in await uow.repo(SqlFlashItemRepository).records(GUILD) if i.url == RESOURCE_URL]
    assert (item.title, item.note, item.author_name) == ("", "", "")
    await world.dispatcher.run_due()
    now_shown = {}
    for channel_id, message_id, message in world.sender.edits:
        now_shown[message_id] = Posted(channel_id, message_id, message, None).text()
    readable = " ".join(now_shown.get(i, p.text()) for i, p in posted.items())
    assert [text for text in expiring if text in readable] == []
    assert RESOURCE_URL in readable and "Reflections closed" in readable  # links and counts stay
    edits = len(world.sender.edits)
    world.clock.set(datetime(2027, 9, 10, 2, 30, tzinfo=UTC))
    again = await world.sweeper.sweep(GUILD)
    await world.dispatcher.run_due()
    assert again is not None and again.removed == 0 and len(world.sender.edits) == edits  # nothing more to edit
