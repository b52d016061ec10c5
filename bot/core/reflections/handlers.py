"""Delivery handlers of the reflection poll: post the card, nudge (channel + DMs) and close.

Register them once at start-up::

    register_reflection_handlers(dispatcher, database=database, clock=clock, sender=sender)

Every handler follows the dispatcher's contract (bot.core.delivery.dispatcher): it posts through
post_once/dm_once (nonce + marker), never holds a database transaction across a platform call, and
raises DeliverySkipped when the row no longer makes sense (session gone or cancelled, poll closed or
re-planned since the row was scheduled).
"""

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliveryHandler, DeliverySkipped
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.delivery.posted import PostedEditor, record_posting
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
from bot.core.reflections.redaction import REFLECTION_SUMMARY_EDIT, SummaryRenderer, summary_rendering
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.reflections.resolve import poll_questions
from bot.core.reflections.scheduling import (
    REFLECTION_CARD,
    REFLECTION_CLOSE,
    REFLECTION_NUDGE,
    REFLECTION_NUDGE_DM,
    DeliveryScheduler,
    PollScheduler,
    stamp,
)
from bot.core.reflections.tally import tally_with_authors
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)


def _session_id(payload: Mapping[str, Any]) -> int:
    value = payload.get("session_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeliverySkipped("payload has no session id")
    return value


class _Handler:
    def __init__(self, database: Database, clock: Clock, sender: Sender, scheduler: PollScheduler) -> None:
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
            if delivery.payload.get("ends_at") != stamp(poll.session_ends_at):
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
            await uow.commit()
        message_id = await post_once(
            self._sender, channel_id, render.reflection_card(session, poll.closes_at), delivery
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
            if poll.nudge_at is None or delivery.payload.get("nudge_at") != stamp(poll.nudge_at):
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
                await self._scheduler.add(uow, self._scheduler.nudge_dm_delivery(poll, user_id, now))
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
            if delivery.payload.get("closes_at") != stamp(poll.closes_at):
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


class DeliveryRegistry(DeliveryScheduler, Protocol):
    """What registering needs from the Dispatcher: register(kind, handler) besides schedule and wake."""

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None: ...


def register_reflection_handlers(
    dispatcher: DeliveryRegistry,
    *,
    database: Database,
    clock: Clock,
    sender: Sender,
    scheduler: PollScheduler | None = None,
) -> PollScheduler:
    """Register the reflection delivery kinds on a Dispatcher; return the PollScheduler they share.

    dispatcher needs register(kind, handler) and (for DMs) schedule(uow, new) / wake(at).
    """
    shared = scheduler or PollScheduler(clock, dispatcher)
    dispatcher.register(REFLECTION_CARD, ReflectionCardHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_NUDGE, ReflectionNudgeHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_NUDGE_DM, ReflectionNudgeDmHandler(database, clock, sender, shared), dm=True)
    dispatcher.register(REFLECTION_CLOSE, ReflectionCloseHandler(database, clock, sender, shared))
    dispatcher.register(REFLECTION_SUMMARY_EDIT, PostedEditor(database, clock, sender, SummaryRenderer()))
    return shared
