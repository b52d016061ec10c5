"""Participants' data rights: /me data, /me delete (no trace left, audited without ids), and /privacy."""

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.actors import Actor
from bot.core.delivery.domain import DeliveryStatus, NewDelivery
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.evaluation.errors import WrongServerError
from bot.core.evaluation.figures import compute_programme_figures
from bot.core.evaluation.privacy import PRIVACY_LIMIT, privacy_notice
from bot.core.evaluation.pseudonyms import pseudonym
from bot.core.evaluation.report import build_report
from bot.core.programme.domain import Programme
from bot.core.storage.state import SqlAuditRepository
from tests.core.evaluation.conftest import (
    EXPORT_KEY,
    FACILITATOR,
    GUILD,
    NAMES,
    RESOURCE_URL,
    STORY_TEXT,
    World,
    person,
    uid,
)
from tests.core.evaluation.test_exports import export_all
from tests.rendering import written


async def schedule_dm(world: World, user: int, key: str) -> None:
    """Queue a reminder DM to a person, as the reminder handler would."""
    now = world.clock.now()
    async with world.database.unit_of_work() as uow:
        await world.dispatcher.schedule(
            uow,
            NewDelivery(
                guild_id=GUILD,
                kind="session_reminder_dm",
                target=f"session:{world.future.id}:dm",
                dedupe_key=key,
                due_at=now + timedelta(days=60),
                deliver_before=now + timedelta(days=61),
                payload={"session_id": world.future.id, "user_id": user},
            ),
        )
        await uow.commit()


async def my_data(world: World, n: int) -> dict:
    """Return person n's /me data file as JSON."""
    attachment = await world.evaluation.export_my_data(person(n))
    assert attachment.filename == "blether-my-data-2026-07-01.json"
    return json.loads(attachment.data)


async def test_my_data_holds_everything_about_the_caller_and_nothing_about_others(world: World) -> None:
    """Profile, consent history, RSVPs, DM choice, reflections, attendance and shares of the caller only."""
    await schedule_dm(world, uid(1), "dm:one")
    data = await my_data(world, 1)
    assert data["user_id"] == str(uid(1)) and data["server_id"] == str(GUILD)
    assert data["profile"] | {"joined_at": None} == {
        "community": "Leith",
        "area_type": "large_urban",
        "role": "volunteer",
        "active": True,
        "joined_at": None,
        "left_at": None,
    }
    assert data["current_consent"] == {"evaluation": True, "quote": True, "interview": False}
    assert len(data["consent_history"]) == 3
    assert data["rsvps"] == [{"session_number": 7, "session_title": "Future theme", "said_at": "2026-01-05T12:00:00Z"}]
    assert data["reminder_preference"]["dm_reminders"] is True
    assert [r["session_number"] for r in data["reflections"]] == [1, 2, 3, 4, 5]
    assert data["reflections"][0]["answers"][1]["answer"] == "The small groups in session 1 helped, said participant A."
    assert [a["how"] for a in data["attendance"]] == ["check_in"] * 5
    assert [r["url"] for r in data["shared_resources"]] == [RESOURCE_URL]
    assert data["stories"] == []
    assert data["scheduled_messages_to_you"] == [{"kind": "session_reminder_dm", "due_at": "2026-08-30T12:00:00Z"}]
    text = json.dumps(data)
    assert "participant B" not in text and str(uid(2)) not in text and NAMES[2] not in text
    assert [s["story"] for s in (await my_data(world, 3))["stories"]] == [STORY_TEXT]


async def test_data_rights_commands_need_a_server(world: World) -> None:
    """In a direct message (guild 0) /me data and /me delete say to use them in the server."""
    dm = Actor(guild_id=0, user_id=uid(1))
    with pytest.raises(WrongServerError):
        await world.evaluation.export_my_data(dm)
    with pytest.raises(WrongServerError):
        await world.evaluation.erase_me(dm)


async def test_erasure_leaves_no_trace_in_exports_reports_or_figures(world: World) -> None:
    """After /me delete person 1 is in no export byte, no figure, no quote and no report; counts drop by one."""
    before = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    report = await world.evaluation.erase_me(person(1))
    assert dict(report.removed) == {
        "profile": 1,
        "consent_answers": 3,
        "community_names": 0,  # Leith is still named by four others
        "rsvps": 1,
        "reminder_preference": 1,
        "reflections": 5,
        "attendance": 5,
        "voice_stays": 0,
    }
    assert (report.flash_items_removed, report.flash_entries_removed, report.flash_issues_amended) == (1, 1, (1,))
    assert report.receipt.startswith("ER-") and not report.nothing_held

    gone = pseudonym(EXPORT_KEY, GUILD, uid(1))
    for fmt in ("csv", "json"):
        for name, blob in (await export_all(world, fmt)).items():
            text = blob.decode("utf-8")
            assert gone not in text, name
            assert "participant A" not in text and RESOURCE_URL not in text and "Handy for our cafe" not in text
    after = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert after.participants_registered == before.participants_registered - 1 == 11
    assert [s.attendance for s in after.sessions] == [9, 7, 6, 8, 5]
    assert after.reflections_total == 25 and after.resources_shared == 0
    assert [q.session_number for q in after.quotes] == [2]
    page = (await build_report(world.database, GUILD, now=world.clock.now())).html
    assert "participant A" not in page
    latest = await world.flash.latest(FACILITATOR)
    assert latest.snapshot.content.resources == ()
    assert [r.count for r in latest.snapshot.content.removals] == [1]
    data = await my_data(world, 1)
    assert data["profile"] is None and data["reflections"] == [] and data["consent_history"] == []


async def test_erasure_drops_the_persons_quote_from_the_published_flash_report(world: World) -> None:
    """Person 2's quote in Flash Report #1's recap goes (the Flash side marks the issue); figures lose it too."""
    before = (await world.flash.latest(FACILITATOR)).snapshot.content.recap
    assert before is not None and len(before.quotes) == 1
    report = await world.evaluation.erase_me(person(2))
    assert (report.flash_items_removed, report.flash_entries_removed) == (0, 1)
    after = (await world.flash.latest(FACILITATOR)).snapshot.content
    assert after.recap is not None and after.recap.quotes == ()
    figures = await compute_programme_figures(world.database, GUILD, now=world.clock.now())
    assert [q.session_number for q in figures.quotes] == [1]


async def test_erasure_is_audited_with_a_receipt_and_no_ids_or_content(world: World) -> None:
    """One audit entry "erasure": server id, counts and the receipt; no actor id, no user id, no text."""
    report = await world.evaluation.erase_me(person(3))
    async with world.database.unit_of_work() as uow:
        entries = await uow.repo(SqlAuditRepository).list(guild_id=GUILD, action="erasure")
    (entry,) = entries
    assert entry.actor_id is None and entry.guild_id == GUILD
    assert report.receipt in entry.detail and "reflections 5" in entry.detail
    for secret in (str(uid(3)), NAMES[3], STORY_TEXT, "participant C", pseudonym(EXPORT_KEY, GUILD, uid(3))):
        assert secret not in entry.detail
    assert any("story" in line or "Flash Report items" in line for line in report.lines())


async def test_erasure_cancels_pending_deliveries_addressed_to_the_person(world: World) -> None:
    """A queued DM to the erased person is cancelled; one to someone else stays pending."""
    await schedule_dm(world, uid(1), "dm:one")
    await schedule_dm(world, uid(2), "dm:two")
    report = await world.evaluation.erase_me(person(1))
    assert report.deliveries_cancelled == 1
    async with world.database.unit_of_work() as uow:
        repo = uow.repo(SqlDeliveryRepository)
        mine, theirs = await repo.get_by_key("dm:one"), await repo.get_by_key("dm:two")
    assert mine is not None and mine.status is DeliveryStatus.CANCELLED
    assert theirs is not None and theirs.status is DeliveryStatus.PENDING


async def test_erasing_twice_finds_nothing_the_second_time(world: World) -> None:
    """/me delete is idempotent: the second run removes nothing and is audited again."""
    await world.evaluation.erase_me(person(8))
    again = await world.evaluation.erase_me(person(8))
    assert again.nothing_held and again.lines() == []
    async with world.database.unit_of_work() as uow:
        assert len(await uow.repo(SqlAuditRepository).list(guild_id=GUILD, action="erasure")) == 2


async def test_a_community_only_the_erased_person_named_is_removed(world: World) -> None:
    """A community name typed by one person alone goes with them."""
    await world.participants.update_profile(person(9), replace_profile(community="Glen Tiny"))
    report = await world.evaluation.erase_me(person(9))
    assert report.removed["community_names"] == 1
    assert "Glen Tiny" not in await world.participants.community_choices(GUILD, "Glen")


def replace_profile(**changes: str):
    """Return a profile update."""
    from bot.core.participants.domain import ProfileUpdate

    return ProfileUpdate(**changes)


async def test_privacy_notice_says_what_why_how_long_who_and_how(world: World) -> None:
    """The notice names the data, the retention period, who sees what and the three /me commands."""
    text = written(await world.evaluation.privacy(GUILD))
    assert len(text) <= PRIVACY_LIMIT
    for phrase in (
        "What Blether keeps",
        "Why",
        "Who sees it",
        "How long",
        "/me data",
        "/me delete",
        "/me consent",
        "12 months after the",
        "fewer than 5 people",
        "P-3f2a9c0b1d4e",
    ):
        assert phrase in text
    custom = written(privacy_notice(replace(Programme(id=1, guild_id=GUILD), retention_months=1)))
    assert "1 month after the" in custom
    assert "12 months" in written(privacy_notice(None))


async def test_without_the_flash_eraser_or_dispatcher_those_methods_refuse(world: World) -> None:
    """A service built for exports only (the command line) refuses erasure and sweeps instead of half-doing them."""
    from bot.core.errors import NotConfiguredError
    from bot.core.evaluation.service import EvaluationService

    bare = EvaluationService(world.database, world.clock, export_key=EXPORT_KEY)
    with pytest.raises(NotConfiguredError):
        await bare.erase_me(person(1))
    with pytest.raises(NotConfiguredError):
        await bare.ensure_retention_sweep(GUILD)
    assert (await bare.export(FACILITATOR, "participants")).rows == {"participants": 12}
    assert (await my_data(world, 1))["profile"] is not None  # nothing was erased
