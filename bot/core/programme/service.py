"""Programme use-cases: setup, sessions (add, series, import, edit, cancel), reminders, calendars and RSVPs.

Every facilitator operation takes an Actor and checks it with require_facilitator. Each operation is
one unit of work: the session and its reminder deliveries are committed together, then the
dispatcher is woken. The platform's Scheduled Event is mirrored afterwards and never blocks the
session: when mirroring fails a facilitator notice explains it and the next edit tries again.
"""

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import DomainError, ValidationError
from bot.core.messages import FileAttachment, Text
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.membership import Membership
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import EventMirror, MemberDirectory
from bot.core.programme import ics
from bot.core.programme.deliveries import (
    cancellation_delivery,
    pending_reminder_times,
    session_dm_target,
    session_target,
    skipped_note,
    sync_reminders,
)
from bot.core.programme.domain import (
    CANCEL_REASON_LIMIT,
    DEFAULT_DURATION_MINUTES,
    DEFAULT_TIMEZONE,
    MAX_OUTCOMES,
    PROMPT_LIMIT,
    BatchResult,
    ChannelDirectory,
    Location,
    NewSession,
    Outcome,
    OutcomeChange,
    Programme,
    ProgrammeSettingsUpdate,
    RsvpStatus,
    Session,
    SessionChange,
    SessionChoice,
    SessionDraft,
    SessionEdit,
    SessionFollower,
    SessionStatus,
    SetupResult,
    UpcomingSession,
)
from bot.core.programme.errors import (
    DuplicateSessionNumberError,
    ImportFileError,
    ImportProblem,
    OutcomeError,
    ProgrammeNotSetUpError,
    SessionCancelledError,
    SessionNotFoundError,
    SessionOverError,
    SessionValidationError,
    TextTooLongError,
)
from bot.core.programme.importer import ImportOutcome, ImportRow, read_file, rows_to_drafts
from bot.core.programme.mirroring import EventMirroring
from bot.core.programme.outcomes import check_outcome_text, new_outcome_texts
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.render import DM_STOPPED_NOTE
from bot.core.programme.repository import (
    SqlOutcomeRepository,
    SqlProgrammeRepository,
    SqlReminderPreferenceRepository,
    SqlRsvpRepository,
    SqlSessionRepository,
)
from bot.core.programme.times import (
    canonical_timezone,
    parse_local_date,
    parse_series_rule,
    suggest_timezones,
)
from bot.core.programme.validation import check_draft, clip, raise_problems, resolve_location, validated_settings
from bot.core.storage.database import UnitOfWork
from bot.core.storage.state import SqlAuditRepository
from bot.core.text import clean_text

log = logging.getLogger(__name__)

MAX_SERIES = 100
# Settings that change when followers' deliveries are due (reflection card, nudge, close).
FOLLOWER_SETTINGS = frozenset(
    {"reflection_delay_minutes", "poll_close_days", "nudge_before_close_days", "groups_before_minutes"}
)


def _label(session: Session, programme: Programme | None) -> str:
    zone = programme.zone if programme is not None else None
    when = session.starts_at.astimezone(zone) if zone else session.starts_at
    suffix = f" · {when:%a %d %b %Y %H:%M}" + (" · cancelled" if session.is_cancelled else "")
    title = clean_text(session.title, keep_newlines=False)
    head = f"{session.number} · "
    room = 100 - len(head) - len(suffix)
    return head + clip(title, max(room, 10)) + suffix if room > 0 else clip(head + title, 100)


def _split_titles(titles: str | Sequence[str]) -> list[str]:
    if not isinstance(titles, str):
        return [t.strip() for t in titles]
    if not titles.strip():
        return []
    separator = "\n" if "\n" in titles else "|" if "|" in titles else ","
    return [t.strip() for t in titles.split(separator)]


class ProgrammeService:
    """The programme's use-cases; cogs call one method per command and render the result."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        dispatcher: DeliveryScheduler,
        clock: Clock,
        *,
        mirror: EventMirror | None = None,
        channels: ChannelDirectory | None = None,
        default_timezone: str = DEFAULT_TIMEZONE,
        followers: Sequence[SessionFollower] = (),
        members: MemberDirectory | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._membership = Membership(uow_factory, members)
        self._followers = list(followers)
        self._dispatcher = dispatcher
        self._clock = clock
        self._channels = channels
        self._events = EventMirroring(mirror, uow_factory, dispatcher, clock)
        self._default_timezone = canonical_timezone(default_timezone)

    # -- programme --------------------------------------------------------------------------------

    async def get_programme(self, guild_id: int) -> Programme | None:
        """Return the server's programme, or None before /programme setup."""
        async with self._uow_factory() as uow:
            return await uow.repo(SqlProgrammeRepository).get(guild_id)

    async def show(self, guild_id: int) -> Programme:
        """Return the programme for /programme show; raise ProgrammeNotSetUpError before setup."""
        programme = await self.get_programme(guild_id)
        if programme is None:
            raise ProgrammeNotSetUpError()
        return programme

    async def setup(self, actor: Actor, update: ProgrammeSettingsUpdate) -> SetupResult:
        """Create the programme or change only the settings given; changed offsets reschedule reminders.

        Raises PermissionDeniedError, UnknownTimezoneError, InvalidOffsetsError, InvalidSettingError.
        """
        now = self._clock.now()
        async with self._uow_factory() as uow:
            repo = uow.repo(SqlProgrammeRepository)
            current = await repo.get(actor.guild_id)
            require_facilitator(current, actor, "change the programme setup")
            changes = validated_settings(update, current)
            created = current is None
            if current is None:
                base = Programme(id=0, guild_id=actor.guild_id, timezone=self._default_timezone)
                programme = await repo.create(dataclasses.replace(base, **changes), now=now)
                changed = tuple(changes)
            else:
                changed = tuple(name for name, value in changes.items() if getattr(current, name) != value)
                programme = (
                    await repo.update(actor.guild_id, {n: changes[n] for n in changed}, now=now) if changed else current
                )
            notes: list[str] = []
            rescheduled = 0
            wake_at: list[datetime] = []
            if not created and "reminder_offsets" in changed:
                rescheduled, wake_at = await self._reschedule_guild(uow, programme, now)
            if not created and set(changed) & FOLLOWER_SETTINGS:
                for session in await uow.repo(SqlSessionRepository).list(
                    actor.guild_id, ending_after=now - timedelta(days=31), include_cancelled=False
                ):
                    wake_at.extend(await self._follow_saved(uow, programme, session))
            if not created and "timezone" in changed:
                count = len(await uow.repo(SqlSessionRepository).list(actor.guild_id, ending_after=now))
                if count:
                    notes.append(
                        f"The {count} upcoming session{'s' if count != 1 else ''} keep their moment in time; "
                        f"their local times now show in {programme.timezone}. Check them with /session list."
                    )
            if programme.announcements_channel_id is None:
                notes.append("No announcements channel is set yet, so reminders cannot be posted.")
            if changed:
                await uow.repo(SqlAuditRepository).record(
                    action="programme.setup",
                    now=now,
                    guild_id=actor.guild_id,
                    actor_id=actor.user_id,
                    detail=",".join(changed),
                )
            await uow.commit()
        self._wake(wake_at)
        return SetupResult(programme, created, changed, rescheduled, tuple(notes))

    def suggest_timezones(self, text: str, limit: int = 25) -> list[str]:
        """Return IANA zone names for autocomplete."""
        return suggest_timezones(text, limit)

    async def resolve_location(self, guild_id: int, value: Location | str | None) -> Location:
        """Turn a Location or free text ("https://…", "<#id>", "voice:id", "stage:id") into a Location.

        Raises InvalidLocationError (e.g. for a text channel); useful to check an option before a modal.
        """
        return await resolve_location(guild_id, value, self._channels)

    # -- sessions ---------------------------------------------------------------------------------

    async def _require_programme(self, uow: UnitOfWork, guild_id: int) -> Programme:
        programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
        if programme is None:
            raise ProgrammeNotSetUpError()
        return programme

    async def add_session(self, actor: Actor, draft: SessionDraft) -> SessionChange:
        """Add one session, schedule its reminders and mirror it as a Scheduled Event.

        Raises PermissionDeniedError, ProgrammeNotSetUpError, and for a bad draft one of
        InvalidSessionNumberError, DuplicateSessionNumberError, MissingValueError, TextTooLongError,
        InvalidDurationError, InvalidLocalTimeError, NonexistentLocalTimeError, AmbiguousLocalTimeError,
        ZoneHintMismatchError, TimeInPastError, InvalidLocationError (SessionValidationError when several).
        """
        result = await self._add_many(actor, [draft], action="add sessions", labels=None)
        session = result.sessions[0]
        async with self._uow_factory() as uow:
            reminders = tuple(await pending_reminder_times(uow, session.id))
        return SessionChange(session, reminders, result.notes)

    async def add_series(
        self,
        actor: Actor,
        *,
        rule: str,
        count: int | None = None,
        titles: str | Sequence[str] = "",
        start_number: int = 1,
        starting: str | date | None = None,
        duration_minutes: int = DEFAULT_DURATION_MINUTES,
        location: Location | str | None = None,
        description: str = "",
        speaker: str = "",
        dry_run: bool = False,
    ) -> BatchResult:
        """Add count sessions following rule ("first Thursday of each month at 18:30"), numbered from start_number.

        titles is a comma-separated list (or "|"/newline-separated when titles contain commas) with one
        title per session; without titles sessions are called "Session N", and without count there is
        one session per title. starting is the first date considered ("YYYY-MM-DD"; default today).
        All sessions are added or none. Raises InvalidSeriesRuleError, SessionValidationError
        (listing every problem by session) and the errors of add_session.
        """
        now = self._clock.now()
        await self.authorise(actor, "add sessions")  # who asks is checked before what they typed
        parsed = parse_series_rule(rule)
        names = _split_titles(titles)
        if count is None:
            count = len(names)
        if count < 1 or count > MAX_SERIES:
            raise ValidationError(f"A series has 1 to {MAX_SERIES} sessions; give count (or a list of titles).")
        if names and len(names) != count:
            raise ValidationError(
                f"You gave {len(names)} title{'s' if len(names) != 1 else ''} for {count} sessions; "
                "give one title per session (separated by commas)."
            )
        programme = await self._programme_for(actor)
        zone = programme.zone
        today = now.astimezone(zone).date()
        first = parse_local_date(starting) if isinstance(starting, str) else starting or today
        dates = parsed.dates(first, count)
        if starting is None and datetime.combine(dates[0], parsed.at) <= now.astimezone(zone).replace(tzinfo=None):
            dates = parsed.dates(today + timedelta(days=1), count)
        drafts = [
            SessionDraft(
                number=start_number + i,
                title=names[i] if names else f"Session {start_number + i}",
                starts=datetime.combine(day, parsed.at),  # a wall time, localised (DST-safe) per session
                duration_minutes=duration_minutes,
                location=location,
                description=description,
                speaker=speaker,
            )
            for i, day in enumerate(dates)
        ]
        labels = [f"Session {d.number} ({day:%a %d %b %Y})" for d, day in zip(drafts, dates, strict=True)]
        return await self._add_many(actor, drafts, action="add sessions", labels=labels, dry_run=dry_run)

    async def import_sessions(
        self, actor: Actor, data: bytes, filename: str | None = None, *, dry_run: bool = False
    ) -> BatchResult:
        """Import sessions from a CSV or YAML file (≤ 256 KiB, ≤ 100 rows): all rows or none.

        Columns: number, title (or theme), start ("YYYY-MM-DD HH:MM" local), duration (minutes, default
        90), location, description, speaker. Raises ImportFileError whose problems list every problem
        with its line number; with dry_run=True checks everything and stores nothing.
        """
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, "import sessions")
        rows, outcomes, problems = read_file(data, filename)
        drafts, more = rows_to_drafts(rows)
        problems.extend(more)
        return await self._add_many(
            actor,
            [draft for _, draft in drafts],
            action="import sessions",
            labels=[row for row, _ in drafts],
            dry_run=dry_run,
            file_problems=problems,
            outcomes=outcomes,
        )

    async def _programme_for(self, actor: Actor) -> Programme:
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
        require_facilitator(programme, actor, "add sessions")
        return programme

    async def _add_many(
        self,
        actor: Actor,
        drafts: Sequence[SessionDraft],
        *,
        action: str,
        labels: Sequence[str] | Sequence[ImportRow] | None,
        dry_run: bool = False,
        file_problems: list[ImportProblem] | None = None,
        outcomes: Sequence[ImportOutcome] = (),
    ) -> BatchResult:
        """Validate every draft, then store all of them with their reminders in one unit of work (or none)."""
        now = self._clock.now()
        importing = file_problems is not None
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, action)
            repo = uow.repo(SqlSessionRepository)
            taken = await repo.numbers(actor.guild_id)
            seen: dict[int, int] = {}
            new_sessions: list[NewSession] = []
            problems: list[DomainError] = []
            issues: list[ImportProblem] = list(file_problems or [])
            for index, draft in enumerate(drafts):
                label = labels[index] if labels is not None else None
                line = label.line if isinstance(label, ImportRow) else 0  # labels are the file's rows when importing
                new, errors = await check_draft(programme, draft, now=now, taken=taken, channels=self._channels)
                if draft.number in seen and not any(isinstance(e, DuplicateSessionNumberError) for e in errors):
                    also = f" (also on line {seen[draft.number]})" if importing else ""
                    errors.append(ValidationError(f"session number {draft.number} is used twice{also}"))
                seen.setdefault(draft.number, line)
                if importing:
                    issues.extend(ImportProblem(line, str(e)) for e in errors)
                elif label is not None:
                    problems.extend(ValidationError(f"{label}: {e}") for e in errors)
                else:
                    problems.extend(errors)
                if new is not None:
                    new_sessions.append(new)
            outcome_repo = uow.repo(SqlOutcomeRepository)
            new_outcomes = new_outcome_texts(await outcome_repo.list(actor.guild_id), outcomes, issues)
            if issues:
                raise ImportFileError(sorted(issues, key=lambda p: p.line))
            if labels is not None and problems:
                raise SessionValidationError([str(p) for p in problems], headline="No sessions were added:")
            raise_problems(problems)
            outcome_note = f" and {len(new_outcomes)} learning outcomes" if new_outcomes else ""
            if dry_run:
                return BatchResult(
                    (), (f"{len(new_sessions)} sessions{outcome_note} are ready to add; nothing was stored.",), True
                )
            sessions: list[Session] = []
            notes: list[str] = [f"Added {len(new_outcomes)} learning outcomes."] if new_outcomes else []
            for outcome_text in new_outcomes:
                await outcome_repo.add(actor.guild_id, outcome_text, now=now)
            wake_at: list[datetime] = []
            try:
                for adding in new_sessions:
                    sessions.append(await repo.add(adding, now=now))
            except IntegrityError as error:  # someone added the same number meanwhile
                raise DuplicateSessionNumberError(adding.number) from error
            for session in sessions:
                times, skipped = await sync_reminders(uow, self._dispatcher, programme, session, now)
                wake_at.extend(times)
                wake_at.extend(await self._follow_saved(uow, programme, session))
                if skipped:
                    notes.append(skipped_note(session, skipped))
            if programme.announcements_channel_id is None and programme.reminder_offsets:
                notes.append(
                    "No announcements channel is set, so reminders will not be posted; "
                    "set one with /programme setup announcements."
                )
            await uow.repo(SqlAuditRepository).record(
                action="session.add",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=",".join(str(s.number) for s in sessions),
            )
            await uow.commit()
        self._wake(wake_at)
        mirrored: list[Session] = []
        for session in sessions:
            session, mirror_notes = await self._events.sync(session)
            mirrored.append(session)
            notes.extend(mirror_notes)
        return BatchResult(tuple(mirrored), tuple(notes))

    async def edit_session(self, actor: Actor, session_id: int, changes: SessionEdit) -> SessionChange:
        """Change a session; a new start moves its pending reminders (old ones cancelled, past ones skipped).

        Every edit bumps the session's SEQUENCE and updates (or, after an earlier failure, creates) its
        Scheduled Event. Raises SessionNotFoundError, ValidationError (nothing to change) and the errors
        of add_session.
        """
        now = self._clock.now()
        await self.authorise(actor, "edit sessions")  # who asks is checked before what they typed
        if changes.is_empty:
            raise ValidationError("Nothing to change: give at least one option to edit.")
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, "edit sessions")
            repo = uow.repo(SqlSessionRepository)
            current = await self._session_in(uow, actor.guild_id, session_id)
            taken = {n: s for n, s in (await repo.numbers(actor.guild_id)).items() if s.id != current.id}
            draft = SessionDraft(
                number=changes.number if changes.number is not None else current.number,
                title=changes.title if changes.title is not None else current.title,
                starts=changes.starts if changes.starts is not None else current.starts_at,
                duration_minutes=(
                    changes.duration_minutes if changes.duration_minutes is not None else current.duration_minutes
                ),
                location=changes.location if changes.location is not None else current.location,
                description=changes.description if changes.description is not None else current.description,
                speaker=changes.speaker if changes.speaker is not None else current.speaker,
            )
            new, problems = await check_draft(
                programme, draft, now=now, taken=taken, channels=self._channels, check_past=changes.starts is not None
            )
            raise_problems(problems)
            assert new is not None
            diff = {
                name: getattr(new, name)
                for name in ("number", "title", "description", "speaker", "starts_at", "duration_minutes", "location")
                if getattr(new, name) != getattr(current, name)
            }
            if changes.prompt is not None:
                prompt = clean_text(changes.prompt) or None
                if prompt is not None and len(prompt) > PROMPT_LIMIT:
                    raise TextTooLongError("prompt", len(prompt), PROMPT_LIMIT)
                if prompt != current.prompt:
                    diff["prompt"] = prompt
            if not diff:
                reminders = tuple(await pending_reminder_times(uow, session_id))
                return SessionChange(current, reminders, ("Nothing changed: those are already the session's details.",))
            try:
                session = await repo.update(session_id, diff, now=now)
            except IntegrityError as error:
                raise DuplicateSessionNumberError(new.number) from error
            notes: list[str] = []
            wake_at: list[datetime] = []
            if "starts_at" in diff and not session.is_cancelled:
                wake_at, skipped = await sync_reminders(uow, self._dispatcher, programme, session, now)
                if skipped:
                    notes.append(skipped_note(session, skipped))
            if not session.is_cancelled:
                wake_at = [*wake_at, *await self._follow_saved(uow, programme, session)]
            await uow.repo(SqlAuditRepository).record(
                action="session.edit",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=f"{session.number}:{','.join(diff)}",
            )
            reminders = tuple(await pending_reminder_times(uow, session_id))
            await uow.commit()
        self._wake(wake_at)
        if not session.is_cancelled and session.ends_at > now:
            session, mirror_notes = await self._events.sync(session)
            notes.extend(mirror_notes)
        return SessionChange(session, reminders, tuple(notes))

    async def cancel_session(self, actor: Actor, session_id: int, reason: str = "") -> SessionChange:
        """Cancel a session: cancel its reminders, announce it, cancel its Scheduled Event.

        The announcement is a session_cancelled delivery (idempotent). Raises SessionNotFoundError,
        SessionCancelledError (already cancelled), SessionOverError (already ended), TextTooLongError.
        """
        now = self._clock.now()
        reason = clean_text(reason or "")
        if len(reason) > CANCEL_REASON_LIMIT:
            raise TextTooLongError("reason", len(reason), CANCEL_REASON_LIMIT)
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, "cancel sessions")
            current = await self._session_in(uow, actor.guild_id, session_id)
            if current.is_cancelled:
                raise SessionCancelledError(current.number, "cancel it again")
            if current.ends_at <= now:
                raise SessionOverError(current.number, "cancel it")
            session = await uow.repo(SqlSessionRepository).update(
                session_id, {"status": SessionStatus.CANCELLED, "cancel_reason": reason or None}, now=now
            )
            deliveries = uow.repo(SqlDeliveryRepository)
            await deliveries.cancel_target(session_target(session_id), now=now)
            await deliveries.cancel_target(session_dm_target(session_id), now=now)
            notes: list[str] = []
            wake_at: list[datetime] = []
            for follower in self._followers:
                due = await follower.session_cancelled(uow, programme, session)
                if due is not None:
                    wake_at.append(due)
            if programme.announcements_channel_id is not None:
                await self._dispatcher.schedule(uow, cancellation_delivery(session, now=now))
                wake_at.append(now)
            else:
                notes.append(
                    "No announcements channel is set, so the cancellation was not announced; "
                    "set one with /programme setup announcements."
                )
            await uow.repo(SqlAuditRepository).record(
                action="session.cancel",
                now=now,
                guild_id=actor.guild_id,
                actor_id=actor.user_id,
                detail=str(session.number),
            )
            await uow.commit()
        self._wake(wake_at)
        session, mirror_notes = await self._events.sync(session, cancel=True)
        notes.extend(mirror_notes)
        return SessionChange(session, (), tuple(notes))

    async def _session_in(self, uow: UnitOfWork, guild_id: int | None, session_id: int) -> Session:
        session = await uow.repo(SqlSessionRepository).get(session_id)
        if session is None or (guild_id is not None and session.guild_id != guild_id):
            raise SessionNotFoundError()
        return session

    async def get_session(self, guild_id: int | None, session_id: int) -> Session:
        """Return a session; guild_id None (a button in a DM) trusts the id alone. Raises SessionNotFoundError."""
        async with self._uow_factory() as uow:
            return await self._session_in(uow, guild_id, session_id)

    async def get_session_by_number(self, guild_id: int, number: int) -> Session:
        """Return the server's session with this number. Raises SessionNotFoundError."""
        async with self._uow_factory() as uow:
            session = await uow.repo(SqlSessionRepository).get_by_number(guild_id, number)
        if session is None:
            raise SessionNotFoundError(f"session {number}")
        return session

    async def list_sessions(self, guild_id: int, *, include_cancelled: bool = True) -> list[Session]:
        """Return every session of the programme in start order."""
        async with self._uow_factory() as uow:
            return await uow.repo(SqlSessionRepository).list(guild_id, include_cancelled=include_cancelled)

    async def list_upcoming(
        self, guild_id: int, *, limit: int = 10, include_cancelled: bool = False
    ) -> list[UpcomingSession]:
        """Return sessions that have not ended yet, soonest first, with "N of M" and RSVP counts."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            repo = uow.repo(SqlSessionRepository)
            sessions = await repo.list(guild_id, ending_after=now, include_cancelled=include_cancelled, limit=limit)
            active = await repo.count_active(guild_id)
            counts = await uow.repo(SqlRsvpRepository).counts(guild_id)
        return [UpcomingSession(s, active, counts.get(s.id, 0)) for s in sessions]

    async def mirror_missing(self, guild_id: int, *, limit: int = 25) -> int:
        """Create the Scheduled Events that upcoming sessions lack (e.g. imported from the command line).

        Sessions that start in the future, are not cancelled and have no event id are mirrored now; a
        failure leaves a facilitator notice (once per session version) as on an edit. Return how many
        events were created.
        """
        now = self._clock.now()
        async with self._uow_factory() as uow:
            sessions = await uow.repo(SqlSessionRepository).list(guild_id, starting_after=now, include_cancelled=False)
        created = 0
        for session in [s for s in sessions if s.event_id is None][:limit]:
            mirrored, _ = await self._events.sync(session)
            created += mirrored.event_id is not None
        if created:
            log.info("Created %d missing Scheduled Events in guild %s", created, guild_id)
        return created

    async def count_active(self, guild_id: int) -> int:
        """Count the sessions that are not cancelled."""
        async with self._uow_factory() as uow:
            return await uow.repo(SqlSessionRepository).count_active(guild_id)

    async def search_sessions(self, guild_id: int, text: str, limit: int = 25) -> list[SessionChoice]:
        """Return autocomplete choices matching a number or part of a title (name ≤ 100 chars, value = number)."""
        async with self._uow_factory() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            sessions = await uow.repo(SqlSessionRepository).search(guild_id, text[:100], limit=limit)
        return [SessionChoice(name=_label(s, programme), value=s.number) for s in sessions]

    # -- calendars --------------------------------------------------------------------------------

    async def calendar_ics(self, guild_id: int, *, name: str | None = None) -> FileAttachment:
        """Return an .ics file of every session (cancelled ones as STATUS:CANCELLED)."""
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, guild_id)
            sessions = await uow.repo(SqlSessionRepository).list(guild_id)
        data = ics.build_calendar(programme, sessions, now=self._clock.now(), name=name)
        return FileAttachment("programme.ics", data, "All sessions of the programme")

    async def session_ics(self, guild_id: int | None, session_id: int, user_id: int) -> FileAttachment:
        """Return an .ics file of one session for user_id (guild_id None for a button pressed in a DM).

        Raises SessionNotFoundError, and NotAMemberError when pressed in a DM by someone no longer in the server.
        """
        await self._membership.require_for_session(guild_id, session_id, user_id, "add it to your calendar")
        async with self._uow_factory() as uow:
            session = await self._session_in(uow, guild_id, session_id)
            programme = await self._require_programme(uow, session.guild_id)
        data = ics.build_calendar(programme, [session], now=self._clock.now())
        return FileAttachment(f"session-{session.number}.ics", data, f"Session {session.number}")

    # -- RSVPs and DM preferences -----------------------------------------------------------------

    async def rsvp(self, guild_id: int | None, session_id: int, user_id: int, *, going: bool = True) -> RsvpStatus:
        """Say (going=True, idempotent) or unsay that user will come; guild_id None for DM buttons.

        Raises SessionNotFoundError, NotAMemberError (a DM button pressed by someone no longer in the
        server), and for going=True SessionCancelledError or SessionOverError.
        """
        await self._membership.require_for_session(guild_id, session_id, user_id, "say you'll be there")
        now = self._clock.now()
        async with self._uow_factory() as uow:
            session = await self._session_in(uow, guild_id, session_id)
            if going and session.is_cancelled:
                raise SessionCancelledError(session.number, "say you'll be there")
            if going and session.ends_at <= now:
                raise SessionOverError(session.number, "say you'll be there")
            repo = uow.repo(SqlRsvpRepository)
            changed = await repo.set(session.guild_id, session_id, user_id, going, now=now)
            count = await repo.count(session_id)
            await uow.commit()
        return RsvpStatus(session_id, going, count, changed)

    async def toggle_rsvp(self, guild_id: int | None, session_id: int, user_id: int) -> RsvpStatus:
        """Flip user's RSVP (the "I'll be there" button pressed again withdraws it)."""
        async with self._uow_factory() as uow:
            going = await uow.repo(SqlRsvpRepository).is_going(session_id, user_id)
        return await self.rsvp(guild_id, session_id, user_id, going=not going)

    async def rsvp_count(self, session_id: int) -> int:
        """Count who said they will come to a session."""
        async with self._uow_factory() as uow:
            return await uow.repo(SqlRsvpRepository).count(session_id)

    async def list_rsvps(self, actor: Actor, session_id: int) -> list[int]:
        """Return who said they will come (user ids; facilitators only)."""
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, "see who said they will come")
            await self._session_in(uow, actor.guild_id, session_id)
            return await uow.repo(SqlRsvpRepository).users(session_id)

    async def set_dm_reminders(self, guild_id: int, user_id: int, enabled: bool) -> bool:
        """Turn reminder DMs on or off for someone; return whether the setting changed.

        Only active participants may turn them on (raises NotRegisteredError, which suggests /join);
        anyone may turn them off. Turning them on forgets earlier refused DMs.
        """
        async with self._uow_factory() as uow:
            if enabled:
                participant = await uow.repo(SqlParticipantRepository).get(guild_id, user_id)
                if participant is None or not participant.active:
                    raise NotRegisteredError("get session reminders by direct message")
            changed = await uow.repo(SqlReminderPreferenceRepository).set_dm(
                guild_id, user_id, enabled, now=self._clock.now()
            )
            await uow.commit()
        return changed

    async def take_dm_stopped_note(self, guild_id: int, user_id: int) -> Text | None:
        """Return, once, the note telling someone that Blether turned their reminder DMs off (refused twice).

        None when there is nothing to tell; a cheap read when nothing is pending (called after every command).
        """
        async with self._uow_factory() as uow:
            repo = uow.repo(SqlReminderPreferenceRepository)
            preference = await repo.get(guild_id, user_id)
            if preference is None or not preference.stopped_notice_pending:
                return None
            taken = await repo.take_stopped_notice(guild_id, user_id)
            await uow.commit()
        return DM_STOPPED_NOTE if taken else None

    async def dm_reminders_enabled(self, guild_id: int, user_id: int) -> bool:
        """Tell whether someone opted in to reminder DMs."""
        async with self._uow_factory() as uow:
            return await uow.repo(SqlReminderPreferenceRepository).dm_enabled(guild_id, user_id)

    # -- reminders --------------------------------------------------------------------------------

    async def _reschedule_guild(
        self, uow: UnitOfWork, programme: Programme, now: datetime
    ) -> tuple[int, list[datetime]]:
        sessions = await uow.repo(SqlSessionRepository).list(
            programme.guild_id, starting_after=now, include_cancelled=False
        )
        wake_at: list[datetime] = []
        for session in sessions:
            times, _ = await sync_reminders(uow, self._dispatcher, programme, session, now)
            wake_at.extend(times)
        return len(sessions), wake_at

    # -- learning outcomes ------------------------------------------------------------------------

    async def change_outcomes(self, actor: Actor, action: str, *, number: int = 0, text: str = "") -> OutcomeChange:
        """Add, edit or remove a learning outcome (facilitators), or list them; at most eight, 150 characters each."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            programme = await self._require_programme(uow, actor.guild_id)
            require_facilitator(programme, actor, f"{action} learning outcomes")
            repo = uow.repo(SqlOutcomeRepository)
            current = await repo.list(actor.guild_id)
            touched: Outcome | None = None
            if action == "add":
                if len(current) >= MAX_OUTCOMES:
                    raise OutcomeError(
                        f"The programme already has {MAX_OUTCOMES} learning outcomes, the most it can have."
                    )
                touched = await repo.add(actor.guild_id, check_outcome_text(text, current), now=now)
            elif action == "edit":
                others = [o for o in current if o.number != number]
                touched = await repo.edit(actor.guild_id, number, check_outcome_text(text, others), now=now)
            elif action == "remove":
                touched = await repo.remove(actor.guild_id, number, now=now)
            elif action != "list":
                raise ValueError(action)
            if action in ("edit", "remove") and touched is None:
                raise OutcomeError(
                    f"There is no learning outcome {number}; the programme has {len(current)}."
                    + (" See them with /programme outcomes list." if current else "")
                )
            if touched is not None:
                await uow.repo(SqlAuditRepository).record(
                    action=f"outcome.{action}",
                    now=now,
                    guild_id=actor.guild_id,
                    actor_id=actor.user_id,
                    detail=f"{touched.number}",
                )
                await uow.commit()
            outcomes = await repo.list(actor.guild_id)
        return OutcomeChange(action, touched, tuple(outcomes))

    async def authorise(self, actor: Actor, action: str) -> None:
        """Refuse non-facilitators before any input is validated (so they learn nothing from the errors)."""
        async with self._uow_factory() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
        require_facilitator(programme, actor, action)

    async def _follow_saved(self, uow: UnitOfWork, programme: Programme, session: Session) -> list[datetime]:
        """Let every follower (e.g. reflection polls) re-plan itself for a saved session."""
        times: list[datetime] = []
        for follower in self._followers:
            due = await follower.session_saved(uow, programme, session)
            if due is not None:
                times.append(due)
        return times

    def _wake(self, times: Sequence[datetime]) -> None:
        if times:
            self._dispatcher.wake(min(times))
