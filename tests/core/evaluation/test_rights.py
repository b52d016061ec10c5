"""Participants' data rights: /me data, /me delete (no trace left, audited without ids), and /privacy."""

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

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
    CHANNELS,
    EXPORT_KEY,
    FACILITATOR,
    GUILD,
    NAMES,
    RESOURCE_URL,
    STORY_TEXT,
    World,
    person,
    uid,
    worked,
)
from tests.core.evaluation.test_exports import export_all
from tests.core.fakes import Posted
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
        "group_places": 0,
        "connections": 0,
        "questionnaire_responses": 0,
        "interview_list": 0,
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
    assert (await bare.export(FACILITATOR, "participants")).rows == {"participants": 11}  # 12 minus the decliner
    assert (await my_data(world, 1))["profile"] is not None  # nothing was erased


def database_bytes(world: World) -> bytes:
    """Return the SQLite file's bytes followed by its write-ahead log's (if any)."""
    path = Path(world.database.url.database or "")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_erased_text_cannot_be_read_back_from_the_sqlite_file(world: World) -> None:
    """After /me delete none of the person's words, shares or name remain in blether.db or its -wal, byte for byte
    (secure_delete zeroes freed space; the write-ahead log is checkpointed and truncated)."""
    if not world.database.is_sqlite:
        pytest.skip("reads the SQLite file")
    secrets = [
        worked(1, 1).encode(),  # a reflection answer
        worked(5, 1).encode(),
        b"Handy for our cafe",  # the note and title of the resource person 1 shared
        b"Compassion toolkit",
        NAMES[1].encode(),  # the display name kept to credit the resource
        b"Glen Tiny",  # a community only person 1 named
    ]
    await world.participants.update_profile(person(1), replace_profile(community="Glen Tiny"))
    await world.flash.share_story(person(1), "The kettle club grew to thirty neighbours in Glen Tiny")
    secrets.append(b"The kettle club grew to thirty neighbours")
    assert all(s in database_bytes(world) for s in secrets[:4])  # stored before (the rest may be in the -wal)
    await world.evaluation.erase_me(person(1))
    await world.dispatcher.run_due()
    found = database_bytes(world)
    assert [s for s in secrets if s in found] == []
    assert worked(1, 2).encode() in found or b"participant B" in found  # everyone else's words are still there


def latest_text(world: World, channel_id: int, message_id: int) -> str:
    """Return what a message posted by the fake sender shows now (its last edit, else as posted)."""
    message = next(p for p in world.sender.posts if p.message_id == message_id).message
    for channel, edited_id, edited in world.sender.edits:
        if (channel, edited_id) == (channel_id, message_id):
            message = edited
    return Posted(channel_id, message_id, message, None).text()


async def post_a_draft(world: World) -> list[int]:
    """Have person 4 share a resource and tell a story, then let the scheduled draft go to the facilitators."""
    await world.flash.share_resource(person(4), "https://example.org/kettle", "Kettle club guide", "Ask Morven")
    await world.participants.record_consent(person(4), {"quote": True}, text_version=1)
    await world.flash.share_story(person(4), "Our kettle club now meets twice a week.", credit_by_name=True)
    await world.flash.share_resource(person(5), "https://example.org/garden", "Garden guide")
    plan = await world.flash.set_schedule(FACILITATOR, "first Monday of the month at 09:00")
    world.clock.set(plan.draft_at)
    await world.dispatcher.run_due()
    return [p.message_id for p in world.sender.channel_posts if p.channel_id == CHANNELS["facilitators"]]


async def test_erasure_edits_the_posted_draft_and_the_reflection_summary_that_carry_the_person(world: World) -> None:
    """/me delete edits, through the delivery engine, the Flash Report draft in the facilitator channel (their
    resource, story and name) and the reflection summary quoting them; others' words stay; re-running edits
    nothing more."""
    await world.reflections.close_poll(FACILITATOR, world.sessions[0].id)
    await world.dispatcher.run_due()
    (summary,) = [p for p in world.sender.channel_posts if "Reflections closed" in p.text()]
    assert "participant A" in summary.text() and "participant L" in summary.text()
    before = set(await post_a_draft(world))
    drafts = [p for p in world.sender.channel_posts if p.message_id in before and "Draft of" in p.text()]
    assert drafts and NAMES[4] in drafts[0].text() and "Kettle club guide" in drafts[0].text()

    data = json.loads((await world.evaluation.export_my_data(person(4))).data)
    (mine,) = data["posted_messages_with_your_words"]  # /me data says where they are
    assert mine["channel_id"] == str(CHANNELS["facilitators"]) and str(drafts[0].message_id) in mine["message_ids"]
    report = await world.evaluation.erase_me(person(4))
    assert report.posted_messages_edited == 1 and any("earlier posts" in line for line in report.lines())
    await world.dispatcher.run_due()
    draft_now = latest_text(world, CHANNELS["facilitators"], drafts[0].message_id)
    for gone in (NAMES[4], "Kettle club guide", "Ask Morven", "kettle club now meets"):
        assert gone not in draft_now
    assert "Garden guide" in draft_now and NAMES[5] in draft_now

    report = await world.evaluation.erase_me(person(1))
    assert report.posted_messages_edited == 1  # the session 1 summary (the draft never carried person 1)
    await world.dispatcher.run_due()
    summary_now = latest_text(world, summary.channel_id, summary.message_id)
    assert "participant A" not in summary_now and "participant L" in summary_now
    assert "6 responses from 8 attendees" in summary_now  # counted again without persons 4 and 1
    edits = len(world.sender.edits)
    assert (await world.evaluation.erase_me(person(1))).posted_messages_edited == 0
    await world.dispatcher.run_due()
    assert len(world.sender.edits) == edits
