"""Storage for group proposals, groups and members: the only SQL on these tables; returns frozen values."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.groups.assignment import pair_key
from bot.core.groups.domain import (
    Connection,
    ConnectPreference,
    Group,
    MeetAnswer,
    MemberHow,
    Mix,
    Proposal,
    ProposalStatus,
    ProposedGroup,
    Source,
)
from bot.core.storage.database import rowcount
from bot.core.storage.models.groups import (
    ConnectionAnswerRow,
    ConnectionRow,
    ConnectPreferenceRow,
    GroupMemberRow,
    GroupProposalRow,
    GroupRow,
)


def _proposal(row: GroupProposalRow) -> Proposal:
    coaches = list(row.coaches) + [None] * (len(row.groups) - len(row.coaches))
    return Proposal(
        id=row.id,
        guild_id=row.guild_id,
        session_id=row.session_id,
        size=row.size,
        mix=Mix(row.mix),
        source=Source(row.source),
        seed=row.seed,
        groups=tuple(
            ProposedGroup(i + 1, tuple(int(u) for u in members), None if coach is None else int(coach))
            for i, (members, coach) in enumerate(zip(row.groups, coaches, strict=False))
        ),
        cost=row.cost,
        status=ProposalStatus(row.status),
        created_by=row.created_by,
    )


def _group(row: GroupRow, members: Iterable[int]) -> Group:
    return Group(
        id=row.id,
        guild_id=row.guild_id,
        session_id=row.session_id,
        number=row.number,
        coach_id=row.coach_id,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        members=tuple(sorted(members)),
        created_at=row.created_at,
        voice_channel_id=(row.details or {}).get("voice_channel_id"),
    )


class SqlGroupRepository:
    """Read and write proposals, groups and their members."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- proposals ----------------------------------------------------------------------------------

    async def add_proposal(
        self,
        *,
        guild_id: int,
        session_id: int,
        created_by: int | None,
        size: int,
        mix: Mix,
        source: Source,
        seed: int,
        groups: Sequence[Sequence[int]],
        coaches: Sequence[int | None],
        cost: int,
        now: datetime,
    ) -> Proposal:
        """Store an open proposal."""
        row = GroupProposalRow(
            guild_id=guild_id,
            session_id=session_id,
            created_by=created_by,
            size=size,
            mix=mix.value,
            source=source.value,
            seed=seed,
            groups=[list(g) for g in groups],
            coaches=list(coaches),
            cost=cost,
            status=ProposalStatus.OPEN.value,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _proposal(row)

    async def proposal(self, proposal_id: int, *, for_update: bool = False) -> Proposal | None:
        """Return a proposal by id (locking its row on PostgreSQL when for_update)."""
        stmt = select(GroupProposalRow).where(GroupProposalRow.id == proposal_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = await self._session.scalar(stmt)
        return None if row is None else _proposal(row)

    async def update_proposal(self, proposal_id: int, changes: Mapping[str, Any], *, now: datetime) -> Proposal:
        """Change a proposal's groups, coaches, cost, seed or status."""
        row = await self._session.get(GroupProposalRow, proposal_id)
        if row is None:
            raise LookupError(f"no proposal {proposal_id}")
        for name, value in changes.items():
            if name not in ("groups", "coaches", "cost", "seed", "status"):
                raise KeyError(name)
            setattr(row, name, value.value if isinstance(value, ProposalStatus) else value)
        row.updated_at = now
        await self._session.flush()
        return _proposal(row)

    # -- groups -------------------------------------------------------------------------------------

    async def add_group(
        self,
        *,
        guild_id: int,
        session_id: int,
        number: int,
        coach_id: int | None,
        channel_id: int | None,
        members: Sequence[int],
        how: MemberHow,
        now: datetime,
    ) -> Group:
        """Store a group and its members."""
        row = GroupRow(
            guild_id=guild_id,
            session_id=session_id,
            number=number,
            coach_id=coach_id,
            channel_id=channel_id,
            thread_id=None,
            status="active",
            details={},
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        for user_id in members:
            self._session.add(
                GroupMemberRow(
                    group_id=row.id,
                    guild_id=guild_id,
                    session_id=session_id,
                    user_id=user_id,
                    how=how.value,
                    added_at=now,
                )
            )
        await self._session.flush()
        return _group(row, members)

    async def _members(self, group_ids: Sequence[int]) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {g: [] for g in group_ids}
        if not group_ids:
            return found
        rows = await self._session.execute(
            select(GroupMemberRow.group_id, GroupMemberRow.user_id).where(GroupMemberRow.group_id.in_(group_ids))
        )
        for group_id, user_id in rows.all():
            found[group_id].append(int(user_id))
        return found

    async def group(self, group_id: int) -> Group | None:
        """Return a group by id."""
        row = await self._session.get(GroupRow, group_id)
        if row is None:
            return None
        return _group(row, (await self._members([row.id]))[row.id])

    async def groups(self, session_id: int) -> list[Group]:
        """Return a session's groups by number."""
        rows = list(
            await self._session.scalars(
                select(GroupRow).where(GroupRow.session_id == session_id).order_by(GroupRow.number)
            )
        )
        members = await self._members([r.id for r in rows])
        return [_group(r, members[r.id]) for r in rows]

    async def lock_session(self, session_id: int) -> None:
        """Lock a session's group rows on PostgreSQL so two changes to its groups run one after the other."""
        await self._session.execute(select(GroupRow.id).where(GroupRow.session_id == session_id).with_for_update())

    async def set_thread(self, group_id: int, channel_id: int, thread_id: int, *, now: datetime) -> bool:
        """Record a group's thread (and the channel it was made in); False when the group is gone."""
        row = await self._session.get(GroupRow, group_id)
        if row is None:
            return False
        row.channel_id, row.thread_id, row.updated_at = channel_id, thread_id, now
        await self._session.flush()
        return True

    async def set_voice(self, group_id: int, channel_id: int | None) -> None:
        """Record (or forget) a group's temporary voice channel."""
        row = await self._session.get(GroupRow, group_id)
        if row is not None:
            details = dict(row.details or {})
            details["voice_channel_id"] = channel_id
            row.details = details
            await self._session.flush()

    async def add_member(self, group: Group, user_id: int, how: MemberHow, *, now: datetime) -> None:
        """Place someone in a group."""
        self._session.add(
            GroupMemberRow(
                group_id=group.id,
                guild_id=group.guild_id,
                session_id=group.session_id,
                user_id=user_id,
                how=how.value,
                added_at=now,
            )
        )
        await self._session.flush()

    async def remove_member(self, session_id: int, user_id: int) -> int:
        """Take someone out of the session's groups; return how many rows went."""
        result = await self._session.execute(
            delete(GroupMemberRow).where(GroupMemberRow.session_id == session_id, GroupMemberRow.user_id == user_id)
        )
        return rowcount(result)

    async def places_of(self, guild_id: int, user_id: int) -> list[Group]:
        """Return the groups someone is a member of."""
        ids = list(
            await self._session.scalars(
                select(GroupMemberRow.group_id).where(
                    GroupMemberRow.guild_id == guild_id, GroupMemberRow.user_id == user_id
                )
            )
        )
        groups = [await self.group(i) for i in ids]
        return [g for g in groups if g is not None]

    async def delete_groups(self, session_id: int) -> int:
        """Delete a session's groups and their members; return how many groups went."""
        ids = list(await self._session.scalars(select(GroupRow.id).where(GroupRow.session_id == session_id)))
        if not ids:
            return 0
        await self._session.execute(delete(GroupMemberRow).where(GroupMemberRow.group_id.in_(ids)))
        await self._session.execute(delete(GroupRow).where(GroupRow.id.in_(ids)))
        return len(ids)

    async def met_pairs(self, guild_id: int, *, except_session: int | None = None) -> set[tuple[int, int]]:
        """Return every pair (members and coach) who were in a group together in the server's other sessions."""
        stmt = select(GroupRow.id, GroupRow.coach_id).where(GroupRow.guild_id == guild_id)
        if except_session is not None:
            stmt = stmt.where(GroupRow.session_id != except_session)
        rows = (await self._session.execute(stmt)).all()
        members = await self._members([r[0] for r in rows])
        pairs: set[tuple[int, int]] = set()
        for group_id, coach_id in rows:
            people = sorted(set(members[group_id]) | ({int(coach_id)} if coach_id is not None else set()))
            for i, a in enumerate(people):
                for b in people[i + 1 :]:
                    pairs.add(pair_key(a, b))
        return pairs

    async def coached(self, guild_id: int, coach_id: int, *, session_id: int | None = None) -> list[Group]:
        """Return the groups someone coaches (in one session, or in all)."""
        stmt = select(GroupRow).where(GroupRow.guild_id == guild_id, GroupRow.coach_id == coach_id)
        if session_id is not None:
            stmt = stmt.where(GroupRow.session_id == session_id)
        rows = list(await self._session.scalars(stmt.order_by(GroupRow.session_id, GroupRow.number)))
        members = await self._members([r.id for r in rows])
        return [_group(r, members[r.id]) for r in rows]

    async def memberships(self, guild_id: int) -> list[tuple[int, int, int, bool]]:
        """Return (session id, group number, user id, is coach) for every group place in the server."""
        rows = (
            await self._session.execute(
                select(GroupRow.session_id, GroupRow.number, GroupRow.id, GroupRow.coach_id).where(
                    GroupRow.guild_id == guild_id
                )
            )
        ).all()
        members = await self._members([r[2] for r in rows])
        out: list[tuple[int, int, int, bool]] = []
        for session_id, number, group_id, coach_id in rows:
            out.extend((session_id, number, u, False) for u in members[group_id])
            if coach_id is not None:
                out.append((session_id, number, int(coach_id), True))
        return sorted(out)

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Erase someone from every group (as member and as coach); return how many places went."""
        result = await self._session.execute(
            delete(GroupMemberRow).where(GroupMemberRow.guild_id == guild_id, GroupMemberRow.user_id == user_id)
        )
        coached = list(
            await self._session.scalars(
                select(GroupRow).where(GroupRow.guild_id == guild_id, GroupRow.coach_id == user_id)
            )
        )
        for row in coached:
            row.coach_id = None
        proposals = list(
            await self._session.scalars(select(GroupProposalRow).where(GroupProposalRow.guild_id == guild_id))
        )
        for proposal in proposals:
            if any(user_id in g for g in proposal.groups) or user_id in proposal.coaches:
                proposal.groups = [[u for u in g if u != user_id] for g in proposal.groups]
                proposal.coaches = [None if c == user_id else c for c in proposal.coaches]
        await self._session.flush()
        return rowcount(result) + len(coached)


def _connection(row: ConnectionRow, answers: Iterable[tuple[int, str]]) -> Connection:
    return Connection(
        id=row.id,
        guild_id=row.guild_id,
        round_at=row.round_at,
        members=tuple(int(u) for u in row.members),
        thread_id=row.thread_id,
        asked_at=row.asked_at,
        answers=tuple((int(u), MeetAnswer(a)) for u, a in answers),
    )


class SqlConnectionRepository:
    """Read and write connect preferences, connections and "did you meet?" answers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def preference(self, guild_id: int, user_id: int) -> ConnectPreference | None:
        """Return someone's connections choice."""
        row = await self._session.get(ConnectPreferenceRow, (guild_id, user_id))
        return None if row is None else ConnectPreference(row.opted_in, row.paused, row.ignored_in_row)

    async def set_preference(
        self,
        guild_id: int,
        user_id: int,
        *,
        now: datetime,
        opted_in: bool | None = None,
        paused: bool | None = None,
        ignored_in_row: int | None = None,
    ) -> ConnectPreference:
        """Create or change someone's connections choice."""
        row = await self._session.get(ConnectPreferenceRow, (guild_id, user_id))
        if row is None:
            row = ConnectPreferenceRow(
                guild_id=guild_id, user_id=user_id, opted_in=False, paused=False, ignored_in_row=0, updated_at=now
            )
            self._session.add(row)
        if opted_in is not None:
            row.opted_in = opted_in
        if paused is not None:
            row.paused = paused
        if ignored_in_row is not None:
            row.ignored_in_row = ignored_in_row
        row.updated_at = now
        await self._session.flush()
        return ConnectPreference(row.opted_in, row.paused, row.ignored_in_row)

    async def taking_part(self, guild_id: int) -> set[int]:
        """Return who is opted in and not paused."""
        rows = await self._session.scalars(
            select(ConnectPreferenceRow.user_id).where(
                ConnectPreferenceRow.guild_id == guild_id,
                ConnectPreferenceRow.opted_in.is_(True),
                ConnectPreferenceRow.paused.is_(False),
            )
        )
        return {int(u) for u in rows}

    async def add(self, guild_id: int, round_at: datetime, members: Sequence[int], *, now: datetime) -> Connection:
        """Store an introduction."""
        row = ConnectionRow(
            guild_id=guild_id,
            round_at=round_at,
            members=list(members),
            channel_id=None,
            thread_id=None,
            asked_at=None,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _connection(row, ())

    async def _answers(self, ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        found: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
        if ids:
            rows = await self._session.execute(
                select(ConnectionAnswerRow.connection_id, ConnectionAnswerRow.user_id, ConnectionAnswerRow.answer)
                .where(ConnectionAnswerRow.connection_id.in_(ids))
                .order_by(ConnectionAnswerRow.id)
            )
            for connection_id, user_id, answer in rows.all():
                found[connection_id].append((int(user_id), answer))
        return found

    async def get(self, connection_id: int) -> Connection | None:
        """Return an introduction by id."""
        row = await self._session.get(ConnectionRow, connection_id)
        return None if row is None else _connection(row, (await self._answers([row.id]))[row.id])

    async def of_guild(self, guild_id: int) -> list[Connection]:
        """Return the server's introductions, oldest round first."""
        rows = list(
            await self._session.scalars(
                select(ConnectionRow)
                .where(ConnectionRow.guild_id == guild_id)
                .order_by(ConnectionRow.round_at, ConnectionRow.id)
            )
        )
        answers = await self._answers([r.id for r in rows])
        return [_connection(r, answers[r.id]) for r in rows]

    async def set_thread(self, connection_id: int, channel_id: int, thread_id: int) -> bool:
        """Record an introduction's thread; False when it is gone."""
        row = await self._session.get(ConnectionRow, connection_id)
        if row is None:
            return False
        row.channel_id, row.thread_id = channel_id, thread_id
        await self._session.flush()
        return True

    async def mark_asked(self, connection_id: int, now: datetime) -> None:
        """Record that "Did you meet?" was asked."""
        row = await self._session.get(ConnectionRow, connection_id)
        if row is not None and row.asked_at is None:
            row.asked_at = now
            await self._session.flush()

    async def answer(self, connection: Connection, user_id: int, answer: MeetAnswer, *, now: datetime) -> None:
        """Store (or replace) someone's answer."""
        await self._session.execute(
            delete(ConnectionAnswerRow).where(
                ConnectionAnswerRow.connection_id == connection.id, ConnectionAnswerRow.user_id == user_id
            )
        )
        self._session.add(
            ConnectionAnswerRow(
                connection_id=connection.id,
                guild_id=connection.guild_id,
                user_id=user_id,
                answer=answer.value,
                answered_at=now,
            )
        )
        await self._session.flush()

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Erase someone's answers, preference and place in introductions; return how many rows changed."""
        answers = await self._session.execute(
            delete(ConnectionAnswerRow).where(
                ConnectionAnswerRow.guild_id == guild_id, ConnectionAnswerRow.user_id == user_id
            )
        )
        prefs = await self._session.execute(
            delete(ConnectPreferenceRow).where(
                ConnectPreferenceRow.guild_id == guild_id, ConnectPreferenceRow.user_id == user_id
            )
        )
        changed = rowcount(answers) + rowcount(prefs)
        for row in await self._session.scalars(select(ConnectionRow).where(ConnectionRow.guild_id == guild_id)):
            if user_id in row.members:
                row.members = [u for u in row.members if u != user_id]
                changed += 1
        await self._session.flush()
        return changed
