"""Facilitator notices: the one place they are built.

A notice is a delivery of kind ``facilitator_notice`` with payload ``{"text": str}`` (and, when it is about
deliveries, their ids), posted in the programme's facilitator channel by the programme's handler
(bot.core.programme.deliveries.FacilitatorNoticeHandler). The dispatcher tells facilitators when a delivery
fails, keeps failing or expires; features tell them when something they did only half worked (a Scheduled
Event that could not be mirrored). Keys come from bot.core.delivery.keys, so each notice goes out once.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from bot.core.delivery.domain import FACILITATOR_NOTICE, Delivery, NewDelivery
from bot.core.delivery.keys import delivery_key
from bot.core.text import discord_timestamp

__all__ = [
    "EXPIRY_NOTICE_PREFIX",
    "FACILITATOR_NOTICE",
    "MAYBE_POSTED",
    "NOTICE_LIFETIME",
    "NOTICE_MAX_CHARS",
    "NOTICE_MAX_LINES",
    "describe",
    "expiry_notices",
    "facilitator_notice",
    "failed_notice",
    "failure_text",
    "retrying_notice",
    "still_trying_text",
]

NOTICE_LIFETIME = timedelta(days=7)
NOTICE_MAX_LINES = 15
NOTICE_MAX_CHARS = 1900  # under Discord's 2,000-character message limit
MAYBE_POSTED = "an interrupted attempt may have posted it"
EXPIRY_NOTICE_PREFIX = delivery_key("notice", "expired") + ":"  # dedupe keys of the notices that list expired rows


def facilitator_notice(
    guild_id: int, key: str, text: str, *, now: datetime, delivery_ids: Iterable[int] | None = None
) -> NewDelivery:
    """Build a notice for the server's facilitators, due now and useful for a week (text cut to fit one message).

    delivery_ids names the deliveries the notice is about (the dispatcher's notices).
    """
    payload: dict[str, object] = {"text": text[:NOTICE_MAX_CHARS]}
    if delivery_ids is not None:
        payload["delivery_ids"] = sorted(delivery_ids)
    return NewDelivery(
        guild_id=guild_id,
        kind=FACILITATOR_NOTICE,
        target=f"guild:{guild_id}:notices",
        dedupe_key=key,
        due_at=now,
        deliver_before=now + NOTICE_LIFETIME,
        payload=payload,
    )


def describe(delivery: Delivery) -> str:
    """Describe a delivery for facilitators: its payload summary (or kind and target) and when it was due."""
    summary = delivery.payload.get("summary") if isinstance(delivery.payload, dict) else None
    what = str(summary) if summary else f"{delivery.kind.replace('_', ' ')} ({delivery.target})"
    return f"{what}, due {discord_timestamp(delivery.due_at, 'f')}"


def failure_text(delivery: Delivery, reason: str) -> str:
    """Return the text of the notice about a delivery that failed for good."""
    return (
        f"Blether could not post the {describe(delivery)} and will not try again.\n"
        f"Reason: {reason}\n"
        "Fix the cause, then reschedule it (or let the next one go out)."
    )


def still_trying_text(delivery: Delivery, error: str) -> str:
    """Return the text of the notice about a delivery that keeps failing but has time left."""
    return (
        f"Blether has tried {delivery.attempts} times to post the {describe(delivery)} and keeps trying "
        f"until {discord_timestamp(delivery.deliver_before, 'f')}.\n"
        f"Last error: {error}\n"
        "Nothing is needed from you; you will hear again only if it cannot be sent in time."
    )


def failed_notice(delivery: Delivery, text: str, *, now: datetime) -> NewDelivery:
    """Build the notice that a delivery failed (once per delivery)."""
    key = delivery_key("notice", "failed", delivery.id)
    return facilitator_notice(delivery.guild_id, key, text, now=now, delivery_ids=[delivery.id])


def retrying_notice(delivery: Delivery, text: str, *, now: datetime) -> NewDelivery:
    """Build the notice that a delivery keeps failing and is still being tried (once per delivery)."""
    key = delivery_key("notice", "retrying", delivery.id)
    return facilitator_notice(delivery.guild_id, key, text, now=now, delivery_ids=[delivery.id])


def expiry_notices(
    expired: Sequence[Delivery],
    *,
    now: datetime,
    offline: bool,
    errors: dict[int, str] | None = None,
) -> list[NewDelivery]:
    """Build one facilitator notice per guild listing its expired deliveries (never about notices)."""
    by_guild: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in expired:
        if delivery.kind != FACILITATOR_NOTICE:
            by_guild[delivery.guild_id].append(delivery)
    notices = []
    for guild_id, rows in sorted(by_guild.items()):
        rows.sort(key=lambda d: (d.due_at, d.id))
        count = len(rows)
        noun = "message" if count == 1 else "messages"
        if offline:
            head = f"While Blether was offline, {count} scheduled {noun} passed the point where sending was useful:"
        else:
            head = f"{count} scheduled {noun} could not be sent before the point where sending was useful:"
        lines = [head]
        for d in rows[:NOTICE_MAX_LINES]:
            detail = (errors or {}).get(d.id)
            line = f"• {describe(d)}" + (f" ({detail})" if detail and "last error" in detail else "")
            lines.append(line + (f" — {MAYBE_POSTED}" if d.interrupted else ""))
        if count > NOTICE_MAX_LINES:
            lines.append(f"…and {count - NOTICE_MAX_LINES} more.")
        if any(d.interrupted for d in rows):
            lines.append("Nothing was posted for the others; check the channel for those marked before reposting them.")
        else:
            lines.append("Nothing was posted for these; repost by hand anything that still matters.")
        ids = [d.id for d in rows]
        digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:32]
        key = delivery_key("notice", "expired", digest)
        notices.append(facilitator_notice(guild_id, key, "\n".join(lines), now=now, delivery_ids=ids))
    return notices
