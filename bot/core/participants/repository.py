"""Storage for communities, participants and consent; the unit of work owns the transaction."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.participants.domain import (
    Area,
    Community,
    ConsentAnswer,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentText,
    Participant,
    ParticipantRole,
    community_key,
)
from bot.core.storage.database import rowcount
from bot.core.storage.dialect import dialect_insert
from bot.core.storage.models.participants import CommunityRow, ConsentEventRow, ConsentTextRow, ParticipantRow

_P = ParticipantRow.__table__.c
_COMMUNITY = CommunityRow.__table__.c


def _participant(row: RowMapping, community: str | None) -> Participant:
    return Participant(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        community=community,
        community_id=row["community_id"],
        area=Area(row["area"]) if row["area"] else None,
        role=ParticipantRole(row["role"]) if row["role"] else None,
        active=bool(row["active"]),
        joined_at=row["joined_at"],
        left_at=row["left_at"],
        updated_at=row["updated_at"],
    )


def _nicer(current: str, candidate: str) -> bool:
    """Tell whether candidate is a better display spelling than current (mixed case beats all one case)."""
    one_case = current == current.lower() or current == current.upper()
    return one_case and candidate != candidate.lower() and candidate != candidate.upper()


class SqlParticipantRepository:
    """Read and write participants and the communities they name."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _select(self) -> Any:
        return select(ParticipantRow.__table__, CommunityRow.name.label("community_name")).outerjoin(
            CommunityRow.__table__, _COMMUNITY.id == _P.community_id
        )

    async def get(self, guild_id: int, user_id: int) -> Participant | None:
        """Return the participant with this user id in the server, or None."""
        result = await self._session.execute(self._select().where(_P.guild_id == guild_id, _P.user_id == user_id))
        row = result.mappings().first()
        return None if row is None else _participant(row, row["community_name"])

    async def list_all(self, guild_id: int, *, active_only: bool = False) -> list[Participant]:
        """Return the server's participants in joining order."""
        stmt = self._select().where(_P.guild_id == guild_id).order_by(_P.id)
        if active_only:
            stmt = stmt.where(_P.active.is_(True))
        result = await self._session.execute(stmt)
        return [_participant(row, row["community_name"]) for row in result.mappings()]

    async def user_ids(self, guild_id: int, *, active_only: bool = True) -> set[int]:
        """Return the user ids of the server's (active) participants."""
        stmt = select(_P.user_id).where(_P.guild_id == guild_id)
        if active_only:
            stmt = stmt.where(_P.active.is_(True))
        return {int(u) for u in (await self._session.scalars(stmt)).all()}

    async def registered(self, guild_id: int, user_ids: Iterable[int]) -> set[int]:
        """Return which of user_ids are participants of the server (active or not)."""
        stmt = select(_P.user_id).where(_P.guild_id == guild_id, _P.user_id.in_(sorted(set(user_ids))))
        return {int(u) for u in (await self._session.scalars(stmt)).all()}

    async def count_joined(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        """Count participants who joined after since (from the start when None) and at or before until."""
        stmt = select(func.count(_P.id)).where(_P.guild_id == guild_id, _P.joined_at <= until)
        if since is not None:
            stmt = stmt.where(_P.joined_at > since)
        return int(await self._session.scalar(stmt) or 0)

    async def community_id(self, guild_id: int, name: str, *, now: datetime) -> int:
        """Return the id of the community called name (any case or spacing), creating it if new."""
        key = community_key(name)
        insert = dialect_insert(self._session, CommunityRow.__table__)
        await self._session.execute(
            insert.values(guild_id=guild_id, key=key, name=name, created_at=now).on_conflict_do_nothing(
                index_elements=["guild_id", "key"]
            )
        )
        row = (
            await self._session.execute(
                select(_COMMUNITY.id, _COMMUNITY.name).where(_COMMUNITY.guild_id == guild_id, _COMMUNITY.key == key)
            )
        ).one()
        if _nicer(row.name, name):
            await self._session.execute(update(CommunityRow.__table__).where(_COMMUNITY.id == row.id).values(name=name))
        return int(row.id)

    async def delete_unused_communities(self, guild_id: int) -> int:
        """Delete the server's communities that no participant names any more; return how many went.

        A community's name is free text someone typed: once nobody belongs to it, it must not stay in
        everyone's autocomplete (nor in the database).
        """
        used = select(_P.id).where(_P.community_id == _COMMUNITY.id).exists()
        result = await self._session.execute(
            delete(CommunityRow.__table__).where(_COMMUNITY.guild_id == guild_id, ~used)
        )
        return rowcount(result)

    async def communities(self, guild_id: int) -> list[Community]:
        """Return the server's communities with their number of active participants, most used first."""
        count = func.count(_P.id)
        stmt = (
            select(_COMMUNITY.id, _COMMUNITY.name, count.label("members"))
            .select_from(CommunityRow.__table__)
            .outerjoin(ParticipantRow.__table__, (_P.community_id == _COMMUNITY.id) & _P.active.is_(True))
            .where(_COMMUNITY.guild_id == guild_id)
            .group_by(_COMMUNITY.id, _COMMUNITY.name)
            .order_by(count.desc(), _COMMUNITY.key)
        )
        result = await self._session.execute(stmt)
        return [Community(int(r.id), guild_id, r.name, int(r.members)) for r in result]

    async def add(
        self,
        guild_id: int,
        user_id: int,
        *,
        community_id: int | None,
        area: Area | None,
        role: ParticipantRole | None,
        now: datetime,
    ) -> bool:
        """Register someone unless they already are; tell whether a row was added."""
        insert = dialect_insert(self._session, ParticipantRow.__table__)
        values = {
            "guild_id": guild_id,
            "user_id": user_id,
            "community_id": community_id,
            "area": area.value if area else None,
            "role": role.value if role else None,
            "active": True,
            "joined_at": now,
            "left_at": None,
            "updated_at": now,
        }
        stmt = insert.values(**values).on_conflict_do_nothing(index_elements=["guild_id", "user_id"])
        result = await self._session.execute(stmt.returning(_P.id))
        return result.first() is not None

    async def update(self, guild_id: int, user_id: int, changes: Mapping[str, Any], *, now: datetime) -> None:
        """Change profile columns (community_id, area, role, active, left_at) of a participant."""
        allowed = {"community_id", "area", "role", "active", "left_at"}
        unknown = set(changes) - allowed
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        values = {k: (v.value if isinstance(v, Area | ParticipantRole) else v) for k, v in changes.items()}
        await self._session.execute(
            update(ParticipantRow.__table__)
            .where(_P.guild_id == guild_id, _P.user_id == user_id)
            .values(**values, updated_at=now)
        )

    async def set_active(self, guild_id: int, user_id: int, active: bool, *, now: datetime) -> bool:
        """Mark a participant active or inactive; tell whether that changed anything."""
        values: dict[str, Any] = {"active": active, "updated_at": now, "left_at": None if active else now}
        result = await self._session.execute(
            update(ParticipantRow.__table__)
            .where(_P.guild_id == guild_id, _P.user_id == user_id, _P.active.is_(not active))
            .values(**values)
        )
        return bool(rowcount(result))

    async def delete_user(self, guild_id: int, user_id: int) -> tuple[int, int]:
        """Delete someone's profile and their community if nobody else names it (erasure).

        Return (profiles deleted, community names deleted).
        """
        community_id = await self._session.scalar(
            select(_P.community_id).where(_P.guild_id == guild_id, _P.user_id == user_id)
        )
        profile = await self._session.execute(
            delete(ParticipantRow.__table__).where(_P.guild_id == guild_id, _P.user_id == user_id)
        )
        communities = 0
        if community_id is not None:
            others = await self._session.scalar(select(func.count(_P.id)).where(_P.community_id == community_id))
            if not others:  # the name was typed by this person alone
                removed = await self._session.execute(
                    delete(CommunityRow.__table__).where(_COMMUNITY.id == community_id)
                )
                communities = rowcount(removed)
        return rowcount(profile), communities


_T = ConsentTextRow.__table__.c
_E = ConsentEventRow.__table__.c


def _text(row: Any) -> ConsentText:
    return ConsentText(row.guild_id, row.version, row.text, row.created_at)


def _event(row: Any) -> ConsentEvent:
    return ConsentEvent(
        id=row.id,
        guild_id=row.guild_id,
        user_id=row.user_id,
        purpose=ConsentPurpose(row.purpose),
        granted=bool(row.granted),
        text_version=row.text_version,
        source=ConsentSource(row.source),
        recorded_at=row.recorded_at,
    )


class SqlConsentRepository:
    """Versioned consent texts and the append-only log of consent answers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def latest_text(self, guild_id: int) -> ConsentText | None:
        """Return the newest stored consent text of the server, or None when none was ever stored."""
        stmt = select(ConsentTextRow.__table__).where(_T.guild_id == guild_id).order_by(_T.version.desc()).limit(1)
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _text(row)

    async def texts(self, guild_id: int) -> list[ConsentText]:
        """Return every stored version of the server's consent text, oldest first."""
        stmt = select(ConsentTextRow.__table__).where(_T.guild_id == guild_id).order_by(_T.version)
        return [_text(r) for r in (await self._session.execute(stmt)).all()]

    async def add_text(self, guild_id: int, version: int, text: str, *, now: datetime, by: int | None) -> bool:
        """Store a version of the text unless that version exists; tell whether it was stored."""
        insert = dialect_insert(self._session, ConsentTextRow.__table__)
        stmt = insert.values(guild_id=guild_id, version=version, text=text, created_at=now, created_by=by)
        result = await self._session.execute(
            stmt.on_conflict_do_nothing(index_elements=["guild_id", "version"]).returning(_T.id)
        )
        return result.first() is not None

    async def append(
        self,
        guild_id: int,
        user_id: int,
        answers: Mapping[ConsentPurpose, bool],
        *,
        text_version: int,
        source: ConsentSource,
        now: datetime,
    ) -> None:
        """Append one row per answer."""
        if not answers:
            return
        rows = [
            {
                "guild_id": guild_id,
                "user_id": user_id,
                "purpose": purpose.value,
                "granted": granted,
                "text_version": text_version,
                "source": source.value,
                "recorded_at": now,
            }
            for purpose, granted in answers.items()
        ]
        await self._session.execute(ConsentEventRow.__table__.insert(), rows)

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Delete someone's consent answers in the server (erasure); return how many."""
        result = await self._session.execute(
            delete(ConsentEventRow.__table__).where(_E.guild_id == guild_id, _E.user_id == user_id)
        )
        return rowcount(result)

    async def latest(self, guild_id: int, user_id: int) -> dict[ConsentPurpose, ConsentAnswer]:
        """Return someone's latest answer per purpose."""
        stmt = select(ConsentEventRow.__table__).where(_E.guild_id == guild_id, _E.user_id == user_id).order_by(_E.id)
        answers: dict[ConsentPurpose, ConsentAnswer] = {}
        for row in (await self._session.execute(stmt)).all():
            purpose = ConsentPurpose(row.purpose)
            answers[purpose] = ConsentAnswer(purpose, bool(row.granted), row.text_version, row.recorded_at)
        return answers

    async def history(self, guild_id: int, user_id: int | None = None) -> list[ConsentEvent]:
        """Return consent answers in the order they were given (one person's, or the whole server's)."""
        stmt = select(ConsentEventRow.__table__).where(_E.guild_id == guild_id).order_by(_E.id)
        if user_id is not None:
            stmt = stmt.where(_E.user_id == user_id)
        return [_event(r) for r in (await self._session.execute(stmt)).all()]

    async def consenting(
        self, guild_id: int, purpose: ConsentPurpose, *, version: int | None = None, among: Iterable[int] | None = None
    ) -> set[int]:
        """Return the users whose latest answer for purpose is yes (given under version, if one is named)."""
        latest = (
            select(func.max(_E.id))
            .where(_E.guild_id == guild_id, _E.purpose == purpose.value)
            .group_by(_E.user_id)
            .scalar_subquery()
        )
        stmt = select(_E.user_id).where(_E.id.in_(latest), _E.granted.is_(True))
        if version is not None:
            stmt = stmt.where(_E.text_version == version)
        if among is not None:
            stmt = stmt.where(_E.user_id.in_(list(among)))
        return {int(u) for u in (await self._session.scalars(stmt)).all()}
