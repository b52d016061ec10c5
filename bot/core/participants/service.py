"""Participant use-cases: /join, /me profile, leaving and rejoining the server, and versioned consent."""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.participants.consent_text import DEFAULT_CONSENT_TEXT
from bot.core.participants.domain import (
    CONSENT_TEXT_LIMIT,
    JOIN_PURPOSES,
    Area,
    Community,
    ConsentEvent,
    ConsentPrompt,
    ConsentPurpose,
    ConsentQuestion,
    ConsentSource,
    ConsentState,
    ConsentText,
    ConsentTextChange,
    JoinResult,
    Participant,
    ParticipantRole,
    ProfileUpdate,
    PromptReason,
    clean_community,
    community_key,
)
from bot.core.participants.errors import (
    ConsentTextChangedError,
    EmptyTextError,
    NothingToRecordError,
    NotRegisteredError,
    TextTooLongError,
)
from bot.core.participants.repository import SqlConsentRepository, SqlParticipantRepository
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository, SqlReminderPreferenceRepository
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository
from bot.core.text import clean_text

log = logging.getLogger(__name__)

DEFAULT_TEXT_VERSION = 1
AUTOCOMPLETE_LIMIT = 25


class _ParsedUpdate(TypedDict, total=False):
    """A validated ProfileUpdate: a key present means "change", its value None means "clear"."""

    community: str | None
    area: Area | None
    role: ParticipantRole | None


def _default_text(guild_id: int) -> ConsentText:
    return ConsentText(guild_id, DEFAULT_TEXT_VERSION, DEFAULT_CONSENT_TEXT, None, is_default=True)


async def current_text(uow: UnitOfWork, guild_id: int) -> ConsentText:
    """Return the server's current consent text (Blether's default, version 1, until a facilitator sets one)."""
    stored = await uow.repo(SqlConsentRepository).latest_text(guild_id)
    if stored is None:
        return _default_text(guild_id)
    return ConsentText(
        stored.guild_id,
        stored.version,
        stored.text,
        stored.created_at,
        is_default=stored.text == DEFAULT_CONSENT_TEXT,
    )


class ParticipantService:
    """Register participants, keep their profiles and record their consent.

    Every user-facing method takes the Actor; methods that take (guild_id, user_id) serve other features
    (exports, digests, the gateway's member events) and check nothing.
    """

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    # -- registration and profile --------------------------------------------------------------------

    async def join(
        self,
        actor: Actor,
        *,
        community: str | None = None,
        area: Area | str | None = None,
        role: ParticipantRole | str | None = None,
    ) -> JoinResult:
        """Register the caller (or update and reactivate them); every profile answer is optional.

        Returns the participant and, when the caller has not answered the current consent text, the prompt.
        """
        update = ProfileUpdate(community=community, area=area, role=role)
        parsed = self._parse(update)
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlParticipantRepository)
            existing = await repo.get(actor.guild_id, actor.user_id)
            community_id = await self._community_id(uow, actor.guild_id, parsed.get("community"))
            if existing is None:
                created = await repo.add(
                    actor.guild_id,
                    actor.user_id,
                    community_id=community_id,
                    area=parsed.get("area"),
                    role=parsed.get("role"),
                    now=now,
                )
                reactivated = False
            else:
                created = False
                reactivated = not existing.active
                await self._apply(uow, actor, parsed, community_id)
                if reactivated:
                    await repo.set_active(actor.guild_id, actor.user_id, True, now=now)
            participant = await repo.get(actor.guild_id, actor.user_id)
            prompt = await self._prompt(uow, actor.guild_id, actor.user_id)
            await uow.commit()
        assert participant is not None
        log.info("A participant joined the programme in guild %s (new: %s)", actor.guild_id, created)
        return JoinResult(participant, created, reactivated, prompt)

    async def profile(self, actor: Actor) -> Participant:
        """Return the caller's profile.

        Raises:
            NotRegisteredError: when the caller has not joined.
        """
        async with self._database.unit_of_work() as uow:
            participant = await uow.repo(SqlParticipantRepository).get(actor.guild_id, actor.user_id)
        if participant is None:
            raise NotRegisteredError("see your profile")
        return participant

    async def update_profile(self, actor: Actor, update: ProfileUpdate) -> Participant:
        """Change the caller's profile: None keeps a value, "" clears it.

        Raises:
            NotRegisteredError: when the caller has not joined.
            InvalidChoiceError / TextTooLongError: for an unknown area or role, or a community name over 80 characters.
        """
        parsed = self._parse(update)
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlParticipantRepository)
            if await repo.get(actor.guild_id, actor.user_id) is None:
                raise NotRegisteredError("change your profile")
            community_id = await self._community_id(uow, actor.guild_id, parsed.get("community"))
            await self._apply(uow, actor, parsed, community_id)
            participant = await repo.get(actor.guild_id, actor.user_id)
            await uow.commit()
        assert participant is not None
        return participant

    @staticmethod
    def _parse(update: ProfileUpdate) -> _ParsedUpdate:
        """Validate an update; keys present mean "change" (value None means "clear")."""
        parsed: _ParsedUpdate = {}
        if update.community is not None:
            parsed["community"] = clean_community(update.community) or None
        if update.area is not None:
            text = update.area if isinstance(update.area, Area) else update.area.strip()
            parsed["area"] = Area.parse(text) if text else None
        if update.role is not None:
            text = update.role if isinstance(update.role, ParticipantRole) else update.role.strip()
            parsed["role"] = ParticipantRole.parse(text) if text else None
        return parsed

    async def _community_id(self, uow: UnitOfWork, guild_id: int, name: str | None) -> int | None:
        if not name:
            return None
        return await uow.repo(SqlParticipantRepository).community_id(guild_id, name, now=self._clock.now())

    async def _apply(self, uow: UnitOfWork, actor: Actor, parsed: _ParsedUpdate, community_id: int | None) -> None:
        changes: dict[str, object] = {}
        if "community" in parsed:
            changes["community_id"] = community_id
        if "area" in parsed:
            changes["area"] = parsed["area"]
        if "role" in parsed:
            changes["role"] = parsed["role"]
        if changes:
            repo = uow.repo(SqlParticipantRepository)
            await repo.update(actor.guild_id, actor.user_id, changes, now=self._clock.now())
            if "community_id" in changes:  # the old name goes once nobody names it
                await repo.delete_unused_communities(actor.guild_id)

    async def community_choices(self, guild_id: int, typed: str = "", *, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
        """Return community names for autocomplete: those starting with typed first, then containing it.

        Names already used in the server come most-used first; when nothing matches, what the person typed
        is offered (cleaned) as a new community.
        """
        wanted = community_key(typed) if typed else ""
        async with self._database.unit_of_work() as uow:
            communities = await uow.repo(SqlParticipantRepository).communities(guild_id)
        starts = [c.name for c in communities if c.name.casefold().startswith(wanted)]
        words = [
            c.name
            for c in communities
            if not c.name.casefold().startswith(wanted) and f" {wanted}" in f" {c.name.casefold()}"
        ]
        inside = [
            c.name for c in communities if wanted in c.name.casefold() and c.name not in starts and c.name not in words
        ]
        names = starts + words + inside
        if wanted and not names:  # a new community: offer it as typed (cleaned)
            try:
                cleaned = clean_community(typed)
            except TextTooLongError:
                cleaned = ""
            if cleaned:
                names.insert(0, cleaned)
        return names[:limit]

    async def communities(self, guild_id: int) -> list[Community]:
        """Return the server's communities with their active participant counts, most used first."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlParticipantRepository).communities(guild_id)

    async def mark_left(self, guild_id: int, user_id: int) -> bool:
        """Mark a participant inactive after they left the server (data stays) and turn their reminder DMs off.

        Tell whether they were an active participant. Reminder DMs stay off if they come back (/reminders dm on).
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            changed = await uow.repo(SqlParticipantRepository).set_active(guild_id, user_id, False, now=now)
            opted_out = await uow.repo(SqlReminderPreferenceRepository).opt_out(guild_id, user_id, now=now)
            await uow.commit()
        if changed:
            log.info("A participant left guild %s; marked inactive", guild_id)
        if opted_out:
            log.info("Someone who left guild %s no longer gets reminder DMs", guild_id)
        return changed

    async def mark_rejoined(self, guild_id: int, user_id: int) -> bool:
        """Mark a returning participant active again; tell whether they were inactive (False for non-participants)."""
        async with self._database.unit_of_work() as uow:
            changed = await uow.repo(SqlParticipantRepository).set_active(
                guild_id, user_id, True, now=self._clock.now()
            )
            await uow.commit()
        if changed:
            log.info("Participant %s rejoined guild %s; marked active", user_id, guild_id)
        return changed

    async def count_joined(self, guild_id: int, since: datetime | None, until: datetime) -> int:
        """Count participants who joined after since (from the start when None) and at or before until."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlParticipantRepository).count_joined(guild_id, since, until)

    async def get_participant(self, guild_id: int, user_id: int) -> Participant | None:
        """Return someone's participant record, or None."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlParticipantRepository).get(guild_id, user_id)

    async def list_participants(self, guild_id: int, *, active_only: bool = False) -> list[Participant]:
        """Return the server's participants (read-only; for exports and reports)."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlParticipantRepository).list_all(guild_id, active_only=active_only)

    # -- consent ----------------------------------------------------------------------------------------

    async def consent_text(self, guild_id: int) -> ConsentText:
        """Return the server's current consent text."""
        async with self._database.unit_of_work() as uow:
            return await current_text(uow, guild_id)

    async def consent_texts(self, guild_id: int) -> list[ConsentText]:
        """Return every stored version of the consent text, oldest first (read-only; for exports)."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlConsentRepository).texts(guild_id)

    async def set_consent_text(self, actor: Actor, text: str) -> ConsentTextChange:
        """Make text the consent text (a new version, so everyone is asked again); facilitators only.

        Raises:
            PermissionDeniedError: for non-facilitators.
            EmptyTextError / TextTooLongError: for a blank text or one over 4,000 characters.
        """
        cleaned = clean_text(text, keep_newlines=True)
        if not cleaned:
            raise EmptyTextError("consent text")
        if len(cleaned) > CONSENT_TEXT_LIMIT:
            raise TextTooLongError("consent text", len(cleaned), CONSENT_TEXT_LIMIT)
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
            require_facilitator(programme, actor, "change the consent text")
            current = await current_text(uow, actor.guild_id)
            if current.text == cleaned:
                return ConsentTextChange(current, changed=False)
            repo = uow.repo(SqlConsentRepository)
            if current.created_at is None:  # keep the default in the history: answers may refer to it
                await repo.add_text(actor.guild_id, current.version, current.text, now=now, by=None)
            version = current.version + 1
            await repo.add_text(actor.guild_id, version, cleaned, now=now, by=actor.user_id)
            await uow.repo(SqlAuditRepository).record(
                action="consent_text_set",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"version {version}",
            )
            await uow.commit()
        log.info("Consent text of guild %s is now version %s (by %s)", actor.guild_id, version, actor.user_id)
        return ConsentTextChange(ConsentText(actor.guild_id, version, cleaned, now), changed=True)

    async def consent_prompt(self, actor: Actor) -> ConsentPrompt | None:
        """Return what to ask the caller, or None when every purpose has an answer for the current text version."""
        async with self._database.unit_of_work() as uow:
            return await self._prompt(uow, actor.guild_id, actor.user_id)

    async def _prompt(self, uow: UnitOfWork, guild_id: int, user_id: int) -> ConsentPrompt | None:
        text = await current_text(uow, guild_id)
        answers = await uow.repo(SqlConsentRepository).latest(guild_id, user_id)
        state = ConsentState(guild_id, user_id, text.version, answers)
        if not state.missing:
            return None
        if not answers:
            reason = PromptReason.FIRST_TIME
        elif any(a.text_version != text.version for a in answers.values()):
            reason = PromptReason.TEXT_CHANGED
        else:
            reason = PromptReason.INCOMPLETE
        questions = tuple(
            ConsentQuestion(p, p.label, p.description, answers[p].granted if p in answers else None)
            for p in JOIN_PURPOSES
        )
        return ConsentPrompt(text, questions, reason)

    async def record_consent(
        self,
        actor: Actor,
        answers: Mapping[ConsentPurpose | str, bool],
        *,
        text_version: int,
        source: ConsentSource = ConsentSource.PROMPT,
    ) -> ConsentState:
        """Record the caller's answers to the consent text version they were shown; return the new state.

        Only answers that differ from the latest one (or were given under another text version) are
        appended. A prompt answers all three purposes; /me consent may change just one.

        Raises:
            ConsentTextChangedError: when text_version is no longer the current version (nothing is saved).
            InvalidChoiceError: for an unknown purpose. NothingToRecordError: for no answers at all.
        """
        parsed = {ConsentPurpose.parse(p): bool(v) for p, v in answers.items()}
        if not parsed:
            raise NothingToRecordError()
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlConsentRepository)
            text = await current_text(uow, actor.guild_id)
            if text_version != text.version:
                raise ConsentTextChangedError(text_version, text.version)
            if text.created_at is None:  # first answer under the default text: store the text it refers to
                await repo.add_text(actor.guild_id, text.version, text.text, now=now, by=None)
            latest = await repo.latest(actor.guild_id, actor.user_id)
            changed = {
                purpose: granted
                for purpose, granted in parsed.items()
                if purpose not in latest
                or latest[purpose].granted != granted
                or latest[purpose].text_version != text.version
            }
            await repo.append(actor.guild_id, actor.user_id, changed, text_version=text.version, source=source, now=now)
            answers_now = await repo.latest(actor.guild_id, actor.user_id)
            state = ConsentState(actor.guild_id, actor.user_id, text.version, answers_now)
            await uow.commit()
        if changed:  # the fact, not the person or their choices (logs are kept and read more widely than the DB)
            log.info("Consent answers recorded in guild %s (%d changed)", actor.guild_id, len(changed))
        return state

    async def my_consent(self, actor: Actor) -> ConsentState:
        """Return the caller's current consent (for /me consent)."""
        return await self.current_consent(actor.guild_id, actor.user_id)

    async def my_consent_history(self, actor: Actor) -> list[ConsentEvent]:
        """Return every consent answer the caller gave, oldest first."""
        return await self.consent_history(actor.guild_id, actor.user_id)

    async def current_consent(self, guild_id: int, user_id: int) -> ConsentState:
        """Return someone's current consent: the latest answer per purpose."""
        async with self._database.unit_of_work() as uow:
            text = await current_text(uow, guild_id)
            answers = await uow.repo(SqlConsentRepository).latest(guild_id, user_id)
        return ConsentState(guild_id, user_id, text.version, answers)

    async def consenting_users(
        self, guild_id: int, purpose: ConsentPurpose | str, *, current_version_only: bool = False
    ) -> set[int]:
        """Return the users whose latest answer for purpose is yes.

        A yes given under an older text version still counts until the person answers again, unless
        current_version_only is set. Someone who withdraws drops out from the moment they do.
        """
        parsed = ConsentPurpose.parse(purpose)
        async with self._database.unit_of_work() as uow:
            version = (await current_text(uow, guild_id)).version if current_version_only else None
            return await uow.repo(SqlConsentRepository).consenting(guild_id, parsed, version=version)

    async def consent_history(self, guild_id: int, user_id: int | None = None) -> list[ConsentEvent]:
        """Return the consent log of a server (or of one person), oldest first (read-only; for exports)."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlConsentRepository).history(guild_id, user_id)
