"""Interview use-cases: a stratified random shortlist (seed in the audit log), invitations, answers, the list."""

import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.domain import Delivery, NewDelivery
from bot.core.interviews.deliveries import invite_delivery
from bot.core.interviews.domain import (
    MAX_SHORTLIST,
    VARY_BY,
    Candidate,
    InterviewList,
    InterviewStatus,
    Shortlist,
    attendance_band,
)
from bot.core.interviews.errors import NoCandidatesError, NotInvitedError, ShortlistError
from bot.core.interviews.repository import SqlInterviewRepository
from bot.core.participants.domain import ConsentPurpose, Participant
from bot.core.participants.repository import SqlConsentRepository, SqlParticipantRepository
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository
from bot.core.reflections.repository import SqlAttendanceRepository
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)


class DeliveryScheduler(Protocol):
    """The part of the Dispatcher that features use."""

    async def schedule(self, uow: UnitOfWork, new: NewDelivery) -> Delivery: ...

    def wake(self, at: datetime | None = None) -> None: ...


def stratum(person: Participant, attended: int, vary_by: Sequence[str]) -> str:
    """Return the stratum of a person on the chosen dimensions ("Rural|Volunteer|4-6")."""
    values = {
        "area": person.area_group.label,
        "role": person.role.label if person.role else "Not said",
        "attendance": attendance_band(attended),
    }
    return "|".join(values[d] for d in vary_by)


def draw(strata: dict[str, list[int]], count: int, seed: int) -> list[tuple[int, str]]:
    """Pick count people round-robin across strata in a random order fixed by seed (reproducible)."""
    rng = random.Random(seed)
    order = sorted(strata)
    rng.shuffle(order)
    pools = {key: sorted(strata[key]) for key in order}
    for key in order:
        rng.shuffle(pools[key])
    picked: list[tuple[int, str]] = []
    while len(picked) < count and any(pools.values()):
        for key in order:
            if pools[key] and len(picked) < count:
                picked.append((pools[key].pop(), key))
    return picked


class InterviewService:
    """Shortlist people for interviews, invite them, and record their answers."""

    def __init__(self, database: Database, clock: Clock, *, dispatcher: DeliveryScheduler | None = None) -> None:
        self._database = database
        self._clock = clock
        self._dispatcher = dispatcher

    async def _facilitator(self, uow: UnitOfWork, actor: Actor, action: str) -> None:
        require_facilitator(await uow.repo(SqlProgrammeRepository).get(actor.guild_id), actor, action)

    async def _prune(self, uow: UnitOfWork, guild_id: int) -> tuple[list[Candidate], int, set[int]]:
        """Remove people whose interview consent is no longer yes; return the list, how many left it, consenters."""
        consenting = await uow.repo(SqlConsentRepository).consenting(guild_id, ConsentPurpose.INTERVIEW)
        repo = uow.repo(SqlInterviewRepository)
        current = await repo.all(guild_id)
        gone = [c.user_id for c in current if c.user_id not in consenting]
        removed = await repo.remove(guild_id, gone)
        return [c for c in current if c.user_id in consenting], removed, consenting

    async def shortlist(
        self, actor: Actor, count: int = 5, vary_by: str | None = None, *, seed: int | None = None
    ) -> Shortlist:
        """Propose count people who agreed to interview contact, varied across area, role and attendance.

        A stratified random draw: people are grouped by the chosen dimensions (all three by default) and
        taken round-robin from the groups in a random order. The seed goes to the audit log, so the same
        pool and seed give the same people. People already on the list are not proposed again.
        """
        if not 1 <= count <= MAX_SHORTLIST:
            raise ShortlistError(f"Propose 1 to {MAX_SHORTLIST} people at a time.")
        if vary_by is not None and vary_by not in VARY_BY:
            raise ShortlistError(f"vary_by is one of {', '.join(VARY_BY)}.")
        dims = (vary_by,) if vary_by else VARY_BY
        seed = secrets.randbits(31) if seed is None else seed
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "shortlist interviewees")
            listed, _, consenting = await self._prune(uow, actor.guild_id)
            taken = {c.user_id for c in listed}
            people = {
                p.user_id: p
                for p in await uow.repo(SqlParticipantRepository).list_all(actor.guild_id, active_only=True)
            }
            attended: dict[int, set[int]] = defaultdict(set)
            for row in await uow.repo(SqlAttendanceRepository).rows(guild_id=actor.guild_id):
                attended[row.user_id].add(row.session_id)
            pool = sorted(u for u in people if u in consenting and u not in taken)
            if not pool:
                raise NoCandidatesError()
            strata: dict[str, list[int]] = defaultdict(list)
            for user_id in pool:
                strata[stratum(people[user_id], len(attended[user_id]), dims)].append(user_id)
            picked = draw(strata, count, seed)
            repo = uow.repo(SqlInterviewRepository)
            added = [await repo.add(actor.guild_id, user_id, key, seed, now=now) for user_id, key in picked]
            await uow.repo(SqlAuditRepository).record(
                action="interviews.shortlist",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"seed={seed} count={count} vary_by={','.join(dims)} pool={len(pool)} picked={len(added)}",
            )
            await uow.commit()
        log.info("Interview shortlist in guild %s: %d of %d (seed %s)", actor.guild_id, len(added), len(pool), seed)
        return Shortlist(tuple(added), len(pool), seed, dims)

    async def invite(self, actor: Actor) -> InterviewList:
        """Send an invitation DM to everyone proposed (not yet invited); return the list afterwards."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "invite interviewees")
            listed, removed, _ = await self._prune(uow, actor.guild_id)
            repo = uow.repo(SqlInterviewRepository)
            invited = 0
            for candidate in listed:
                if candidate.status is InterviewStatus.PROPOSED:
                    await repo.set_status(actor.guild_id, candidate.user_id, InterviewStatus.INVITED, now=now)
                    if self._dispatcher is not None:
                        await self._dispatcher.schedule(uow, invite_delivery(actor.guild_id, candidate.user_id, now))
                    invited += 1
            await uow.repo(SqlAuditRepository).record(
                action="interviews.invite",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"{invited}",
            )
            result = await repo.all(actor.guild_id)
            await uow.commit()
        if self._dispatcher is not None and invited:
            self._dispatcher.wake(now)
        return InterviewList(tuple(result), removed, invited)

    async def answer(self, actor: Actor, guild_id: int, accepted: bool) -> bool:
        """Record a "Yes, contact me" / "No thanks" answer to an invitation; return accepted."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            listed, _, _ = await self._prune(uow, guild_id)
            mine = next((c for c in listed if c.user_id == actor.user_id), None)
            if mine is None or mine.status is InterviewStatus.PROPOSED:
                raise NotInvitedError()
            status = InterviewStatus.ACCEPTED if accepted else InterviewStatus.DECLINED
            await uow.repo(SqlInterviewRepository).set_status(guild_id, actor.user_id, status, now=now)
            await uow.commit()
        return accepted

    async def listing(self, actor: Actor) -> InterviewList:
        """Return the list with statuses (facilitators); people who withdrew consent are removed first."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see the interview list")
            listed, removed, _ = await self._prune(uow, actor.guild_id)
            await uow.commit()
        return InterviewList(tuple(listed), removed)
