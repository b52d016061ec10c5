"""Connections between sessions (opt-in): every connect_every_days, pair people from different communities.

A round pairs everyone opted in (and not paused) who is still an active participant: people from different
communities first, a different area type next, never a pair who already met (in a small group or an earlier
introduction) while a new pair is possible — the small-group assignment with n // 2 groups, so an odd one out
joins a trio. Each introduction gets a private thread (``connect_thread``) with a conversation starter tied to
the latest session's theme; a week later ``connect_ask`` asks "Did you meet?" (Yes / Not yet / Skip) in it.
Someone who ignored two introductions in a row is paused and told how to resume (/connect on).
"""

import logging
from datetime import datetime, timedelta

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.domain import DeliveryStatus
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.groups import deliveries
from bot.core.groups.assignment import assign_groups, pair_key
from bot.core.groups.domain import Connection, ConnectPreference, MeetAnswer, Mix, RoundResult
from bot.core.groups.errors import NotAParticipantError, NotInConnectionError
from bot.core.groups.repository import SqlConnectionRepository, SqlGroupRepository
from bot.core.groups.service import person
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

FIRST_ROUND_AFTER = timedelta(hours=1)
ASK_AFTER = timedelta(days=7)
IGNORED_LIMIT = 2


class ConnectionService:
    """Opt in or out, run rounds, and record "Did you meet?" answers."""

    def __init__(self, database: Database, clock: Clock, dispatcher: DeliveryScheduler) -> None:
        self._database = database
        self._clock = clock
        self._dispatcher = dispatcher

    async def set_connect(self, actor: Actor, on: bool) -> ConnectPreference:
        """Turn connections on (which also resumes after a pause) or off for the caller."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            if actor.user_id not in await uow.repo(SqlParticipantRepository).user_ids(actor.guild_id):
                raise NotAParticipantError()
            preference = await uow.repo(SqlConnectionRepository).set_preference(
                actor.guild_id, actor.user_id, now=now, opted_in=on, paused=False, ignored_in_row=0
            )
            due = await self._plan_first_round(uow, actor.guild_id, now) if on else None
            await uow.commit()
        if due is not None:
            self._dispatcher.wake(due)
        return preference

    async def _plan_first_round(self, uow: UnitOfWork, guild_id: int, now: datetime) -> datetime | None:
        pending = await uow.repo(SqlDeliveryRepository).list(
            kind=deliveries.CONNECT_ROUND, guild_id=guild_id, status=(DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
        )
        if pending:
            return None
        due = now + FIRST_ROUND_AFTER
        await self._dispatcher.schedule(uow, deliveries.round_delivery(guild_id, due))
        return due

    async def run_round(self, guild_id: int, round_at: datetime) -> RoundResult:
        """Pause people who ignored two introductions in a row, pair the rest, plan threads, asks and the next round."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlConnectionRepository)
            paused = await self._pause_ignorers(uow, guild_id, now)
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            every = timedelta(days=programme.connect_every_days if programme else 14)
            active = {
                p.user_id: p for p in await uow.repo(SqlParticipantRepository).list_all(guild_id, active_only=True)
            }
            people = [person(active[u], Mix.COMMUNITY) for u in sorted(await repo.taking_part(guild_id)) if u in active]
            made: list[Connection] = []
            if len(people) >= 2:
                met = await uow.repo(SqlGroupRepository).met_pairs(guild_id)
                for earlier in await repo.of_guild(guild_id):
                    ordered = sorted(earlier.members)
                    met |= {pair_key(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]}
                seed = int(round_at.timestamp()) % (2**31 - 1)
                grouping = assign_groups(people, size=3, count=len(people) // 2, met_before=met, seed=seed)
                for members in grouping.groups:
                    connection = await repo.add(guild_id, round_at, members, now=now)
                    made.append(connection)
                    await self._dispatcher.schedule(uow, deliveries.connect_thread_delivery(connection, now))
                    await self._dispatcher.schedule(
                        uow, deliveries.connect_ask_delivery(connection, round_at + ASK_AFTER)
                    )
            for user_id in paused:
                await self._dispatcher.schedule(uow, deliveries.connect_paused_delivery(guild_id, user_id, now))
            await self._dispatcher.schedule(uow, deliveries.round_delivery(guild_id, round_at + every))
            await uow.commit()
        self._dispatcher.wake(now)
        return RoundResult(tuple(made), tuple(paused))

    async def _pause_ignorers(self, uow: UnitOfWork, guild_id: int, now: datetime) -> list[int]:
        """Count each asked introduction since the last round: ignored → +1, answered → 0; pause at the limit."""
        repo = uow.repo(SqlConnectionRepository)
        asked = [c for c in await repo.of_guild(guild_id) if c.asked_at is not None]
        paused: list[int] = []
        for user_id in sorted(await repo.taking_part(guild_id)):
            recent = [c for c in asked if user_id in c.members]
            ignored = 0
            for connection in reversed(recent):
                if connection.answer_of(user_id) is not None:
                    break
                ignored += 1
            if ignored >= IGNORED_LIMIT:
                await repo.set_preference(guild_id, user_id, now=now, paused=True, ignored_in_row=ignored)
                paused.append(user_id)
            else:
                await repo.set_preference(guild_id, user_id, now=now, ignored_in_row=ignored)
        return paused

    async def answer(self, actor: Actor, connection_id: int, answer: MeetAnswer) -> Connection:
        """Record the caller's answer to "Did you meet?" (only people in that introduction)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlConnectionRepository)
            connection = await repo.get(connection_id)
            if connection is None or connection.guild_id != actor.guild_id or actor.user_id not in connection.members:
                raise NotInConnectionError()
            await repo.answer(connection, actor.user_id, answer, now=now)
            await repo.set_preference(actor.guild_id, actor.user_id, now=now, ignored_in_row=0)
            await uow.commit()
            return await repo.get(connection_id) or connection
