"""The Matrix Sender against a real Synapse: idempotent txnIds, sanitised HTML, opted-in pings, split, rate limits."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.core.clock import ManualClock
from bot.core.messages import Embed, FileAttachment, Link, OutboundMessage, Time, TimeStyle, strong, text, user
from bot.matrix.http import BletherHTTPAPI
from bot.matrix.ids import ROOM, USER, MatrixIds, MatrixState
from bot.matrix.sender import DIRECT_NOTICE, MatrixSender
from tests.matrix.client import Person

ZONE = ZoneInfo("Europe/London")


@pytest.fixture
async def world(synapse, register, database) -> AsyncIterator[dict]:
    """A bot account with a room shared with alice, and a sender posting as the bot."""
    bot = Person(synapse, register("bot"))
    alice = Person(synapse, register("alice"))
    room = bot.create_room("announcements", invite=[alice.user_id])
    alice.join(room)
    async with aiohttp.ClientSession() as session:
        api = BletherHTTPAPI(synapse.base_url, bot.user.access_token, client_session=session)
        ids = MatrixIds(database)
        clock = ManualClock(datetime(2027, 3, 1, 12, 0, tzinfo=UTC))
        alice_number = await ids.number(USER, alice.user_id)

        async def zone() -> ZoneInfo:
            return ZONE

        async def role_members(role_id: int) -> list[str]:
            return [alice.user_id] if role_id == 7 else []

        sender = MatrixSender(
            api, ids, MatrixState(database), clock, user_id=bot.user_id, zone=zone, role_members=role_members
        )
        yield {
            "bot": bot,
            "alice": alice,
            "room": room,
            "channel": await ids.number(ROOM, room),
            "sender": sender,
            "alice_number": alice_number,
            "synapse": synapse,
        }


async def test_a_retried_post_with_the_same_nonce_is_sent_once(world) -> None:
    """Posting twice with one nonce (a retry after a crash) leaves one message in the room."""
    sender, message = world["sender"], OutboundMessage(content=text("Reminder"))
    first = await sender.post(world["channel"], message, nonce="reminder:1:1700000000")
    second = await sender.post(world["channel"], message, nonce="reminder:1:1700000000")
    assert first == second
    bodies = [c["body"] for c in world["alice"].texts_from(world["room"], world["bot"].user_id)]
    assert bodies.count("Reminder") == 1
    found = await sender.find_recent(world["channel"], "reminder:1:1700000000")
    assert found == first


async def test_user_html_is_escaped_and_times_are_in_the_programme_zone(world) -> None:
    """User text never becomes markup; a summer time shows in BST; only http(s) links are links."""
    hostile = '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">click</a>'
    when = datetime(2027, 6, 4, 17, 30, tzinfo=UTC)
    message = OutboundMessage(
        content=text(strong(hostile), " at ", Time(when, TimeStyle.FULL), " ", Link("bad", "javascript:alert(1)")),
        embeds=(Embed(title="Card", description=text(user(world["alice_number"]), " said hi")),),
    )
    await world["sender"].post(world["channel"], message, nonce="html-1")
    content = world["alice"].texts_from(world["room"], world["bot"].user_id)[-1]
    assert content["format"] == "org.matrix.custom.html"
    assert "<img" not in content["formatted_body"] and "&lt;img" in content["formatted_body"]
    assert "javascript:" not in content["formatted_body"].replace("&lt;a href=&quot;javascript:", "")
    assert "Friday, 4 June 2027 18:30 BST" in content["body"]
    assert content["m.mentions"] == {}  # the mention in the text pings nobody


async def test_only_opted_in_role_members_are_pinged(world) -> None:
    """A reminder naming the role pings exactly the members who opted in, in m.mentions."""
    message = OutboundMessage(content=text("Session soon"), mention_role_ids=(7,))
    await world["sender"].post(world["channel"], message, nonce="ping-1")
    content = world["alice"].texts_from(world["room"], world["bot"].user_id)[-1]
    assert content["m.mentions"] == {"user_ids": [world["alice"].user_id]}


async def test_a_long_message_is_split_within_the_event_size_limit(world) -> None:
    """Sixty paragraphs of 1,000 characters arrive as several events, in order, none over the limit."""
    paragraphs = [f"Paragraph {i:02d} " + "x" * 1000 for i in range(60)]
    await world["sender"].post(world["channel"], OutboundMessage(content="\n\n".join(paragraphs)), nonce="long-1")
    contents = [c for c in world["alice"].texts_from(world["room"], world["bot"].user_id) if "Paragraph" in c["body"]]
    assert len(contents) >= 3
    joined = "\n\n".join(c["body"] for c in contents)
    assert [line[:12] for line in joined.split("\n\n")] == [p[:12] for p in paragraphs]


async def test_files_are_uploaded(world) -> None:
    """An .ics attachment is uploaded and sent as an m.file event."""
    message = OutboundMessage(content="Calendar", files=(FileAttachment("session.ics", b"BEGIN:VCALENDAR\r\n"),))
    await world["sender"].post(world["channel"], message, nonce="ics-1")
    files = [c for c in world["alice"].texts_from(world["room"], world["bot"].user_id) if c["msgtype"] == "m.file"]
    assert files and files[-1]["body"] == "session.ics" and files[-1]["url"].startswith("mxc://")


async def test_a_direct_message_opens_an_unencrypted_room_that_says_so(world) -> None:
    """send_dm creates a direct room once, invites the person and tells them it is not encrypted."""
    sender = world["sender"]
    await sender.send_dm(world["alice_number"], OutboundMessage(content="Question 1"), nonce="dm-1")
    await sender.send_dm(world["alice_number"], OutboundMessage(content="Question 2"), nonce="dm-2")
    invited = world["alice"].invites()
    assert len(invited) == 1
    world["alice"].join(invited[0])
    bodies = [c["body"] for c in world["alice"].texts_from(invited[0], world["bot"].user_id)]
    assert bodies == [DIRECT_NOTICE, "Question 1", "Question 2"]


async def test_rate_limits_are_waited_out(world, synapse_admin, caplog) -> None:
    """With the bot limited to one message a second, five posts all arrive (M_LIMIT_EXCEEDED honoured)."""
    caplog.set_level("INFO", logger="bot.matrix.http")
    synapse = world["synapse"]
    synapse.override_rate_limit(synapse_admin, world["bot"].user_id, per_second=1, burst_count=1)
    try:
        for index in range(5):
            await world["sender"].post(world["channel"], OutboundMessage(content=f"burst {index}"), nonce=f"b-{index}")
    finally:
        synapse.clear_rate_limit(synapse_admin, world["bot"].user_id)
    bodies = [c["body"] for c in world["alice"].texts_from(world["room"], world["bot"].user_id)]
    assert [b for b in bodies if b.startswith("burst")] == [f"burst {i}" for i in range(5)]
    assert sum("Rate-limited by the homeserver" in r.getMessage() for r in caplog.records) >= 3
