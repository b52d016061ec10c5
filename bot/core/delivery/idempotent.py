"""Post a delivery's message at most once: the nonce for quick retries, the marker after a crash.

Feature handlers call these instead of the Sender directly (see the contract in
bot.core.delivery.dispatcher). Both stamp ``delivery.marker`` into the message footer so a later
run can recognise the message, pass ``delivery.nonce`` so the platform drops a create repeated within
its nonce window, and, when the delivery was recovered from an abandoned attempt, look for the
marked message first and return its id instead of posting again.
"""

import dataclasses
import logging

from bot.core.delivery.domain import Delivery
from bot.core.messages import OutboundMessage, plain, small, text
from bot.core.ports import Sender

log = logging.getLogger(__name__)


def stamp_marker(message: OutboundMessage, marker: str) -> OutboundMessage:
    """Return message with marker in the footer of its last embed (or as small print after its content)."""
    if marker in plain(message.content) or any(marker in plain(e.footer) for e in message.embeds):
        return message
    if message.embeds:
        last = message.embeds[-1]
        footer = text(last.footer, " · ", marker) if last.footer else marker
        embeds = (*message.embeds[:-1], dataclasses.replace(last, footer=footer))
        return dataclasses.replace(message, embeds=embeds)
    content = text(message.content, small(marker)) if message.content else text(small(marker))
    return dataclasses.replace(message, content=content)


async def post_once(sender: Sender, channel_id: int, message: OutboundMessage, delivery: Delivery) -> int:
    """Post message to channel_id for delivery unless an earlier attempt already did; return the message id."""
    if delivery.recovered:
        found = await sender.find_recent(channel_id, delivery.marker)
        if found is not None:
            log.info("Delivery %s was already posted as message %s; not posting again", delivery.id, found.message_id)
            return found.message_id
    sent = await sender.post(channel_id, stamp_marker(message, delivery.marker), nonce=delivery.nonce)
    return sent.message_id


async def dm_once(
    sender: Sender,
    user_id: int,
    message: OutboundMessage,
    delivery: Delivery,
    *,
    dm_channel_id: int | None = None,
) -> int:
    """Send message as a DM to user_id for delivery unless an earlier attempt already did; return its id.

    A recovered delivery can only be checked when the DM channel is known (dm_channel_id); without it the
    DM goes out with the nonce, which protects within the nonce window only.
    """
    if delivery.recovered:
        if dm_channel_id is not None:
            found = await sender.find_recent(dm_channel_id, delivery.marker)
            if found is not None:
                log.info("Delivery %s was already sent as DM %s; not sending again", delivery.id, found.message_id)
                return found.message_id
        else:
            log.info("Delivery %s recovered but its DM channel is unknown; sending with the nonce only", delivery.id)
    sent = await sender.send_dm(user_id, stamp_marker(message, delivery.marker), nonce=delivery.nonce)
    return sent.message_id
