"""The reflection poll's deliveries: kinds, targets, dedupe keys, and the handlers that post the card, nudge
(channel + DMs) and close.

Delivery kinds (all with target "session:<id>:reflection"):

* ``reflection_card`` — due at session end + the programme's reflection delay (default 15 minutes);
  dedupe key ``reflection_card:<session id>:<end time>``, so moving a session plans a new card and
  cancels the old one; useful until the poll closes.
* ``reflection_nudge`` — due nudge_before_close_days (default 2) before closing; no nudge when that
  would come before the card. Key ``reflection_nudge:<session id>:<nudge time>``.
* ``reflection_close`` — due poll_close_days (default 7) after the session ends. Key
  ``reflection_close:<session id>:<closing time>``; closing by hand or reopening plans a new one.
* ``reflection_nudge_dm`` — one per person, planned by the nudge handler when it runs.

The target is not the bare "session:<id>": the programme cancels that whole target whenever it
re-plans a session's reminders (bot.core.programme.deliveries.sync_reminders), which would silently
cancel an open poll's nudge and close. Cancelling everything about a session still works by prefix.

Keys and payload times are built by bot.core.delivery.keys (times as Unix seconds). Payloads carry the
session id and the time the row was planned for; a handler whose time no longer matches the poll skips
(the row was superseded by a later plan). The poll itself (its times, and which
of these rows exist) is planned by bot.core.reflections.scheduling.PollScheduler.

Register the handlers once at start-up with register(dispatcher, database=..., clock=..., sender=...).
Every handler follows the dispatcher's contract (bot.core.delivery.dispatcher): it posts through
post_once/dm_once (nonce + marker), never holds a database transaction across a platform call, and
raises DeliverySkipped when the row no longer makes sense (session gone or cancelled, poll closed or
re-planned since the row was scheduled).
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliverySkipped, NewDelivery
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.delivery.keys import delivery_key, key_time
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.posted import PostedEditor, record_posting
from bot.core.groups.repository import SqlGroupRepository
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import PermanentSendError, Sender
from bot.core.programme.domain import Programme, Session
from bot.core.programme.repository import (
    SqlProgrammeRepository,
    SqlReminderPreferenceRepository,
    SqlSessionRepository,
)
from bot.core.reflections import render
from bot.core.reflections.attendance import settle_voice
from bot.core.reflections.domain import Poll, PollStatus
from bot.core.reflections.redaction import SummaryRenderer, summary_rendering
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.reflections.resolve import poll_questions
from bot.core.reflections.tally import tally_with_authors
from bot.core.storage.database import Database, UnitOfWork

if TYPE_CHECKING:  # the scheduler plans these deliveries, so it imports this module
    from bot.core.reflections.scheduling import PollScheduler

log = logging.getLogger(__name__)

REFLECTION_CARD = "reflection_card"
REFLECTION_NUDGE = "reflection_nudge"
REFLECTION_NUDGE_DM = "reflection_nudge_dm"
REFLECTION_CLOSE = "reflection_close"
REFLECTION_SUMMARY_EDIT = "reflection_summary_edit"
"""Render a posted summary again after an erasure or a retention sweep (bot.core.reflections.redaction)."""
POLL_KINDS = (REFLECTION_CARD, REFLECTION_NUDGE, REFLECTION_NUDGE_DM, REFLECTION_CLOSE)
CLOSE_GRACE = timedelta(days=3)
"""How long after closing time a late close (disable buttons, post the summary) is still worth sending."""


def session_target(session_id: int) -> str:
    """Return the delivery target of a session's reflection poll ("session:<id>:reflection")."""
    return f"session:{session_id}:reflection"


def card_key(session_id: int, ends_at: datetime) -> str:
    """Return the dedupe key of a session's reflection card."""
    return delivery_key(REFLECTION_CARD, session_id, ends_at)


def nudge_key(session_id: int, nudge_at: datetime) -> str:
    """Return the dedupe key of a session's reflection nudge."""
    return delivery_key(REFLECTION_NUDGE, session_id, nudge_at)


def close_key(session_id: int, closes_at: datetime) -> str:
    """Return the dedupe key of a session's poll closing."""
    return delivery_key(REFLECTION_CLOSE, session_id, closes_at)


def nudge_dm_key(session_id: int, nudge_at: datetime, user_id: int) -> str:
    """Return the dedupe key of one person's reflection reminder DM."""
    return delivery_key(REFLECTION_NUDGE_DM, session_id, nudge_at, user_id)


def card_delivery(poll: Poll, *, due_at: datetime | None = None, again_at: datetime | None = None) -> NewDelivery:
    """Return the card delivery of a poll (due when the poll opens unless due_at says otherwise).

    again_at gives the row a key of its own, for posting a card again after an earlier row ended.
    """
    due = due_at or poll.opens_at
    key = card_key(poll.session_id, poll.session_ends_at)
    if again_at is not None:
        key = delivery_key(key, "again", again_at)
    return NewDelivery(
        guild_id=poll.guild_id,
        kind=REFLECTION_CARD,
        target=session_target(poll.session_id),
        dedupe_key=key,
        due_at=due,
        deliver_before=max(poll.closes_at, due + timedelta(hours=1)),
        payload={
            "session_id": poll.session_id,
            "ends_at": key_time(poll.session_ends_at),
            "summary": f"reflection card of session {poll.session_id}",
        },
    )


def nudge_delivery(poll: Poll) -> NewDelivery | None:
    """Return the nudge delivery of a poll, or None when it has no nudge."""
    if poll.nudge_at is None:
        return None
    return NewDelivery(
        guild_id=poll.guild_id,
        kind=REFLECTION_NUDGE,
        target=session_target(poll.session_id),
        dedupe_key=nudge_key(poll.session_id, poll.nudge_at),
        due_at=poll.nudge_at,
        deliver_before=poll.closes_at,
        payload={
            "session_id": poll.session_id,
            "nudge_at": key_time(poll.nudge_at),
            "summary": f"reflection reminder of session {poll.session_id}",
        },
    )


def close_delivery(poll: Poll) -> NewDelivery:
    """Return the close delivery of a poll (disables the card, posts the facilitators' summary)."""
    return NewDelivery(
        guild_id=poll.guild_id,
        kind=REFLECTION_CLOSE,
        target=session_target(poll.session_id),
        dedupe_key=close_key(poll.session_id, poll.closes_at),
        due_at=poll.closes_at,
        deliver_before=poll.closes_at + CLOSE_GRACE,
        payload={
            "session_id": poll.session_id,
            "closes_at": key_time(poll.closes_at),
            "summary": f"reflection summary of session {poll.session_id}",
        },
    )


def nudge_dm_delivery(poll: Poll, user_id: int, now: datetime) -> NewDelivery:
    """Return one person's reflection reminder DM (due now, useful until the poll closes)."""
    nudge_at = poll.nudge_at or now
    return NewDelivery(
        guild_id=poll.guild_id,
        kind=REFLECTION_NUDGE_DM,
        target=session_target(poll.session_id),
        dedupe_key=nudge_dm_key(poll.session_id, nudge_at, user_id),
        due_at=now,
        deliver_before=max(poll.closes_at, now + timedelta(minutes=5)),
        payload={"session_id": poll.session_id, "user_id": user_id, "summary": "reflection reminder DM"},
    )


def _session_id(payload: Mapping[str, Any]) -> int:
    value = payload.get("session_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeliverySkipped("payload has no session id")
    return value


class _Handler:
    def __init__(self, database: Database, clock: Clock, sender: Sender, scheduler: "PollScheduler") -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._scheduler = scheduler

    async def _load(self, uow: UnitOfWork, delivery: Delivery) -> tuple[Session, Poll, Programme | None]:
        session_id = _session_id(delivery.payload)
        session = await uow.repo(SqlSessionRepository).get(session_id)
        if session is None or session.guild_id != delivery.guild_id:
            raise DeliverySkipped(f"session {session_id} no longer exists")
        if session.is_cancelled:
            raise DeliverySkipped(f"session {session_id} was cancelled")
        poll = await uow.repo(SqlReflectionRepository).poll(session_id)
        if poll is None or poll.status is PollStatus.CANCELLED:
            raise DeliverySkipped(f"session {session_id} has no reflection poll")
        programme = await uow.repo(SqlProgrammeRepository).get(session.guild_id)
        if poll.session_ends_at != session.ends_at and poll.status is not PollStatus.CLOSED:
            # The session moved and nobody re-planned its poll: do it now, and let the new rows do the work.
            plan = await self._scheduler.schedule_poll(uow, session, programme)
            await uow.commit()
            self._scheduler.wake(plan)
            log.info("Session %s moved; its reflection poll was re-planned", session_id)
            raise DeliverySkipped("the session moved; its poll was re-planned")
        return session, poll, programme


def _no_channel(what: str, session: Session) -> PermanentSendError:
    return PermanentSendError(
        f"No reflections channel is set, so the {what} for Session {session.number} could not be posted. "
        "Choose one with /programme setup (reflections channel), then open the poll with /reflection open."
    )


class ReflectionCardHandler(_Handler):
    """Post a session's reflection card (kind reflection_card) and open its poll.

    Guarantee: at most one card per poll — post_once dedupes retries, and a poll whose card is recorded
    returns that message instead of posting again. The questions are frozen when the card goes out.
    """

    async def __call__(self, delivery: Delivery) -> int | None:
        """Post the card in the reflections channel; return its message id."""
        async with self._database.unit_of_work() as uow:
            session, poll, programme = await self._load(uow, delivery)
            if delivery.payload.get("ends_at") != key_time(poll.session_ends_at):
                raise DeliverySkipped("the session moved; a newer card is planned")
            if poll.status is PollStatus.CLOSED or poll.is_closed(self._clock.now()):
                raise DeliverySkipped("the poll closed before its card went out")
            if poll.card_message_id is not None:
                return poll.card_message_id
            channel_id = programme.reflections_channel_id if programme else None
            if channel_id is None:
                raise _no_channel("reflection card", session)
            repo = uow.repo(SqlReflectionRepository)
            await repo.set_questions_if_unset(poll.id, await poll_questions(uow, poll), now=self._clock.now())
            groups = bool(await uow.repo(SqlGroupRepository).groups(session.id))
            await uow.commit()
        message_id = await post_once(
            self._sender, channel_id, render.reflection_card(session, poll.closes_at, groups=groups), delivery
        )
        async with self._database.unit_of_work() as uow:
            now = self._clock.now()
            repo = uow.repo(SqlReflectionRepository)
            current = await repo.poll(session.id)
            changes: dict[str, Any] = {"card_channel_id": channel_id, "card_message_id": message_id}
            if current is not None and current.status is PollStatus.SCHEDULED:
                changes |= {"status": PollStatus.OPEN, "opened_at": now}
            await repo.update_poll(poll.id, changes, now=now)
            await uow.commit()
        log.info("Posted the reflection card of session %s (message %s)", session.id, message_id)
        return message_id


class ReflectionNudgeHandler(_Handler):
    """Remind people before a poll closes (kind reflection_nudge): one channel post naming nobody, and a
    reflection_nudge_dm delivery for each participant who attended, has not reflected and opted in to DMs.

    Guarantee: the post at most once (post_once); DMs at most once per person per nudge (dedupe keys).
    """

    async def __call__(self, delivery: Delivery) -> int | None:
        """Plan the DMs, then post the reminder; return the post's message id."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            session, poll, programme = await self._load(uow, delivery)
            if poll.nudge_at is None or delivery.payload.get("nudge_at") != key_time(poll.nudge_at):
                raise DeliverySkipped("the nudge was re-planned")
            if poll.is_closed(now):
                raise DeliverySkipped("the poll is closed")
            channel_id = programme.reflections_channel_id if programme else None
            if channel_id is None:
                raise _no_channel("reflection reminder", session)
            await settle_voice(uow, session, now)
            attendees = await uow.repo(SqlAttendanceRepository).attendees(session.id)
            responders = await uow.repo(SqlReflectionRepository).responder_ids(poll.id)
            active = await uow.repo(SqlParticipantRepository).user_ids(session.guild_id)
            opted_in = set(await uow.repo(SqlReminderPreferenceRepository).opted_in(session.guild_id))
            targets = sorted((attendees - responders) & active & opted_in)
            for user_id in targets:
                await self._scheduler.add(uow, nudge_dm_delivery(poll, user_id, now))
            await uow.commit()
        if targets:
            self._scheduler.wake_at(now)
            log.info("Planned %d reflection reminder DMs for session %s", len(targets), session.id)
        message = render.nudge_post(session, poll.closes_at)
        return await post_once(self._sender, channel_id, message, delivery)


class ReflectionNudgeDmHandler(_Handler):
    """Send one person's reflection reminder DM (kind reflection_nudge_dm) unless it no longer applies
    (they reflected, turned DM reminders off, left, or the poll closed). A person who does not accept DMs
    is skipped quietly rather than reported to the facilitators one by one.
    """

    async def __call__(self, delivery: Delivery) -> int | None:
        """Send the DM; return its message id."""
        user_id = delivery.payload.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise DeliverySkipped("payload has no user id")
        async with self._database.unit_of_work() as uow:
            session, poll, _ = await self._load(uow, delivery)
            if poll.is_closed(self._clock.now()):
                raise DeliverySkipped("the poll is closed")
            if user_id in await uow.repo(SqlReflectionRepository).responder_ids(poll.id):
                raise DeliverySkipped("already reflected")
            if not await uow.repo(SqlReminderPreferenceRepository).dm_enabled(session.guild_id, user_id):
                raise DeliverySkipped("DM reminders turned off")
            participant = await uow.repo(SqlParticipantRepository).get(session.guild_id, user_id)
            if participant is None or not participant.active:
                raise DeliverySkipped("no longer an active participant")
        try:
            return await dm_once(self._sender, user_id, render.nudge_dm(session, poll.closes_at), delivery)
        except PermanentSendError as error:
            log.info("Reflection reminder DM to user %s not sent: %s", user_id, error.reason)
            raise DeliverySkipped(error.reason) from error


class ReflectionCloseHandler(_Handler):
    """Close a poll (kind reflection_close): disable the card's buttons and post the facilitators' summary
    (responses, rate against attendance, rating distribution, up to three consented quotes).

    Guarantee: the summary at most once per closing (post_once); editing the card is idempotent. Without
    a facilitator channel the poll still closes and nothing is posted. The summary is recorded with the people
    it quotes (bot.core.delivery.posted), so erasure and retention edit it later (reflection_summary_edit).
    """

    async def __call__(self, delivery: Delivery) -> int | None:
        """Close, disable the card, post the summary; return the summary's message id (None if not posted)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            session, poll, programme = await self._load(uow, delivery)
            if delivery.payload.get("closes_at") != key_time(poll.closes_at):
                raise DeliverySkipped("the closing was re-planned")
            repo = uow.repo(SqlReflectionRepository)
            if poll.status is not PollStatus.CLOSED:
                await repo.update_poll(poll.id, {"status": PollStatus.CLOSED, "closed_at": now}, now=now)
                poll = await repo.poll(session.id) or poll
            await settle_voice(uow, session, now)
            results, quoted = await tally_with_authors(uow, poll, session)
            await uow.commit()
        if poll.card_channel_id is not None and poll.card_message_id is not None:
            closed = render.closed_card(session, poll.closed_at or now)
            try:
                await self._sender.edit(poll.card_channel_id, poll.card_message_id, closed)
            except PermanentSendError as error:
                log.warning("Could not disable the reflection card of session %s: %s", session.id, error.reason)
        channel_id = programme.facilitator_channel_id if programme else None
        if channel_id is None:
            log.info("Reflections on session %s closed; no facilitator channel for the summary", session.id)
            return None
        rendering = summary_rendering(session, results, quoted)
        message_id = await post_once(self._sender, channel_id, rendering.messages[0], delivery)
        await record_posting(  # erasure and retention edit it later (the quotes it carries)
            self._database,
            guild_id=session.guild_id,
            edit_kind=REFLECTION_SUMMARY_EDIT,
            ref=delivery.dedupe_key,
            subject_id=session.id,
            channel_id=channel_id,
            message_ids=[message_id],
            rendering=rendering,
            now=self._clock.now(),
        )
        log.info("Reflections on session %s closed; summary posted (message %s)", session.id, message_id)
        return message_id


def register(
    dispatcher: DeliveryScheduler,
    *,
    database: Database,
    clock: Clock,
    sender: Sender,
    scheduler: "PollScheduler | None" = None,
) -> "PollScheduler":
    """Register the reflection delivery kinds on a Dispatcher; return the PollScheduler they share."""
    from bot.core.reflections.scheduling import PollScheduler  # here: it imports this module

    shared = scheduler or PollScheduler(clock, dispatcher)
    dispatcher.register(REFLECTION_CARD, ReflectionCardHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_NUDGE, ReflectionNudgeHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_NUDGE_DM, ReflectionNudgeDmHandler(database, clock, sender, shared), dm=True)
    dispatcher.register(REFLECTION_CLOSE, ReflectionCloseHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_SUMMARY_EDIT, PostedEditor(database, clock, sender, SummaryRenderer()))
    return shared
