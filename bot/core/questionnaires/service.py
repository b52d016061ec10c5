"""Questionnaire use-cases: create from a template, edit items (versioned), open, close, status, and answering
page by page (each page saved on submit; resume where you left off; change answers until it closes)."""

import logging
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.actors import Actor
from bot.core.clock import Clock
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.errors import DomainError
from bot.core.messages import OutboundMessage
from bot.core.participants.domain import (
    AreaGroup,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentText,
    ParticipantRole,
)
from bot.core.participants.errors import NotRegisteredError
from bot.core.participants.repository import SqlParticipantRepository
from bot.core.programme.domain import Programme
from bot.core.programme.errors import ProgrammeNotSetUpError
from bot.core.programme.permissions import is_facilitator, require_facilitator
from bot.core.programme.repository import SqlOutcomeRepository, SqlProgrammeRepository, SqlSessionRepository
from bot.core.programme.times import parse_local_datetime
from bot.core.questionnaires import render
from bot.core.questionnaires.deliveries import DeliveryScheduler, close_delivery, open_delivery, target
from bot.core.questionnaires.domain import (
    BASELINE_LEAD,
    CHOICE_LIMIT,
    DEFAULT_OPEN_DAYS,
    DEFAULT_OPEN_DELAY,
    ITEM_TEXT_LIMIT,
    MAX_CHOICES,
    MAX_ITEMS,
    MENTOR_KEY,
    NAME_LIMIT,
    SUPPRESS_BELOW,
    Audience,
    GroupCount,
    Item,
    ItemDraft,
    ItemKind,
    PageForm,
    PageSaved,
    PageWrite,
    Questionnaire,
    QuestionnaireStatus,
    QuestionnaireView,
    Response,
    StatusReport,
)
from bot.core.questionnaires.errors import (
    ItemError,
    QuestionnaireClosedError,
    QuestionnaireExistsError,
    QuestionnaireNotFoundError,
    QuestionnaireNotOpenError,
    QuestionnaireStateError,
    StaleVersionError,
    TamperedPageError,
    WrongAudienceError,
)
from bot.core.questionnaires.pages import SubmittedValue, build_page, check_page, paginate
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.questionnaires.submissions import GroupWriter
from bot.core.questionnaires.templates import TEMPLATES, template_items
from bot.core.storage.database import Database, UnitOfWork
from bot.core.storage.state import SqlAuditRepository
from bot.core.text import clean_text

log = logging.getLogger(__name__)


def _suppress(value: int) -> int | None:
    return value if value >= SUPPRESS_BELOW else None


def _summary_label(item: Item) -> str:
    if item.kind in (ItemKind.BEFORE, ItemKind.NOW):
        return f"{item.kind.value.capitalize()}: {item.text}"
    return item.text


@dataclass(frozen=True, slots=True)
class _PageRequest:
    """One submitted page, queued for the group writer."""

    actor: Actor
    questionnaire_id: int
    version: int
    page: int
    values: dict[str, SubmittedValue]


@dataclass(slots=True)
class _PageContext:
    """What a batch of pages of one questionnaire shares, read once per batch."""

    q: Questionnaire | None
    programme: Programme | None
    all_items: list[Item]
    current: list[Item]
    pages: list[list[Item]]
    registered: set[int]
    responses: dict[int, Response]


def _value_text(item: Item, value: Any) -> str:
    if item.kind.is_rating:
        return f"{value} of 5"
    return str(value)


class ConsentRecorder(Protocol):
    """The part of ParticipantService that records a consent answer (the mentoring contact purpose)."""

    async def consent_text(self, guild_id: int) -> ConsentText: ...

    async def record_consent(
        self,
        actor: Actor,
        answers: Mapping[ConsentPurpose | str, bool],
        *,
        text_version: int,
        source: ConsentSource = ConsentSource.PROMPT,
    ) -> ConsentState: ...


class QuestionnaireService:
    """Everything facilitators and respondents do with questionnaires; posting happens through deliveries."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        dispatcher: DeliveryScheduler | None = None,
        consent: ConsentRecorder | None = None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._dispatcher = dispatcher
        self._consent = consent
        self._writer: GroupWriter[_PageRequest, PageSaved] = GroupWriter(database, self._save_pages)

    # -- helpers -----------------------------------------------------------------------------------------

    async def _facilitator(self, uow: UnitOfWork, actor: Actor, action: str) -> Programme:
        programme = await uow.repo(SqlProgrammeRepository).get(actor.guild_id)
        require_facilitator(programme, actor, action)
        if programme is None:
            raise ProgrammeNotSetUpError()
        return programme

    async def _find(self, uow: UnitOfWork, guild_id: int, name: str) -> Questionnaire:
        q = await uow.repo(SqlQuestionnaireRepository).by_name(guild_id, name.strip())
        if q is None:
            raise QuestionnaireNotFoundError(name)
        return q

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, detail: str) -> None:
        await uow.repo(SqlAuditRepository).record(
            action=action, now=self._clock.now(), guild_id=actor.guild_id, actor_id=actor.user_id, detail=detail
        )

    async def _schedule(self, uow: UnitOfWork, *deliveries: Any) -> None:
        if self._dispatcher is None:
            return
        for delivery in deliveries:
            await self._dispatcher.schedule(uow, delivery)

    def _wake(self, at: datetime | None = None) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake(at)

    async def names(self, guild_id: int) -> list[str]:
        """Return the server's questionnaire names, newest first (for autocomplete)."""
        async with self._database.unit_of_work() as uow:
            return [q.name for q in await uow.repo(SqlQuestionnaireRepository).all(guild_id)]

    # -- facilitators ------------------------------------------------------------------------------------

    async def create(
        self, actor: Actor, template: str, name: str | None = None, *, opens_at: datetime | None = None
    ) -> QuestionnaireView:
        """Create a questionnaire from a built-in template with the programme's learning outcomes.

        End-of-programme and facilitators questionnaires open 15 minutes after the last session ends by
        default, a baseline a week before the first session (when that is still ahead); otherwise they wait
        for /questionnaire open. While a baseline is open, /join offers it to newcomers (baseline_offer).
        """
        if template not in TEMPLATES:
            raise ItemError(f'"{template[:40]}" is not a template; choose one of {", ".join(TEMPLATES)}.')
        title = " ".join(clean_text(name or template, keep_newlines=False).split())
        if not title or len(title) > NAME_LIMIT:
            raise ItemError(f"A questionnaire's name is 1 to {NAME_LIMIT} characters.")
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "create questionnaires")
            repo = uow.repo(SqlQuestionnaireRepository)
            if await repo.by_name(actor.guild_id, title) is not None:
                raise QuestionnaireExistsError(title)
            outcomes = await uow.repo(SqlOutcomeRepository).list(actor.guild_id)
            audience, drafts = template_items(template, outcomes)
            notes: list[str] = []
            if opens_at is None:
                sessions = await uow.repo(SqlSessionRepository).list(actor.guild_id, include_cancelled=False)
                if template == "baseline":  # a week before the first session, still ahead
                    first = min((s.starts_at for s in sessions), default=None)
                    if first is not None and first - BASELINE_LEAD > now:
                        opens_at = first - BASELINE_LEAD
                else:
                    last_end = max((s.ends_at for s in sessions), default=None)
                    if last_end is not None and last_end + DEFAULT_OPEN_DELAY > now:
                        opens_at = last_end + DEFAULT_OPEN_DELAY
            if opens_at is not None and opens_at <= now:
                opens_at = None
            if opens_at is None:
                notes.append("It opens when you use /questionnaire open.")
            if not outcomes and template != "facilitators":
                notes.append("The programme has no learning outcomes yet, so there are no before/now items.")
            q = await repo.add(actor.guild_id, title, template, audience, opens_at=opens_at, now=now)
            if opens_at is not None:
                q = await repo.update(q.id, {"closes_at": opens_at + timedelta(days=DEFAULT_OPEN_DAYS)}, now=now)
                await self._schedule(uow, open_delivery(q, opens_at))
            items = await repo.add_items(q.id, 1, drafts)
            await self._audit(uow, actor, "questionnaire.create", f"{q.id}:{template}")
            await uow.commit()
        self._wake(opens_at)
        return QuestionnaireView(q, tuple(items), len(paginate(items)), 0, tuple(notes))

    async def view(self, actor: Actor, name: str) -> QuestionnaireView:
        """Return a questionnaire and its current items (facilitators)."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see questionnaires")
            q = await self._find(uow, actor.guild_id, name)
            repo = uow.repo(SqlQuestionnaireRepository)
            items = await repo.items(q.id, q.version)
            answered = await repo.answer_count(q.id)
        return QuestionnaireView(q, tuple(items), len(paginate(items)), answered)

    async def edit_items(
        self,
        actor: Actor,
        name: str,
        action: str,
        *,
        number: int = 0,
        kind: str | None = None,
        text: str = "",
        choices: str = "",
    ) -> QuestionnaireView:
        """Add, change or remove an item. Once anyone answered, the change makes a new version and the
        answers already given keep theirs (so nothing is invented for items added later)."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "edit questionnaires")
            q = await self._find(uow, actor.guild_id, name)
            if q.is_closed(now):
                raise QuestionnaireStateError(f'"{q.name}" is closed; its items can no longer change.')
            repo = uow.repo(SqlQuestionnaireRepository)
            items = await repo.items(q.id, q.version)
            drafts = [ItemDraft(i.key, i.kind, i.text, i.outcome_id, i.choices) for i in items]
            if action in ("change", "remove") and not 1 <= number <= len(drafts):
                raise ItemError(f"There is no item {number}; the questionnaire has {len(drafts)}.")
            if action == "remove":
                drafts.pop(number - 1)
            elif action in ("add", "change"):
                old = drafts[number - 1] if action == "change" else None
                drafts_kind = self._kind(kind, old)
                clean = " ".join(clean_text(text, keep_newlines=False).split()) or (old.text if old else "")
                if not clean or len(clean) > ITEM_TEXT_LIMIT:
                    raise ItemError(f"An item's text is 1 to {ITEM_TEXT_LIMIT} characters.")
                options = self._choices(choices, drafts_kind, old)
                if old is not None:
                    drafts[number - 1] = ItemDraft(old.key, drafts_kind, clean, old.outcome_id, options)
                else:
                    if len(drafts) >= MAX_ITEMS:
                        raise ItemError(f"A questionnaire has at most {MAX_ITEMS} items.")
                    taken = {d.key for d in drafts}
                    key = next(f"i{n}" for n in range(1, 1000) if f"i{n}" not in taken)
                    drafts.append(ItemDraft(key, drafts_kind, clean, None, options))
            else:
                raise ValueError(action)
            version = q.version
            notes: list[str] = []
            if await repo.answer_count(q.id, q.version):
                version += 1
                q = await repo.update(q.id, {"version": version}, now=now)
                new_items = await repo.add_items(q.id, version, drafts)
                notes.append(
                    f"People had answered version {version - 1}; their answers keep it. This is version {version}."
                )
            else:
                new_items = await repo.replace_items(q.id, version, drafts)
            await self._audit(uow, actor, "questionnaire.edit", f"{q.id}:{action}:{number}:v{version}")
            await uow.commit()
        return QuestionnaireView(q, tuple(new_items), len(paginate(new_items)), 0, tuple(notes))

    @staticmethod
    def _kind(kind: str | None, old: ItemDraft | None) -> ItemKind:
        if kind is None:
            if old is None:
                raise ItemError(
                    "Say what kind of item to add (agreement, choice, yes_maybe_no, short_text, long_text)."
                )
            return old.kind
        try:
            parsed = ItemKind(kind.strip().lower().replace("-", "_").replace(" ", "_"))
        except ValueError:
            raise ItemError(f'"{kind[:30]}" is not an item kind.') from None
        if parsed in (ItemKind.BEFORE, ItemKind.NOW) and (
            old is None or old.kind not in (ItemKind.BEFORE, ItemKind.NOW)
        ):
            raise ItemError("Before/now items come from the learning outcomes; add outcomes, then create anew.")
        return parsed

    @staticmethod
    def _choices(text: str, kind: ItemKind, old: ItemDraft | None) -> tuple[str, ...]:
        if kind is not ItemKind.CHOICE:
            return ()
        if not text.strip() and old is not None and old.choices:
            return old.choices
        options = tuple(dict.fromkeys(c.strip() for c in re.split(r"[|,\n]", text) if c.strip()))
        if not 2 <= len(options) <= MAX_CHOICES or any(len(c) > CHOICE_LIMIT for c in options):
            raise ItemError(
                f"A choice item needs 2 to {MAX_CHOICES} choices (each ≤ {CHOICE_LIMIT} characters), e.g. A|B|C."
            )
        return options

    async def open(
        self, actor: Actor, name: str, *, at: datetime | str | None = None, days: int | None = None
    ) -> Questionnaire:
        """Open a questionnaire now (the post goes out within a minute) or plan it for a set time.

        at is an aware time, or the text a facilitator typed ("YYYY-MM-DD HH:MM" in the programme's zone).
        """
        now = self._clock.now()
        if days is not None and not 1 <= days <= 90:
            raise ItemError("A questionnaire stays open 1 to 90 days.")
        async with self._database.unit_of_work() as uow:
            programme = await self._facilitator(uow, actor, "open questionnaires")
            if isinstance(at, str):
                at = parse_local_datetime(at, programme.zone)
            opens_at = at if at is not None and at > now else now
            q = await self._find(uow, actor.guild_id, name)
            if q.status in (QuestionnaireStatus.OPEN, QuestionnaireStatus.CLOSED):
                raise QuestionnaireStateError(f'"{q.name}" is already {q.status.value}.')
            closes_at = opens_at + timedelta(days=days or DEFAULT_OPEN_DAYS)
            repo = uow.repo(SqlQuestionnaireRepository)
            q = await repo.update(
                q.id, {"status": QuestionnaireStatus.SCHEDULED, "opens_at": opens_at, "closes_at": closes_at}, now=now
            )
            await uow.repo(SqlDeliveryRepository).cancel_target(target(q.id), now=now)
            await self._schedule(uow, open_delivery(q, opens_at))
            await self._audit(uow, actor, "questionnaire.open", f"{q.id}")
            await uow.commit()
        self._wake(opens_at)
        return q

    async def close(self, actor: Actor, name: str) -> Questionnaire:
        """Close a questionnaire now: no answers are stored after this; the summary goes to facilitators."""
        now = self._clock.now()
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "close questionnaires")
            q = await self._find(uow, actor.guild_id, name)
            if q.status is QuestionnaireStatus.CLOSED:
                raise QuestionnaireStateError(f'"{q.name}" is already closed.')
            repo = uow.repo(SqlQuestionnaireRepository)
            q = await repo.update(
                q.id, {"status": QuestionnaireStatus.CLOSED, "closed_at": now, "closes_at": now}, now=now
            )
            await uow.repo(SqlDeliveryRepository).cancel_target(target(q.id), now=now)
            await self._schedule(uow, close_delivery(q, now))
            await self._audit(uow, actor, "questionnaire.close", f"{q.id}")
            await uow.commit()
        self._wake(now)
        return q

    async def status(self, actor: Actor, name: str) -> StatusReport:
        """Return started and finished counts overall and by area group and role (under five suppressed)."""
        async with self._database.unit_of_work() as uow:
            await self._facilitator(uow, actor, "see questionnaire status")
            q = await self._find(uow, actor.guild_id, name)
            repo = uow.repo(SqlQuestionnaireRepository)
            items = await repo.items(q.id, q.version)
            responses = await repo.responses(q.id)
            people = {p.user_id: p for p in await uow.repo(SqlParticipantRepository).list_all(actor.guild_id)}
        audience = sum(1 for p in people.values() if p.active) if q.audience is Audience.PARTICIPANT else 0
        area_started: Counter[str] = Counter()
        area_finished: Counter[str] = Counter()
        role_started: Counter[str] = Counter()
        role_finished: Counter[str] = Counter()
        for r in responses:
            person = people.get(r.user_id)
            area = person.area_group.label if person else AreaGroup.NOT_SAID.label
            role = person.role.label if person and person.role else "Not said"
            area_started[area] += 1
            role_started[role] += 1
            if r.finished_at is not None:
                area_finished[area] += 1
                role_finished[role] += 1
        by_area = tuple(
            GroupCount(g.label, _suppress(area_started[g.label]), _suppress(area_finished[g.label])) for g in AreaGroup
        )
        roles = [r.label for r in ParticipantRole] + ["Not said"]
        by_role = tuple(GroupCount(r, _suppress(role_started[r]), _suppress(role_finished[r])) for r in roles)
        return StatusReport(
            questionnaire=q,
            items=len(items),
            pages=len(paginate(items)),
            audience=audience,
            started=len(responses),
            finished=sum(1 for r in responses if r.finished_at is not None),
            by_area=by_area,
            by_role=by_role,
        )

    # -- respondents -------------------------------------------------------------------------------------

    async def _respondent(self, uow: UnitOfWork, actor: Actor, questionnaire_id: int) -> Questionnaire:
        """Load a questionnaire someone may answer now, or raise why not (nothing is stored on any error)."""
        q = await uow.repo(SqlQuestionnaireRepository).get(questionnaire_id)
        programme = await uow.repo(SqlProgrammeRepository).get(q.guild_id) if q is not None else None
        registered = False
        if q is not None and q.audience is Audience.PARTICIPANT:
            registered = await uow.repo(SqlParticipantRepository).get(q.guild_id, actor.user_id) is not None
        return self._may_answer(q, programme, actor, registered=registered)

    def _may_answer(
        self, q: Questionnaire | None, programme: Programme | None, actor: Actor, *, registered: bool
    ) -> Questionnaire:
        """Return q when actor may answer it now, or raise why not."""
        if q is None or (actor.guild_id not in (0, q.guild_id)):
            raise QuestionnaireNotFoundError()
        if q.is_closed(self._clock.now()):
            raise QuestionnaireClosedError(q.name, q.closed_at or q.closes_at)
        if q.status is not QuestionnaireStatus.OPEN:
            raise QuestionnaireNotOpenError(q.name, q.opens_at)
        in_server = actor.guild_id == q.guild_id
        if q.audience is Audience.FACILITATOR:
            if not in_server or not is_facilitator(programme, actor):
                raise WrongAudienceError(q.audience.value)
            return q
        if not registered:
            raise NotRegisteredError("answer the questionnaire")
        if (
            in_server
            and programme is not None
            and programme.facilitator_role_id in actor.role_ids
            and programme.participant_role_id not in actor.role_ids
        ):
            raise WrongAudienceError(q.audience.value)
        return q

    async def _previous(self, uow: UnitOfWork, q: Questionnaire, user_id: int) -> dict[str, Any]:
        answers = await uow.repo(SqlQuestionnaireRepository).answers(q.id, user_id)
        return {a.item_key: a.value for a in answers}  # later versions override earlier ones

    async def start(self, actor: Actor, questionnaire_id: int) -> PageForm:
        """Return the page to open on "Start": where the person left off (page 1 when new or finished)."""
        async with self._database.unit_of_work() as uow:
            q = await self._respondent(uow, actor, questionnaire_id)
            repo = uow.repo(SqlQuestionnaireRepository)
            pages = paginate(await repo.items(q.id, q.version))
            response = await repo.response(q.id, actor.user_id)
            previous = await self._previous(uow, q, actor.user_id)
        if not pages:
            raise QuestionnaireNotOpenError(q.name, None)
        page = 1
        if response is not None and response.finished_at is None:
            page = min(response.last_page + 1, len(pages))
        return build_page(q.id, q.name, q.version, pages, page, previous)

    async def page(self, actor: Actor, questionnaire_id: int, page: int) -> PageForm:
        """Return one page (from "Continue"); a page number outside the questionnaire is refused and logged."""
        async with self._database.unit_of_work() as uow:
            q = await self._respondent(uow, actor, questionnaire_id)
            pages = paginate(await uow.repo(SqlQuestionnaireRepository).items(q.id, q.version))
            previous = await self._previous(uow, q, actor.user_id)
        if not 1 <= page <= len(pages):
            log.warning("Refused questionnaire %s page %s (of %s) from user %s", q.id, page, len(pages), actor.user_id)
            raise TamperedPageError([f"page {page} of {len(pages)}"])
        return build_page(q.id, q.name, q.version, pages, page, previous)

    async def submit_page(
        self, actor: Actor, questionnaire_id: int, version: int, page: int, values: Mapping[str, SubmittedValue]
    ) -> PageSaved:
        """Save one page of answers; return where to go next (or, after the last page, the summary).

        Pages submitted together are committed together (bot.core.questionnaires.submissions); each caller
        gets its own result or error, and a refused page stores nothing.

        Raises:
            QuestionnaireClosedError (nothing stored), NotRegisteredError (offers /join), WrongAudienceError,
            TamperedPageError (page outside the questionnaire, unknown fields, values out of range; logged),
            StaleVersionError (the items changed since the page was opened).
        """
        return await self._writer.submit(_PageRequest(actor, questionnaire_id, version, page, dict(values)))

    async def _save_pages(self, uow: UnitOfWork, requests: list["_PageRequest"]) -> list[PageSaved | BaseException]:
        """Check every page of a batch, then store the good ones together; what they share is read once.

        A refused page (closed, not registered, tampered, stale) stores nothing; the others are unaffected.
        """
        contexts: dict[int, _PageContext] = {}
        results: list[PageSaved | BaseException | None] = []
        accepted: dict[int, list[tuple[int, PageWrite]]] = {}
        for index, request in enumerate(requests):
            try:
                context = contexts.get(request.questionnaire_id)
                if context is None:
                    users = [r.actor.user_id for r in requests if r.questionnaire_id == request.questionnaire_id]
                    context = contexts[request.questionnaire_id] = await self._page_context(
                        uow, request.questionnaire_id, users
                    )
                accepted.setdefault(request.questionnaire_id, []).append((index, self._check_page(context, request)))
                results.append(None)
            except DomainError as error:
                results.append(error)
        now = self._clock.now()
        for questionnaire_id, writes in accepted.items():
            context = contexts[questionnaire_id]
            assert context.q is not None
            q = context.q
            repo = uow.repo(SqlQuestionnaireRepository)
            await repo.save_pages(q, [w for _, w in writes], context.responses, now=now)
            last = len(context.pages)
            finishing = {w.user_id for _, w in writes if w.page == last}
            previous = await repo.answers_of(q.id, finishing)
            by_key = {i.key: i for i in context.current}
            for index, write in writes:
                summary: tuple[tuple[str, str], ...] = ()
                mentor = False
                if write.page == last:
                    mine = {a.item_key: a.value for a in previous[write.user_id]}
                    summary = tuple(
                        (_summary_label(by_key[k]), _value_text(by_key[k], v)) for k, v in mine.items() if k in by_key
                    )
                    mentor = mine.get(MENTOR_KEY) in ("yes", "maybe")
                next_page = None if write.page == last else write.page + 1
                results[index] = PageSaved(q.id, q.name, write.page, last, next_page, q.closes_at, summary, mentor)
        return [r for r in results if r is not None]

    async def _page_context(self, uow: UnitOfWork, questionnaire_id: int, users: list[int]) -> "_PageContext":
        repo = uow.repo(SqlQuestionnaireRepository)
        q = await repo.get(questionnaire_id)
        if q is None:
            return _PageContext(None, None, [], [], [], set(), {})
        programme = await uow.repo(SqlProgrammeRepository).get(q.guild_id)
        all_items = await repo.items(q.id)
        current = [i for i in all_items if i.version == q.version]
        registered = await uow.repo(SqlParticipantRepository).registered(q.guild_id, users)
        responses = {r.user_id: r for r in await repo.responses(q.id)}
        return _PageContext(q, programme, all_items, current, paginate(current), registered, responses)

    def _check_page(self, context: "_PageContext", request: "_PageRequest") -> PageWrite:
        """Check one page against the questionnaire and return what to store (raise why not)."""
        actor, version, page = request.actor, request.version, request.page
        q = self._may_answer(context.q, context.programme, actor, registered=actor.user_id in context.registered)
        pages = context.pages
        if not 1 <= page <= len(pages) or version > q.version:
            log.warning(
                "Refused questionnaire %s page %s v%s (of %s, v%s) from user %s",
                q.id, page, version, len(pages), q.version, actor.user_id,
            )  # fmt: skip
            raise TamperedPageError([f"page {page} of {len(pages)}, version {version}"])
        if version != q.version:
            raise StaleVersionError()
        items = pages[page - 1]
        checked = check_page(items, request.values, user_id=actor.user_id, questionnaire_id=q.id, page=page)
        keys = {i.key for i in items}
        stale = tuple(i.id for i in context.all_items if i.version != q.version and i.key in keys)
        return PageWrite(actor.user_id, page, checked, stale, page == len(pages))

    async def baseline_offer(self, actor: Actor) -> OutboundMessage | None:
        """Return the Start message of the server's open baseline questionnaire for someone who just joined
        (None when there is none, they may not answer it, or they finished it already)."""
        async with self._database.unit_of_work() as uow:
            repo = uow.repo(SqlQuestionnaireRepository)
            open_baselines = [
                q
                for q in await repo.all(actor.guild_id)
                if q.template == "baseline"
                and q.status is QuestionnaireStatus.OPEN
                and not q.is_closed(self._clock.now())
            ]
            if not open_baselines:
                return None
            q = open_baselines[0]
            try:
                await self._respondent(uow, actor, q.id)
            except DomainError:
                return None
            response = await repo.response(q.id, actor.user_id)
        if response is not None and response.finished_at is not None:
            return None
        return render.baseline_offer(q)

    async def mentor_contact(self, actor: Actor, questionnaire_id: int, granted: bool) -> str:
        """Record the mentoring contact consent (yes only after answering yes or maybe); return the reply."""
        async with self._database.unit_of_work() as uow:
            q = await uow.repo(SqlQuestionnaireRepository).get(questionnaire_id)
            if q is None or actor.guild_id not in (0, q.guild_id):
                raise QuestionnaireNotFoundError()
            if await uow.repo(SqlParticipantRepository).get(q.guild_id, actor.user_id) is None:
                raise NotRegisteredError("answer the questionnaire")
            previous = await self._previous(uow, q, actor.user_id)
        if granted and previous.get(MENTOR_KEY) not in ("yes", "maybe"):
            raise ItemError("Answer yes or maybe to the mentoring question first; nothing was recorded.")
        if self._consent is None:
            raise ItemError("Consent cannot be recorded here.")
        person = Actor(q.guild_id, actor.user_id, actor.display_name, actor.role_ids)
        text = await self._consent.consent_text(q.guild_id)
        await self._consent.record_consent(person, {ConsentPurpose.MENTORING: granted}, text_version=text.version)
        if granted:
            return (
                "Thank you — the programme team may contact you about the second cohort. "
                "Change your mind any time with the No thanks button."
            )
        return "Noted: nobody will contact you about mentoring."

    async def finish_later(self, actor: Actor, questionnaire_id: int) -> Questionnaire:
        """Return the questionnaire for the "Finish later" reply (nothing to store: every page is saved)."""
        async with self._database.unit_of_work() as uow:
            return await self._respondent(uow, actor, questionnaire_id)
