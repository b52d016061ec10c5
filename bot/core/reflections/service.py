"""Reflection use-cases: forms and answers, opening and closing polls, results, recaps and question sets."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.ports import DeliveryScheduler
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.ports import Sender, SendError
from bot.core.programme.domain import DEFAULT_POLL_CLOSE_DAYS, Programme, Session
from bot.core.programme.errors import SessionCancelledError
from bot.core.programme.permissions import require_facilitator
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.reflections import render
from bot.core.reflections.attendance import load_session, settle_voice
from bot.core.reflections.deliveries import (
    REFLECTION_CARD,
    REFLECTION_CLOSE,
    REFLECTION_NUDGE,
    REFLECTION_NUDGE_DM,
    card_delivery,
    close_delivery,
)
from bot.core.reflections.domain import (
    RECAP_MIN_RATINGS,
    Poll,
    PollPlan,
    PollResults,
    PollStatus,
    ReflectionForm,
    ResponseRecord,
    SavedReflection,
    SessionRecap,
    SubmittedValue,
)
from bot.core.reflections.eligibility import reflection_refusal, virtual_poll
from bot.core.reflections.errors import (
    DuplicateQuestionSetError,
    PollAlreadyClosedError,
    PollAlreadyOpenError,
    QuestionSetError,
    QuestionSetInUseError,
    QuestionSetNotFoundError,
)
from bot.core.reflections.forms import build_form
from bot.core.reflections.questions import (
    BUILTIN_SETS,
    Question,
    QuestionSet,
    builtin_by_name,
    parse_question,
    set_name_key,
    validate_questions,
    validate_set_name,
)
from bot.core.reflections.repository import SqlReflectionRepository
from bot.core.reflections.resolve import poll_questions, resolve_set
from bot.core.reflections.scheduling import PollScheduler
from bot.core.reflections.scheduling import poll_times as _poll_times
from bot.core.reflections.submissions import SubmissionWriter
from bot.core.reflections.tally import tally, tally_with_authors
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository

log = logging.getLogger(__name__)


class ReflectionService:
    """Everything people and facilitators do with reflection polls. Posting happens through deliveries
    (see bot.core.reflections.scheduling and .deliveries); sender is used only to re-enable a reopened card."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        sender: Sender | None = None,
        dispatcher: DeliveryScheduler | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._sender = sender
        self.scheduler = PollScheduler(clock, dispatcher)
        self._writer = SubmissionWriter(database, clock, self.scheduler)

    # -- helpers -----------------------------------------------------------------------------------------

    async def authorise(self, actor: Actor, action: str) -> None:
        """Refuse non-facilitators before any input is validated."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, action)

    async def _facilitator(self, uow: UnitOfWork, actor: Actor, action: str) -> Programme | None:
        programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
        require_facilitator(programme, actor, action)
        return programme

    async def _poll_view(self, uow: UnitOfWork, session: Session) -> tuple[Programme | None, Poll]:
        programme = await uow.repo(SqlProgrammeRepository).get(session.guild_id)
        poll = await uow.repo(SqlReflectionRepository).poll(session.id)
        return programme, poll if poll is not None else virtual_poll(programme, session)

    async def _stored_poll(
        self, uow: UnitOfWork, session: Session, programme: Programme | None
    ) -> tuple[Poll, PollPlan]:
        """Return the session's stored poll, planning it (and its deliveries) first if it has none."""
        poll = await uow.repo(SqlReflectionRepository).poll(session.id)
        if poll is not None:
            return poll, PollPlan(poll)
        plan = await self.scheduler.schedule_poll(uow, session, programme)
        assert plan.poll is not None
        return plan.poll, plan

    async def _participant_context(
        self, uow: UnitOfWork, actor: Actor, session_id: int
    ) -> tuple[Session, Programme | None, Poll]:
        """Load what a participant action needs and refuse it when the poll cannot take their answers now."""
        session = await load_session(uow, actor.guild_id, session_id, from_dm=True)
        registered = await uow.repo(SqlParticipantRepository).get(session.guild_id, actor.user_id) is not None
        programme, poll = await self._poll_view(uow, session)
        refusal = reflection_refusal(session, poll, self._clock.now(), registered=registered)
        if refusal is not None:
            raise refusal
        return session, programme, poll

    # -- the form and answers ------------------------------------------------------------------------------

    async def reflection_form(self, actor: Actor, session_id: int) -> ReflectionForm:
        """Return the reflection modal of a session, pre-filled with the caller's earlier answers.

        Raises:
            NotRegisteredError, SessionNotFoundError, SessionCancelledError, PollClosedError, PollNotOpenError.
        """
        async with self._database.unit_of_work() as uow:
            session, _, poll = await self._participant_context(uow, actor, session_id)
            questions = await poll_questions(uow, poll)
            previous = (
                await uow.repo(SqlReflectionRepository).response_answers(poll.id, actor.user_id) if poll.id else None
            )
        return build_form(session, poll, questions, previous)

    async def submit_reflection(
        self, actor: Actor, session_id: int, answers: Mapping[str, SubmittedValue]
    ) -> SavedReflection:
        """Save the caller's reflection on a session (one per person; a later submit replaces it until close).

        answers maps field ids ("q1" …) to the modal's values. Text is cleaned of control characters,
        trimmed and cut to its limit (≤ 1,000 characters); the quote checkbox sets quote permission for
        this response. Returns what was saved. Submits arriving together are committed together
        (see bot.core.reflections.submissions); each caller gets its own result or error.

        Raises:
            NotRegisteredError: the caller has not joined (suggests /join).
            PollClosedError: the poll closed (nothing saved). PollNotOpenError: the session has not started.
            TamperedAnswersError: unknown fields, ratings outside 1–5, choices not offered (logged; nothing saved).
            MissingAnswerError: a required answer is empty. SessionNotFoundError, SessionCancelledError.
        """
        return await self._writer.submit(actor, session_id, answers)

    # -- polls ---------------------------------------------------------------------------------------------

    async def ensure_polls(self, guild_id: int) -> int:
        """Plan (or re-plan) the polls of every session of the server that is not cancelled; idempotent.

        Use it once for sessions that existed before this feature, or after changing the reflection
        settings. Closed polls, and sessions whose poll would already be closed, are left alone.
        Returns how many polls were planned.
        """
        now = self._clock.now()
        plans: list[PollPlan] = []
        async with self._database.unit_of_work() as uow:
            programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
            repo = uow.repo(SqlReflectionRepository)
            for session in await uow.repo(SqlSessionRepository).list(guild_id, include_cancelled=False):
                poll = await repo.poll(session.id)
                if poll is not None and poll.status is PollStatus.CLOSED:
                    continue
                if poll is None and _poll_times(programme, session)[2] <= now:
                    continue  # it would already be closed: nothing to post
                plans.append(await self.scheduler.schedule_poll(uow, session, programme))
            await uow.commit()
        for plan in plans:
            self.scheduler.wake(plan)
        return len(plans)

    async def open_poll(self, actor: Actor, session_id: int) -> Poll:
        """Open a session's reflections now (facilitators only): post the card now, or reopen a closed poll.

        Reopening gives the poll a new closing time (poll_close_days from now) and enables its card again.

        Raises:
            PermissionDeniedError, SessionNotFoundError, SessionCancelledError, PollAlreadyOpenError.
        """
        now = self._clock.now()
        reopened = False
        async with self._database.unit_of_work() as uow:
            programme = await self._facilitator(uow, actor, "open reflections")
            session = await load_session(uow, actor.guild_id, session_id)
            if session.is_cancelled:
                raise SessionCancelledError(session.number, "open its reflections")
            repo = uow.repo(SqlReflectionRepository)
            poll, plan = await self._stored_poll(uow, session, programme)
            if poll.status is PollStatus.CANCELLED:
                plan = await self.scheduler.schedule_poll(uow, session, programme)
                assert plan.poll is not None
                poll = plan.poll
            due = list(plan.due)
            if not poll.is_closed(now):
                if poll.status is PollStatus.OPEN:
                    raise PollAlreadyOpenError(session.number, poll.closes_at)
                # The card has not gone out yet: send it now; the nudge and closing stay as planned.
                await repo.update_poll(poll.id, {"opens_at": min(poll.opens_at, now)}, now=now)
                poll = await self._reload(uow, session.id)
                card = card_delivery(poll, due_at=now)
                await self.scheduler.replace_delivery(uow, session.id, REFLECTION_CARD, card)
                due.append(now)
            else:
                close_days = programme.poll_close_days if programme else DEFAULT_POLL_CLOSE_DAYS
                reopened = poll.card_message_id is not None
                changes = {
                    "status": PollStatus.OPEN if reopened else PollStatus.SCHEDULED,
                    "closes_at": now + timedelta(days=max(1, close_days)),
                    "closed_at": None,
                    "nudge_at": None,
                    "opens_at": min(poll.opens_at, now),
                }
                await repo.update_poll(poll.id, changes, now=now)
                poll = await self._reload(uow, session.id)
                await self.scheduler.cancel_deliveries(uow, session.id, (REFLECTION_NUDGE, REFLECTION_NUDGE_DM))
                if not reopened:
                    card = card_delivery(poll, due_at=now, again_at=now)
                    await self.scheduler.replace_delivery(uow, session.id, REFLECTION_CARD, card)
                    due.append(now)
                close = close_delivery(poll)
                await self.scheduler.replace_delivery(uow, session.id, REFLECTION_CLOSE, close)
                due.append(close.due_at)
            await self._audit(uow, actor, "reflections_opened", session.id)
            await uow.commit()
        self.scheduler.wake(PollPlan(poll, tuple(due)))
        if reopened:
            await self._edit_card(poll, render.reopened_card(session, poll.closes_at))
        log.info("Reflections on session %s opened by %s (reopened: %s)", session.id, actor.user_id, reopened)
        return poll

    async def close_poll(self, actor: Actor, session_id: int) -> Poll:
        """Close a session's reflections now (facilitators only); the card is disabled and the summary posted.

        Raises:
            PermissionDeniedError, SessionNotFoundError, SessionCancelledError, PollAlreadyClosedError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await self._facilitator(uow, actor, "close reflections")
            session = await load_session(uow, actor.guild_id, session_id)
            if session.is_cancelled:
                raise SessionCancelledError(session.number, "close its reflections")
            repo = uow.repo(SqlReflectionRepository)
            poll, _ = await self._stored_poll(uow, session, programme)
            if poll.status is PollStatus.CLOSED:
                raise PollAlreadyClosedError(session.number)
            await repo.update_poll(poll.id, {"status": PollStatus.CLOSED, "closes_at": now, "closed_at": now}, now=now)
            poll = await self._reload(uow, session.id)
            await self.scheduler.cancel_deliveries(
                uow, session.id, (REFLECTION_CARD, REFLECTION_NUDGE, REFLECTION_NUDGE_DM)
            )
            await self.scheduler.replace_delivery(uow, session.id, REFLECTION_CLOSE, close_delivery(poll))
            await self._audit(uow, actor, "reflections_closed", session.id)
            await uow.commit()
        self.scheduler.wake(PollPlan(poll, (now,)))
        log.info("Reflections on session %s closed by %s", session.id, actor.user_id)
        return poll

    async def _reload(self, uow: UnitOfWork, session_id: int) -> Poll:
        poll = await uow.repo(SqlReflectionRepository).poll(session_id)
        assert poll is not None
        return poll

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, session_id: int) -> None:
        await uow.repo(SqlAuditRepository).record(
            action=action,
            now=self._clock.now(),
            guild_id=actor.guild_id,
            actor_id=actor.user_id,
            detail=f"session {session_id}",
        )

    async def _edit_card(self, poll: Poll, message: render.OutboundMessage) -> None:
        if self._sender is None or poll.card_channel_id is None or poll.card_message_id is None:
            return
        try:
            await self._sender.edit(poll.card_channel_id, poll.card_message_id, message)
        except SendError as error:
            log.warning("Could not update the reflection card of session %s: %s", poll.session_id, error.reason)

    async def poll(self, actor: Actor, session_id: int) -> Poll:
        """Return a session's poll as it is or would be (facilitators only)."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see reflection polls")
            session = await load_session(uow, actor.guild_id, session_id)
            return (await self._poll_view(uow, session))[1]

    # -- results ---------------------------------------------------------------------------------------------

    async def results(self, actor: Actor, session_id: int) -> PollResults:
        """Return a session's results so far (facilitators only): counts, rate, ratings, consented quotes.

        Raises:
            PermissionDeniedError, SessionNotFoundError.
        """
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see reflection results")
            session = await load_session(uow, actor.guild_id, session_id)
            _, poll = await self._poll_view(uow, session)
            await settle_voice(uow, session, self._clock.now())
            results = await tally(uow, poll, session)
            await uow.commit()
        return results

    async def session_recap(self, guild_id: int, session_id: int) -> SessionRecap:
        """Return what a Flash Report may say about a session (no names; mean only from five ratings up).

        Raises:
            SessionNotFoundError: no such session in the server.
        """
        async with self._database.unit_of_work() as uow:
            session = await load_session(uow, guild_id, session_id)
            _, poll = await self._poll_view(uow, session)
            await settle_voice(uow, session, self._clock.now())
            results, authors = await tally_with_authors(uow, poll, session)
            await uow.commit()
        average = results.mean_rating if results.ratings >= RECAP_MIN_RATINGS else None
        return SessionRecap(
            session_id=session.id,
            attendance_count=results.attendance,
            reflections_count=results.responses,
            average_rating=round(average, 1) if average is not None else None,
            quotes=results.quotes,
            session_number=session.number,
            session_title=session.title,
            rating_count=results.ratings,
            quoted_user_ids=authors,
        )

    async def list_responses(self, guild_id: int, session_id: int | None = None) -> list[ResponseRecord]:
        """Return stored responses with their answers (read-only, for evaluation exports; apply consent there)."""
        async with self._database.unit_of_work() as uow:
            return await uow.repo(SqlReflectionRepository).responses(guild_id=guild_id, session_id=session_id)

    # -- question sets ----------------------------------------------------------------------------------------

    async def question_sets(self, guild_id: int) -> list[QuestionSet]:
        """Return the built-in sets followed by the server's own."""
        async with self._database.unit_of_work() as uow:
            own = await uow.repo(SqlReflectionRepository).question_sets(guild_id)
        return [*BUILTIN_SETS.values(), *own]

    async def question_set_choices(self, guild_id: int, typed: str = "", *, limit: int = 25) -> list[str]:
        """Return set names for autocomplete (those starting with typed first)."""
        wanted = set_name_key(typed) if typed else ""
        names = [s.name for s in await self.question_sets(guild_id)]
        first = [n for n in names if n.casefold().startswith(wanted)]
        rest = [n for n in names if wanted in n.casefold() and n not in first]
        return (first + rest)[:limit]

    async def _find_set(self, uow: UnitOfWork, guild_id: int, name: str) -> QuestionSet:
        builtin = builtin_by_name(name)
        if builtin is not None:
            return builtin
        found = await uow.repo(SqlReflectionRepository).question_set(guild_id, key=set_name_key(name))
        if found is None:
            own = await uow.repo(SqlReflectionRepository).question_sets(guild_id)
            raise QuestionSetNotFoundError(name, [s.name for s in (*BUILTIN_SETS.values(), *own)])
        return found

    @staticmethod
    def _questions(questions: Sequence[Question | str]) -> tuple[Question, ...]:
        """Parse the lines (numbered by position) and validate them, listing the problems of every line."""
        parsed: list[Question] = []
        problems: list[str] = []
        for number, question in enumerate(questions, start=1):
            try:
                parsed.append(question if isinstance(question, Question) else parse_question(question, number))
            except QuestionSetError as error:
                problems.extend(error.problems)
        if problems:
            raise QuestionSetError(problems)
        return validate_questions(parsed)

    async def create_question_set(
        self,
        actor: Actor,
        name: str,
        questions: Sequence[Question | str],
        *,
        session_id: int | None = None,
        default: bool = False,
    ) -> QuestionSet:
        """Create a set of one to five questions, optionally for a session and/or as the default (facilitators only).

        questions are Question values or lines such as "rating*: How useful was it?" (see parse_question).
        All or nothing: when the set cannot be used for session_id, it is not created either.

        Raises:
            PermissionDeniedError, QuestionSetError (every problem listed), DuplicateQuestionSetError,
            SessionNotFoundError, QuestionSetInUseError.
        """
        await self.authorise(actor, "create question sets")  # who asks is checked before what they typed
        cleaned_name = validate_set_name(name)
        cleaned = self._questions(questions)
        now = self._clock.now()
        plan = None
        async with self._database.unit_of_work() as uow:
            programme = await self._facilitator(uow, actor, "create question sets")
            repo = uow.repo(SqlReflectionRepository)
            created = await repo.add_question_set(
                actor.guild_id, set_name_key(cleaned_name), cleaned_name, cleaned, now=now
            )
            if created is None:
                raise DuplicateQuestionSetError(cleaned_name)
            if session_id is not None:
                plan = await self._use_for_session(uow, programme, actor.guild_id, session_id, created, now=now)
            if default:
                await repo.set_default_set(actor.guild_id, created.key, now=now)
            await uow.commit()
        if plan is not None:
            self.scheduler.wake(plan)
        return created

    async def set_default_question_set(self, actor: Actor, name: str) -> QuestionSet:
        """Make a set the programme's default for sessions without their own (facilitators only)."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "choose the default question set")
            found = await self._find_set(uow, actor.guild_id, name)
            await uow.repo(SqlReflectionRepository).set_default_set(actor.guild_id, found.key, now=self._clock.now())
            await uow.commit()
        return found

    async def assign_question_set(self, actor: Actor, session_id: int, name: str) -> QuestionSet:
        """Use a set for one session (facilitators only), until someone has answered.

        Raises:
            PermissionDeniedError, SessionNotFoundError, QuestionSetNotFoundError, QuestionSetInUseError.
        """
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            programme = await self._facilitator(uow, actor, "choose a session's questions")
            found = await self._find_set(uow, actor.guild_id, name)
            plan = await self._use_for_session(uow, programme, actor.guild_id, session_id, found, now=now)
            await uow.commit()
        self.scheduler.wake(plan)
        return found

    async def _use_for_session(
        self,
        uow: UnitOfWork,
        programme: Programme | None,
        guild_id: int,
        session_id: int,
        found: QuestionSet,
        *,
        now: datetime,
    ) -> PollPlan:
        """Point the session's poll at a set in the caller's unit of work; refuse once someone has answered."""
        session = await load_session(uow, guild_id, session_id)
        repo = uow.repo(SqlReflectionRepository)
        poll, plan = await self._stored_poll(uow, session, programme)
        if await repo.count_responses(poll.id):
            raise QuestionSetInUseError(session.number)
        await repo.update_poll(poll.id, {"question_set": found.key, "questions": None}, now=now)
        return plan

    async def session_question_set(self, guild_id: int, session_id: int) -> QuestionSet:
        """Return the set a session uses (its own, or the default)."""
        async with self._database.unit_of_work() as uow:
            session = await load_session(uow, guild_id, session_id)
            _, poll = await self._poll_view(uow, session)
            found = await resolve_set(uow, guild_id, poll.question_set)
        if poll.questions is not None and poll.questions != found.questions:
            return replace(found, questions=poll.questions)  # answered before the set was edited
        return found
