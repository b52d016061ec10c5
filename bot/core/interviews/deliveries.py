"""The interview invitation DM: kind ``interview_invite`` (target "interviews:<guild>", key per person).

The handler skips when the person is no longer invited or withdrew interview consent; it sends through
dm_once, paced by the dispatcher's DM lane. Register with register(dispatcher, database=..., sender=...).
"""

import logging
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.delivery.domain import Delivery, DeliveryHandler, DeliverySkipped, NewDelivery
from bot.core.delivery.idempotent import dm_once
from bot.core.delivery.keys import delivery_key
from bot.core.interviews import render
from bot.core.interviews.domain import InterviewStatus
from bot.core.interviews.repository import SqlInterviewRepository
from bot.core.participants.domain import ConsentPurpose
from bot.core.participants.repository import SqlConsentRepository
from bot.core.ports import PermanentSendError, Sender
from bot.core.storage.database import Database

log = logging.getLogger(__name__)

INTERVIEW_INVITE = "interview_invite"


class DeliveryRegistry(Protocol):
    """What registering needs from the Dispatcher."""

    def register(self, kind: str, handler: DeliveryHandler, *, dm: bool = False) -> None: ...


def invite_delivery(guild_id: int, user_id: int, now: datetime) -> NewDelivery:
    """Return one person's interview invitation (due now, useful for two weeks)."""
    return NewDelivery(
        guild_id=guild_id,
        kind=INTERVIEW_INVITE,
        target=f"interviews:{guild_id}",
        dedupe_key=delivery_key(INTERVIEW_INVITE, guild_id, user_id, now),
        due_at=now,
        deliver_before=now + timedelta(days=14),
        payload={"user_id": user_id, "summary": "interview invitation DM"},
    )


class InviteHandler:
    """Send an interview invitation DM unless the person withdrew or is no longer invited."""

    def __init__(self, database: Database, sender: Sender) -> None:
        self._database = database
        self._sender = sender

    async def __call__(self, delivery: Delivery) -> int | None:
        """Send the DM; return its message id."""
        user_id = delivery.payload.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            raise DeliverySkipped("payload has no user id")
        async with self._database.unit_of_work() as uow:
            on_list = {c.user_id: c for c in await uow.repo(SqlInterviewRepository).all(delivery.guild_id)}
            latest = await uow.repo(SqlConsentRepository).latest(delivery.guild_id, user_id)
        candidate = on_list.get(user_id)
        if candidate is None or candidate.status is not InterviewStatus.INVITED:
            raise DeliverySkipped("no longer invited")
        answer = latest.get(ConsentPurpose.INTERVIEW)
        if answer is None or not answer.granted:
            raise DeliverySkipped("interview consent withdrawn")
        try:
            return await dm_once(self._sender, user_id, render.invitation(delivery.guild_id), delivery)
        except PermanentSendError as error:
            log.info("Interview invitation to user %s not sent: %s", user_id, error.reason)
            raise DeliverySkipped(error.reason) from error


def register(dispatcher: DeliveryRegistry, *, database: Database, sender: Sender) -> None:
    """Register the interview invitation kind (in the DM lane)."""
    dispatcher.register(INTERVIEW_INVITE, InviteHandler(database, sender), dm=True)
