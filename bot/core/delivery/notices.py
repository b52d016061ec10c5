"""Facilitator notices: the one place they are built.

A notice is a delivery of kind ``facilitator_notice`` whose payload holds its text twice: "text", plain (for
logs and tests), and "rich", the rich text as data (times and mentions kept, see notice_payload), and, when it
is about deliveries, their ids. It is posted in the programme's facilitator channel by the programme's handler
(bot.core.programme.deliveries.FacilitatorNoticeHandler). The dispatcher tells facilitators when a delivery
fails, keeps failing or expires; features tell them when something they did only half worked (a Scheduled
Event that could not be mirrored). Keys come from bot.core.delivery.keys, so each notice goes out once.
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.delivery.domain import FACILITATOR_NOTICE, Delivery, NewDelivery
from bot.core.delivery.keys import delivery_key
from bot.core.messages import (
    RichText,
    Span,
    Text,
    Time,
    TimeStyle,
    as_text,
    clip,
    lines,
    text,
    text_from_data,
    text_to_data,
)

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
    "notice_payload",
    "notice_text",
    "retrying_notice",
    "still_trying_text",
]

NOTICE_LIFETIME = timedelta(days=7)
NOTICE_MAX_LINES = 15
NOTICE_MAX_CHARS = 1900  # plain characters: under Discord's 2,000-character message limit, with room for markup
_LEGACY_TIME = re.compile(r"<t:(-?\d{1,12}):([FfDdTtR])>")
MAYBE_POSTED = "an interrupted attempt may have posted it"
EXPIRY_NOTICE_PREFIX = delivery_key("notice", "expired") + ":"  # dedupe keys of the notices that list expired rows


def notice_payload(message: RichText) -> dict[str, Any]:
    """Return a notice's payload: "text" (plain, for logs and tests) and "rich" (the rich text, as data)."""
    clipped = clip(as_text(message), NOTICE_MAX_CHARS)
    return {"text": clipped.plain(), "rich": text_to_data(clipped)}


def notice_text(payload: Mapping[str, Any]) -> Text:
    """Return a notice's rich text (a row stored before notices were rich holds Discord markup: its times are kept)."""
    if "rich" in payload:
        return text_from_data(payload["rich"])
    legacy = str(payload.get("text", ""))[:NOTICE_MAX_CHARS]
    spans: list[Span] = []
    position = 0
    for match in _LEGACY_TIME.finditer(legacy):
        when = datetime.fromtimestamp(int(match[1]), UTC)
        spans += [legacy[position : match.start()], Time(when, TimeStyle(match[2]))]
        position = match.end()
    spans.append(legacy[position:])
    return Text(tuple(span for span in spans if span))


def facilitator_notice(
    guild_id: int, key: str, message: RichText, *, now: datetime, delivery_ids: Iterable[int] | None = None
) -> NewDelivery:
    """Build a notice for the server's facilitators, due now and useful for a week (cut to fit one message).

    delivery_ids names the deliveries the notice is about (the dispatcher's notices).
    """
    payload = notice_payload(message)
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


def describe(delivery: Delivery) -> Text:
    """Describe a delivery for facilitators: its payload summary (or kind and target) and when it was due."""
    summary = delivery.payload.get("summary") if isinstance(delivery.payload, dict) else None
    what = str(summary) if summary else f"{delivery.kind.replace('_', ' ')} ({delivery.target})"
    return text(what, ", due ", Time(delivery.due_at, TimeStyle.SHORT))


def failure_text(delivery: Delivery, reason: str) -> Text:
    """Return the text of the notice about a delivery that failed for good."""
    return lines(
        text("Blether could not post the ", describe(delivery), " and will not try again."),
        f"Reason: {reason}",
        "Fix the cause, then reschedule it (or let the next one go out).",
    )


def still_trying_text(delivery: Delivery, error: str) -> Text:
    """Return the text of the notice about a delivery that keeps failing but has time left."""
    return lines(
        text(
            f"Blether has tried {delivery.attempts} times to post the ",
            describe(delivery),
            " and keeps trying until ",
            Time(delivery.deliver_before, TimeStyle.SHORT),
            ".",
        ),
        f"Last error: {error}",
        "Nothing is needed from you; you will hear again only if it cannot be sent in time.",
    )


def failed_notice(delivery: Delivery, message: RichText, *, now: datetime) -> NewDelivery:
    """Build the notice that a delivery failed (once per delivery)."""
    key = delivery_key("notice", "failed", delivery.id)
    return facilitator_notice(delivery.guild_id, key, message, now=now, delivery_ids=[delivery.id])


def retrying_notice(delivery: Delivery, message: RichText, *, now: datetime) -> NewDelivery:
    """Build the notice that a delivery keeps failing and is still being tried (once per delivery)."""
    key = delivery_key("notice", "retrying", delivery.id)
    return facilitator_notice(delivery.guild_id, key, message, now=now, delivery_ids=[delivery.id])


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
        said: list[Text | str] = [head]
        for d in rows[:NOTICE_MAX_LINES]:
            detail = (errors or {}).get(d.id)
            said.append(
                text(
                    "• ",
                    describe(d),
                    f" ({detail})" if detail and "last error" in detail else "",
                    f" — {MAYBE_POSTED}" if d.interrupted else "",
                )
            )
        if count > NOTICE_MAX_LINES:
            said.append(f"…and {count - NOTICE_MAX_LINES} more.")
        if any(d.interrupted for d in rows):
            said.append("Nothing was posted for the others; check the channel for those marked before reposting them.")
        else:
            said.append("Nothing was posted for these; repost by hand anything that still matters.")
        ids = [d.id for d in rows]
        digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:32]
        key = delivery_key("notice", "expired", digest)
        notices.append(facilitator_notice(guild_id, key, lines(*said), now=now, delivery_ids=ids))
    return notices
