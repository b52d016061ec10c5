"""post_once and dm_once: nonce on every post, marker in the footer, find_recent after recovery."""

import dataclasses
from datetime import UTC, datetime

from bot.core.delivery.domain import Delivery, DeliveryStatus
from bot.core.delivery.idempotent import dm_once, post_once, stamp_marker
from bot.core.messages import Embed, OutboundMessage
from bot.discord_render import Mode, render
from tests.core.fakes import DM_CHANNEL_BASE, FakeSender

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
DELIVERY = Delivery(
    id=1,
    guild_id=1,
    kind="post",
    target="t",
    dedupe_key="session:1:reminder",
    payload={},
    due_at=NOW,
    deliver_before=NOW,
    status=DeliveryStatus.CLAIMED,
    attempts=1,
    lease_until=None,
    message_id=None,
    last_error=None,
    created_at=NOW,
    sent_at=None,
)


def test_stamp_marker_goes_into_the_last_embed_footer() -> None:
    """The marker joins an existing footer of the last embed."""
    message = OutboundMessage(embeds=(Embed(title="a"), Embed(title="b", footer="Session 1")))
    stamped = stamp_marker(message, DELIVERY.marker)
    assert stamped.embeds[0].footer is None
    assert render(stamped.embeds[1].footer, mode=Mode.PLAIN) == f"Session 1 · {DELIVERY.marker}"
    assert stamp_marker(stamped, DELIVERY.marker) == stamped


def test_stamp_marker_without_embeds_adds_small_text() -> None:
    """Plain content gets the marker as Discord subtext on its own line."""
    assert render(stamp_marker(OutboundMessage(content="hi"), "ref x").content) == "hi\n-# ref x"


async def test_post_once_posts_with_nonce_and_marker() -> None:
    """A fresh delivery is posted once with its nonce; a repeat within the window returns the same id."""
    sender = FakeSender()
    first = await post_once(sender, 5, OutboundMessage(content="hi"), DELIVERY)
    again = await post_once(sender, 5, OutboundMessage(content="hi"), DELIVERY)
    assert first == again
    assert len(sender.posts) == 1
    assert sender.posts[0].nonce == DELIVERY.nonce
    assert DELIVERY.marker in sender.posts[0].text()
    assert sender.find_calls == []


async def test_post_once_when_recovered_finds_the_earlier_message() -> None:
    """A recovered delivery whose message is already there returns its id and posts nothing."""
    sender = FakeSender(enforce_nonce=False)
    first = await post_once(sender, 5, OutboundMessage(content="hi"), DELIVERY)
    recovered = dataclasses.replace(DELIVERY, recovered=True)
    assert await post_once(sender, 5, OutboundMessage(content="hi"), recovered) == first
    assert len(sender.posts) == 1
    assert sender.find_calls == [(5, DELIVERY.marker)]


async def test_post_once_when_recovered_posts_if_nothing_was_posted() -> None:
    """A recovered delivery whose earlier attempt never posted is posted now."""
    sender = FakeSender()
    recovered = dataclasses.replace(DELIVERY, recovered=True)
    await post_once(sender, 5, OutboundMessage(content="hi"), recovered)
    assert len(sender.posts) == 1


async def test_dm_once_checks_the_dm_channel_when_known() -> None:
    """dm_once sends with the nonce and, recovered with a known DM channel, finds the earlier DM."""
    sender = FakeSender(enforce_nonce=False)
    first = await dm_once(sender, 7, OutboundMessage(content="hi"), DELIVERY)
    recovered = dataclasses.replace(DELIVERY, recovered=True)
    again = await dm_once(sender, 7, OutboundMessage(content="hi"), recovered, dm_channel_id=DM_CHANNEL_BASE + 7)
    assert first == again
    assert len(sender.dms) == 1
    assert sender.dms[0].nonce == DELIVERY.nonce
