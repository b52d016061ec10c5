"""The questionnaire's deliveries: kinds, keys, planning, and the handlers that open, nudge and close.

Delivery kinds (target "questionnaire:<id>"):

* ``questionnaire_open`` — due at opens_at (after the last session by default); opens it, posts the
  "Start" post in the reflections channel and plans the invitation DMs, the nudge and the close.
  Key ``questionnaire_open:<id>:<opens_at>`` (keys and payload times from bot.core.delivery.keys).
* ``questionnaire_nudge`` — due nudge_before_close_days (default 2) before closing: one post naming
  nobody, and a DM to each opted-in person of the audience who has not finished.
* ``questionnaire_dm`` — one person's invitation or reminder DM with the "Start" button
  (key ``questionnaire_dm:<id>:<invite|nudge>:<user>``), paced by the dispatcher's DM limiter.
* ``questionnaire_close`` — due at closes_at (21 days after opening by default): closes it, disables
  the post's button and posts the completion summary in the facilitator channel.

Handlers post through post_once/dm_once and skip (DeliverySkipped) rows that a later plan superseded.
Register them once with register(dispatcher, database=..., clock=..., sender=...).
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, DeliveryHandler, DeliverySkipped, NewDelivery
from bot.core.delivery.idempotent import dm_once, post_once
from bot.core.delivery.keys import delivery_key, key_time
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import PermanentSendError, Sender
from bot.core.programme.domain import DEFAULT_NUDGE_BEFORE_CLOSE_DAYS
from bot.core.programme.repository import SqlProgrammeRepository, SqlReminderPreferenceRepository
from bot.core.questionnaires import render
from bot.core.questionnaires.domain import Audience, Questionnaire, QuestionnaireStatus
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

QUESTIONNAIRE_OPEN = "questionnaire_open"
QUESTIONNAIRE_NUDGE = "questionnaire_nudge"
QUESTIONNAIRE_DM = "questionnaire_dm"
QUESTIONNAIRE_CLOSE = "questionnaire_close"
KINDS = (QUESTIONNAIRE_OPEN, QUESTIONNAIRE_NUDGE, QUESTIONNAIRE_DM, QUESTIONNAIRE_CLOSE)
GRACE = timedelta(days=3)


class DeliveryScheduler(Protocol):
    """The part of the Dispatcher that features use: add a delivery in a unit of work, wake after commit."""

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery: ...

    def wake(self, at: datetime | None = None) -> None: ...


class DeliveryRegistry(DeliveryScheduler, Protocol):
    """What registering needs from the Dispatcher."""

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None: ...


def stamp(when: datetime) -> int:
    """Return a moment as payloads store it (Unix seconds, bot.core.delivery.keys)."""
    return key_time(when)


def target(questionnaire_id: int) -> str:
    """Return the delivery target of a questionnaire."""
    return f"questionnaire:{questionnaire_id}"


def open_delivery(q: Questionnaire, opens_at: datetime) -> NewDelivery:
    """Return the delivery that opens a questionnaire at opens_at."""
    return NewDelivery(
        guild_id=q.guild_id,
        kind=QUESTIONNAIRE_OPEN,
        target=target(q.id),
        dedupe_key=delivery_key(QUESTIONNAIRE_OPEN, q.id, opens_at),
        due_at=opens_at,
        deliver_before=opens_at + timedelta(days=21),
        payload={"questionnaire_id": q.id, "opens_at": stamp(opens_at), "summary": f"open questionnaire {q.id}"},
    )


def nudge_delivery(q: Questionnaire, nudge_at: datetime, closes_at: datetime) -> NewDelivery:
    """Return the reminder before closing."""
    return NewDelivery(
        guild_id=q.guild_id,
        kind=QUESTIONNAIRE_NUDGE,
        target=target(q.id),
        dedupe_key=delivery_key(QUESTIONNAIRE_NUDGE, q.id, nudge_at),
        due_at=nudge_at,
        deliver_before=closes_at,
        payload={"questionnaire_id": q.id, "nudge_at": stamp(nudge_at), "summary": f"questionnaire {q.id} nudge"},
    )


def close_delivery(q: Questionnaire, closes_at: datetime) -> NewDelivery:
    """Return the delivery that closes a questionnaire and posts the completion summary."""
    return NewDelivery(
        guild_id=q.guild_id,
        kind=QUESTIONNAIRE_CLOSE,
        target=target(q.id),
        dedupe_key=delivery_key(QUESTIONNAIRE_CLOSE, q.id, closes_at),
        due_at=closes_at,
        deliver_before=closes_at + GRACE,
        payload={"questionnaire_id": q.id, "closes_at": stamp(closes_at), "summary": f"close questionnaire {q.id}"},
    )


def dm_delivery(q: Questionnaire, user_id: int, purpose: str, now: datetime) -> NewDelivery:
    """Return one person's invitation ("invite") or reminder ("nudge") DM."""
    until = q.closes_at or now + timedelta(days=1)
    return NewDelivery(
        guild_id=q.guild_id,
        kind=QUESTIONNAIRE_DM,
        target=target(q.id),
        dedupe_key=delivery_key(QUESTIONNAIRE_DM, q.id, purpose, user_id),
        due_at=now,
        deliver_before=max(until, now + timedelta(minutes=5)),
        payload={"questionnaire_id": q.id, "user_id": user_id, "purpose": purpose, "summary": "questionnaire DM"},
    )


def _int(payload: Mapping[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeliverySkipped(f"payload has no {name}")
    return value


async def dm_audience(uow: UnitOfWork, q: Questionnaire) -> set[int]:
    """Return who may get DMs about a questionnaire: active participants who opted in to DM reminders.

    Facilitator questionnaires get no DMs (the core does not know who holds the facilitator role).
    """
    if q.audience is not Audience.PARTICIPANT:
        return set()
    active = await uow.repo(SqlParticipantRepository).user_ids(q.guild_id)
    return active & set(await uow.repo(SqlReminderPreferenceRepository).opted_in(q.guild_id))


class _Handler:
    def __init__(self, database: Database, clock: Clock, sender: Sender, scheduler: DeliveryScheduler) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self._scheduler = scheduler

    async def _load(self, uow: UnitOfWork, delivery: Delivery) -> Questionnaire:
        q = await uow.repo(SqlQuestionnaireRepository).get(_int(delivery.payload, "questionnaire_id"))
        if q is None or q.guild_id != delivery.guild_id:
            raise DeliverySkipped("the questionnaire no longer exists")
        return q


class OpenHandler(_Handler):
    """Open a questionnaire, post its "Start" post and plan the DMs, the nudge and the close."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Open, then post; return the post's message id."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            q = await self._load(uow, delivery)
            if q.opens_at is None or delivery.payload.get("opens_at") != stamp(q.opens_at):
                raise DeliverySkipped("the opening was re-planned")
            if q.status is QuestionnaireStatus.CLOSED:
                raise DeliverySkipped("the questionnaire was closed")
            programme = await uow.repo(SqlProgrammeRepository).get(q.guild_id)
            if q.status is not QuestionnaireStatus.OPEN:
                closes_at = q.closes_at or now + timedelta(days=21)
                days = programme.nudge_before_close_days if programme else DEFAULT_NUDGE_BEFORE_CLOSE_DAYS
                nudge_at = closes_at - timedelta(days=days) if days else None
                if nudge_at is not None and nudge_at <= now:
                    nudge_at = None
                q = await uow.repo(SqlQuestionnaireRepository).update(
                    q.id,
                    {
                        "status": QuestionnaireStatus.OPEN,
                        "opened_at": now,
                        "closes_at": closes_at,
                        "nudge_at": nudge_at,
                    },
                    now=now,
                )
                await self._scheduler.schedule(uow, close_delivery(q, closes_at))
                if nudge_at is not None:
                    await self._scheduler.schedule(uow, nudge_delivery(q, nudge_at, closes_at))
                for user_id in sorted(await dm_audience(uow, q)):
                    await self._scheduler.schedule(uow, dm_delivery(q, user_id, "invite", now))
            await uow.commit()
        self._scheduler.wake(now)
        if q.card_message_id is not None:
            return q.card_message_id
        channel_id = programme.reflections_channel_id if programme else None
        if channel_id is None:
            raise PermanentSendError(
                f'The questionnaire "{q.name}" is open, but no reflections channel is set for its post. Choose one '
                "with /programme setup (reflections channel); people can still answer from their DMs."
            )
        message_id = await post_once(self._sender, channel_id, render.start_post(q), delivery)
        async with self._database.unit_of_work() as uow:
            await uow.repo(SqlQuestionnaireRepository).update(
                q.id, {"card_channel_id": channel_id, "card_message_id": message_id}, now=self._clock.now()
            )
            await uow.commit()
        log.info("Opened questionnaire %s (post %s)", q.id, message_id)
        return message_id


class NudgeHandler(_Handler):
    """Remind before closing: one post naming nobody, and a DM to each opted-in person who has not finished."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Plan the DMs, then post; return the post's message id."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            q = await self._load(uow, delivery)
            if q.nudge_at is None or delivery.payload.get("nudge_at") != stamp(q.nudge_at):
                raise DeliverySkipped("the nudge was re-planned")
            if q.status is not QuestionnaireStatus.OPEN or q.is_closed(now):
                raise DeliverySkipped("the questionnaire is not open")
            finished = {r.user_id for r in await uow.repo(SqlQuestionnaireRepository).responses(q.id) if r.finished_at}
            targets = sorted(await dm_audience(uow, q) - finished)
            for user_id in targets:
                await self._scheduler.schedule(uow, dm_delivery(q, user_id, "nudge", now))
            programme = await uow.repo(SqlProgrammeRepository).get(q.guild_id)
            await uow.commit()
        self._scheduler.wake(now)
        channel_id = q.card_channel_id or (programme.reflections_channel_id if programme else None)
        if channel_id is None:
            return None
        return await post_once(self._sender, channel_id, render.nudge_post(q), delivery)


class DmHandler(_Handler):
    """Send one person's invitation or reminder DM unless it no longer applies."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Send the DM; return its message id."""
        user_id = _int(delivery.payload, "user_id")
        purpose = str(delivery.payload.get("purpose", "invite"))
        async with self._database.unit_of_work() as uow:
            q = await self._load(uow, delivery)
            if q.status is not QuestionnaireStatus.OPEN or q.is_closed(self._clock.now()):
                raise DeliverySkipped("the questionnaire is not open")
            response = await uow.repo(SqlQuestionnaireRepository).response(q.id, user_id)
            if response is not None and response.finished_at is not None:
                raise DeliverySkipped("already finished")
            if user_id not in await dm_audience(uow, q):
                raise DeliverySkipped("no longer opted in or active")
        message = render.invite_dm(q) if purpose == "invite" else render.nudge_dm(q, started=response is not None)
        try:
            return await dm_once(self._sender, user_id, message, delivery)
        except PermanentSendError as error:
            log.info("Questionnaire DM to user %s not sent: %s", user_id, error.reason)
            raise DeliverySkipped(error.reason) from error


class CloseHandler(_Handler):
    """Close a questionnaire, disable its post's button and post the completion summary to facilitators."""

    async def __call__(self, delivery: Delivery) -> int | None:
        """Close and summarise; return the summary's message id (None without a facilitator channel)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            q = await self._load(uow, delivery)
            if q.closes_at is None or delivery.payload.get("closes_at") != stamp(q.closes_at):
                raise DeliverySkipped("the closing was re-planned")
            repo = uow.repo(SqlQuestionnaireRepository)
            if q.status is not QuestionnaireStatus.CLOSED:
                q = await repo.update(q.id, {"status": QuestionnaireStatus.CLOSED, "closed_at": now}, now=now)
            responses = await repo.responses(q.id)
            programme = await uow.repo(SqlProgrammeRepository).get(q.guild_id)
            await uow.commit()
        if q.card_channel_id is not None and q.card_message_id is not None:
            try:
                await self._sender.edit(q.card_channel_id, q.card_message_id, render.closed_post(q))
            except PermanentSendError as error:
                log.warning("Could not disable the post of questionnaire %s: %s", q.id, error.reason)
        channel_id = programme.facilitator_channel_id if programme else None
        if channel_id is None:
            return None
        started = len(responses)
        finished = sum(1 for r in responses if r.finished_at is not None)
        return await post_once(self._sender, channel_id, render.completion_summary(q, started, finished), delivery)


def register(dispatcher: DeliveryRegistry, *, database: Database, clock: Clock, sender: Sender) -> None:
    """Register the four questionnaire delivery kinds on a Dispatcher."""
    dispatcher.register(QUESTIONNAIRE_OPEN, OpenHandler(database, clock, sender, dispatcher))
    dispatcher.register(QUESTIONNAIRE_NUDGE, NudgeHandler(database, clock, sender, dispatcher))
    dispatcher.register(QUESTIONNAIRE_DM, DmHandler(database, clock, sender, dispatcher), dm=True)
    dispatcher.register(QUESTIONNAIRE_CLOSE, CloseHandler(database, clock, sender, dispatcher))
