"""The only SQL on the questionnaire tables; every method returns frozen dataclasses."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.questionnaires.domain import (
    Audience,
    Item,
    ItemDraft,
    ItemKind,
    PageWrite,
    Questionnaire,
    QuestionnaireData,
    QuestionnaireStatus,
    Response,
    StoredAnswer,
)
from bot.core.storage.database import rowcount
from bot.core.storage.models.questionnaires import (
    QuestionnaireAnswerRow,
    QuestionnaireItemRow,
    QuestionnaireResponseRow,
    QuestionnaireRow,
)

QUESTIONNAIRE_FIELDS = frozenset(
    {
        "status",
        "version",
        "opens_at",
        "closes_at",
        "nudge_at",
        "opened_at",
        "closed_at",
        "card_channel_id",
        "card_message_id",
    }
)


def _questionnaire(row: QuestionnaireRow) -> Questionnaire:
    return Questionnaire(
        id=row.id,
        guild_id=row.guild_id,
        name=row.name,
        template=row.template,
        audience=Audience(row.audience),
        status=QuestionnaireStatus(row.status),
        version=row.version,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        nudge_at=row.nudge_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        card_channel_id=row.card_channel_id,
        card_message_id=row.card_message_id,
        created_at=row.created_at,
    )


def _item(row: QuestionnaireItemRow) -> Item:
    return Item(
        id=row.id,
        questionnaire_id=row.questionnaire_id,
        version=row.version,
        position=row.position,
        key=row.key,
        kind=ItemKind(row.kind),
        text=row.text,
        outcome_id=row.outcome_id,
        choices=tuple(row.choices or ()),
    )


def _response(row: QuestionnaireResponseRow) -> Response:
    return Response(
        row.id, row.questionnaire_id, row.user_id, row.last_page, row.finished_at, row.started_at, row.updated_at
    )


class SqlQuestionnaireRepository:
    """Read and write questionnaires, their items, responses and answers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- questionnaires --------------------------------------------------------------------------------

    async def add(
        self, guild_id: int, name: str, template: str, audience: Audience, *, opens_at: datetime | None, now: datetime
    ) -> Questionnaire:
        """Store a new questionnaire at version 1 (its items are added with add_items)."""
        status = QuestionnaireStatus.SCHEDULED if opens_at else QuestionnaireStatus.DRAFT
        row = QuestionnaireRow(
            guild_id=guild_id,
            name=name,
            template=template,
            audience=audience.value,
            status=status.value,
            version=1,
            opens_at=opens_at,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _questionnaire(row)

    async def get(self, questionnaire_id: int) -> Questionnaire | None:
        """Return a questionnaire by id."""
        row = await self._session.get(QuestionnaireRow, questionnaire_id)
        return None if row is None else _questionnaire(row)

    async def by_name(self, guild_id: int, name: str) -> Questionnaire | None:
        """Return the server's questionnaire with this name (any case)."""
        row = await self._session.scalar(
            select(QuestionnaireRow).where(
                QuestionnaireRow.guild_id == guild_id, func.lower(QuestionnaireRow.name) == name.lower()
            )
        )
        return None if row is None else _questionnaire(row)

    async def all(self, guild_id: int) -> list[Questionnaire]:
        """Return the server's questionnaires, newest first."""
        rows = await self._session.scalars(
            select(QuestionnaireRow).where(QuestionnaireRow.guild_id == guild_id).order_by(QuestionnaireRow.id.desc())
        )
        return [_questionnaire(r) for r in rows.all()]

    async def update(self, questionnaire_id: int, changes: Mapping[str, Any], *, now: datetime) -> Questionnaire:
        """Apply changes (names from QUESTIONNAIRE_FIELDS; enums as their values)."""
        row = await self._session.get(QuestionnaireRow, questionnaire_id)
        if row is None:
            raise LookupError(questionnaire_id)
        for name, value in changes.items():
            if name not in QUESTIONNAIRE_FIELDS:
                raise KeyError(name)
            setattr(row, name, value.value if isinstance(value, QuestionnaireStatus) else value)
        row.updated_at = now
        await self._session.flush()
        return _questionnaire(row)

    # -- items -------------------------------------------------------------------------------------------

    async def add_items(self, questionnaire_id: int, version: int, drafts: Sequence[ItemDraft]) -> list[Item]:
        """Store the items of one version in order."""
        rows = [
            QuestionnaireItemRow(
                questionnaire_id=questionnaire_id,
                version=version,
                position=position,
                key=d.key,
                kind=d.kind.value,
                text=d.text,
                outcome_id=d.outcome_id,
                choices=list(d.choices),
            )
            for position, d in enumerate(drafts, 1)
        ]
        self._session.add_all(rows)
        await self._session.flush()
        return [_item(r) for r in rows]

    async def replace_items(self, questionnaire_id: int, version: int, drafts: Sequence[ItemDraft]) -> list[Item]:
        """Replace the items of a version nobody has answered yet."""
        await self._session.execute(
            delete(QuestionnaireItemRow).where(
                QuestionnaireItemRow.questionnaire_id == questionnaire_id, QuestionnaireItemRow.version == version
            )
        )
        return await self.add_items(questionnaire_id, version, drafts)

    async def items(self, questionnaire_id: int, version: int | None = None) -> list[Item]:
        """Return the items of one version (every version when None), in order."""
        query = select(QuestionnaireItemRow).where(QuestionnaireItemRow.questionnaire_id == questionnaire_id)
        if version is not None:
            query = query.where(QuestionnaireItemRow.version == version)
        rows = await self._session.scalars(query.order_by(QuestionnaireItemRow.version, QuestionnaireItemRow.position))
        return [_item(r) for r in rows.all()]

    async def answer_count(self, questionnaire_id: int, version: int | None = None) -> int:
        """Return how many answers the questionnaire (or one version of it) has."""
        query = (
            select(func.count(QuestionnaireAnswerRow.id))
            .join(QuestionnaireItemRow, QuestionnaireItemRow.id == QuestionnaireAnswerRow.item_id)
            .where(QuestionnaireItemRow.questionnaire_id == questionnaire_id)
        )
        if version is not None:
            query = query.where(QuestionnaireItemRow.version == version)
        return int(await self._session.scalar(query) or 0)

    # -- responses and answers ---------------------------------------------------------------------------

    async def response(self, questionnaire_id: int, user_id: int) -> Response | None:
        """Return someone's response, or None before their first page."""
        row = await self._session.scalar(
            select(QuestionnaireResponseRow).where(
                QuestionnaireResponseRow.questionnaire_id == questionnaire_id,
                QuestionnaireResponseRow.user_id == user_id,
            )
        )
        return None if row is None else _response(row)

    async def responses(self, questionnaire_id: int) -> list[Response]:
        """Return every response to a questionnaire."""
        rows = await self._session.scalars(
            select(QuestionnaireResponseRow)
            .where(QuestionnaireResponseRow.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireResponseRow.id)
        )
        return [_response(r) for r in rows.all()]

    async def save_pages(
        self, questionnaire: Questionnaire, writes: Sequence[PageWrite], known: Mapping[int, Response], *, now: datetime
    ) -> dict[int, Response]:
        """Store many pages at once (a few statements for the whole batch); return everyone's progress after.

        known holds the responses read before (people without one get a new row). For one person and item,
        the last write in the batch wins. Empty answers remove earlier ones; stale_item_ids are older versions'
        items whose answers the page supersedes.
        """
        progress: dict[int, tuple[int, bool]] = {}
        for w in writes:
            last, finished = progress.get(w.user_id, (0, False))
            progress[w.user_id] = (max(last, w.page), finished or w.finished)
        new_users = [u for u in progress if u not in known]
        if new_users:
            self._session.add_all(
                QuestionnaireResponseRow(
                    questionnaire_id=questionnaire.id,
                    guild_id=questionnaire.guild_id,
                    user_id=u,
                    last_page=progress[u][0],
                    finished_at=now if progress[u][1] else None,
                    started_at=now,
                    updated_at=now,
                )
                for u in new_users
            )
            await self._session.flush()
        rows = await self._session.scalars(
            select(QuestionnaireResponseRow).where(
                QuestionnaireResponseRow.questionnaire_id == questionnaire.id,
                QuestionnaireResponseRow.user_id.in_(list(progress)),
            )
        )
        by_user = {r.user_id: r for r in rows.all()}
        changes = []
        for user_id, (page, finished) in progress.items():
            row = by_user[user_id]
            if user_id in known:
                changes.append(
                    {
                        "id": row.id,
                        "last_page": max(row.last_page, page),
                        "finished_at": row.finished_at or (now if finished else None),
                        "updated_at": now,
                    }
                )
        if changes:
            await self._session.execute(update(QuestionnaireResponseRow), changes)
        answers: dict[tuple[int, int], tuple[Any, int]] = {}
        replaced: set[tuple[int, int]] = set()
        for w in writes:
            response_id = by_user[w.user_id].id
            for item_id in (*w.values, *w.stale_item_ids):
                replaced.add((response_id, item_id))
                answers.pop((response_id, item_id), None)
            for item_id, value in w.values.items():
                if value is not None:
                    answers[(response_id, item_id)] = (value, w.page)
        if replaced:
            await self._session.execute(
                delete(QuestionnaireAnswerRow).where(
                    tuple_(QuestionnaireAnswerRow.response_id, QuestionnaireAnswerRow.item_id).in_(sorted(replaced))
                )
            )
        if answers:
            await self._session.execute(
                insert(QuestionnaireAnswerRow),
                [
                    {"response_id": r, "item_id": i, "value": v, "page": page, "saved_at": now}
                    for (r, i), (v, page) in answers.items()
                ],
            )
        self._session.expire_all()
        rows = await self._session.scalars(
            select(QuestionnaireResponseRow).where(
                QuestionnaireResponseRow.questionnaire_id == questionnaire.id,
                QuestionnaireResponseRow.user_id.in_(list(progress)),
            )
        )
        return {r.user_id: _response(r) for r in rows.all()}

    async def answers_of(self, questionnaire_id: int, user_ids: Iterable[int]) -> dict[int, list[StoredAnswer]]:
        """Return the saved answers of some people, by person (oldest version first)."""
        wanted = list(user_ids)
        found: dict[int, list[StoredAnswer]] = {u: [] for u in wanted}
        if not wanted:
            return found
        rows = await self._session.execute(
            select(QuestionnaireAnswerRow, QuestionnaireItemRow, QuestionnaireResponseRow.user_id)
            .join(QuestionnaireItemRow, QuestionnaireItemRow.id == QuestionnaireAnswerRow.item_id)
            .join(QuestionnaireResponseRow, QuestionnaireResponseRow.id == QuestionnaireAnswerRow.response_id)
            .where(
                QuestionnaireResponseRow.questionnaire_id == questionnaire_id,
                QuestionnaireResponseRow.user_id.in_(wanted),
            )
            .order_by(QuestionnaireItemRow.version, QuestionnaireItemRow.position)
        )
        for a, i, uid in rows.all():
            found[int(uid)].append(
                StoredAnswer(a.response_id, int(uid), a.item_id, i.key, i.version, a.value, a.page, a.saved_at)
            )
        return found

    async def answers(self, questionnaire_id: int, user_id: int | None = None) -> list[StoredAnswer]:
        """Return saved answers (one person's, or everyone's), oldest version first."""
        query = (
            select(QuestionnaireAnswerRow, QuestionnaireItemRow, QuestionnaireResponseRow.user_id)
            .join(QuestionnaireItemRow, QuestionnaireItemRow.id == QuestionnaireAnswerRow.item_id)
            .join(QuestionnaireResponseRow, QuestionnaireResponseRow.id == QuestionnaireAnswerRow.response_id)
            .where(QuestionnaireResponseRow.questionnaire_id == questionnaire_id)
        )
        if user_id is not None:
            query = query.where(QuestionnaireResponseRow.user_id == user_id)
        rows = await self._session.execute(
            query.order_by(
                QuestionnaireResponseRow.user_id, QuestionnaireItemRow.version, QuestionnaireItemRow.position
            )
        )
        return [
            StoredAnswer(a.response_id, int(uid), a.item_id, i.key, i.version, a.value, a.page, a.saved_at)
            for a, i, uid in rows.all()
        ]

    async def redact_text(self, guild_id: int, before: datetime) -> int:
        """Blank free-text answers saved at or before before in a server; return how many (ratings and choices stay)."""
        text_kinds = [kind.value for kind in ItemKind if kind.is_text]
        rows = await self._session.execute(
            select(QuestionnaireAnswerRow.id, QuestionnaireAnswerRow.value)
            .join(QuestionnaireItemRow, QuestionnaireItemRow.id == QuestionnaireAnswerRow.item_id)
            .join(QuestionnaireResponseRow, QuestionnaireResponseRow.id == QuestionnaireAnswerRow.response_id)
            .where(
                QuestionnaireResponseRow.guild_id == guild_id,
                QuestionnaireItemRow.kind.in_(text_kinds),
                QuestionnaireAnswerRow.saved_at <= before,
            )
        )
        ids = [answer_id for answer_id, value in rows.all() if value]
        if ids:
            await self._session.execute(
                update(QuestionnaireAnswerRow).where(QuestionnaireAnswerRow.id.in_(ids)).values(value="")
            )
        return len(ids)

    async def delete_user(self, guild_id: int, user_id: int) -> int:
        """Erase someone's responses and answers in a server; return how many responses."""
        ids = select(QuestionnaireResponseRow.id).where(
            QuestionnaireResponseRow.guild_id == guild_id, QuestionnaireResponseRow.user_id == user_id
        )
        await self._session.execute(delete(QuestionnaireAnswerRow).where(QuestionnaireAnswerRow.response_id.in_(ids)))
        result = await self._session.execute(
            delete(QuestionnaireResponseRow).where(
                QuestionnaireResponseRow.guild_id == guild_id, QuestionnaireResponseRow.user_id == user_id
            )
        )
        return rowcount(result)

    async def load(self, guild_id: int) -> list[QuestionnaireData]:
        """Return every questionnaire of a server with its items, responses and answers (oldest first)."""
        found = []
        for q in reversed(await self.all(guild_id)):
            found.append(
                QuestionnaireData(
                    q, tuple(await self.items(q.id)), tuple(await self.responses(q.id)), tuple(await self.answers(q.id))
                )
            )
        return found
