"""Outcome evaluation end to end: outcomes imported, ten sessions held, the questionnaire opens by itself,
people answer page by page through Discord, one withdraws consent, nudge, close, report, interviews, exports."""

import csv
import dataclasses
import io
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.actors import Actor
from bot.core.clock import ManualClock
from bot.core.evaluation.outcome_tables import outcome_rows
from bot.core.participants.domain import ConsentPurpose
from tests.e2e.harness import REPO_ROOT, RunningBot, running_bot
from tests.e2e.test_evaluation import _export_all
from tests.e2e.test_reflections import buttons
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXPORT_KEY = "e2e-outcomes-export-key-0123456789abcdefXYZ"
START = datetime.now(UTC).replace(microsecond=0)
EXTRA: list[Any] = []  # the eight members the fixture adds before the bot connects


@pytest.fixture
async def clock() -> ManualClock:
    """A clock the test moves through the programme."""
    return ManualClock(START)


@pytest.fixture
async def running(fake: FakeDiscord, fresh_database_url: str, clock: ManualClock) -> AsyncIterator[RunningBot]:
    """Yield the real bot (eight extra participants, an export key, a manual clock)."""
    EXTRA[:] = fake.add_members(8)

    def configure(settings: Any) -> Any:
        return dataclasses.replace(settings, export_key=EXPORT_KEY)

    async with running_bot(fake, fresh_database_url, clock=clock, configure=configure) as bot:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        yield bot


def _actor(member: Any, guild_id: int, *, facilitator: bool = False) -> Actor:
    return Actor(guild_id, member.id, member.display_name, frozenset(member.roles), can_manage_events=facilitator)


async def _settle(handle: Any) -> str:
    return await handle.settle(timeout=15)


def _answers(person: int, form: dict[str, Any]) -> dict[str, Any]:
    """Fill a page modal deterministically: ratings vary by person and question; yes/maybe/no; text."""
    values: dict[str, Any] = {}
    for index, label in enumerate(form["components"]):
        component = label["component"]
        options = [o["value"] for o in component.get("options", [])]
        if "1" in options:
            values[component["custom_id"]] = str(1 + (person * 3 + index * 2) % 5)
        elif "maybe" in options:
            values[component["custom_id"]] = ("yes", "maybe", "no")[person % 3]
        else:
            values[component["custom_id"]] = f"Person {person} says things changed"
    return values


async def test_the_whole_outcome_evaluation(fake: FakeDiscord, running: RunningBot, clock: ManualClock) -> None:
    """The report's outcome table equals what the test computes from the answers it gave."""
    s = running.services
    guild = fake.guild_id
    fran = fake.users.fran
    await _settle(
        await fake.slash(
            "programme setup",
            {
                "timezone": "Europe/London",
                "reflections": fake.channels.reflections,
                "facilitator_channel": fake.channels.facilitators,
                "facilitator_role": fake.roles.facilitator,
                "participant_role": fake.roles.participant,
                "reminder_offsets": "none",
            },
        )
    )
    example = (REPO_ROOT / "docs" / "examples" / "programme-ten-sessions.yaml").read_bytes()
    imported = await _settle(await fake.slash("programme import", {"file": ("programme.yaml", example)}))
    assert "Imported 10 sessions" in imported and "Added 4 learning outcomes." in imported
    people = [*EXTRA, fake.users.pat, fake.users.sam]
    for index, member in enumerate(people):
        actor = _actor(member, guild)
        joined = await s.participants.join(actor, community=f"Community {index % 3}", area="", role="")
        version = joined.consent_prompt.version if joined.consent_prompt else 1
        await s.participants.record_consent(
            actor,
            {ConsentPurpose.EVALUATION: True, ConsentPurpose.QUOTE: False, ConsentPurpose.INTERVIEW: index % 2 == 0},
            text_version=version,
        )
    created = await _settle(await fake.slash("questionnaire create", {"template": "end-of-programme", "name": "End"}))
    assert "4 pages" in created

    sessions = await s.programme.list_sessions(guild)
    for number, session in enumerate(sessions, 1):  # ten sessions held; person i attends the first 1 + i % 10
        clock.set(session.starts_at + timedelta(minutes=30))
        for index, member in enumerate(people):
            if number <= 1 + index % 10:
                await s.attendance.check_in(_actor(member, guild), session.id)
    clock.set(sessions[-1].ends_at + timedelta(minutes=16))
    await s.dispatcher.run_due()
    post = await fake.wait_for_message(
        fake.channels.reflections, lambda m: any(c.startswith("blether:qn-start:") for c in buttons(m)), timeout=10
    )
    start_id = next(c for c in buttons(post) if c.startswith("blether:qn-start:"))

    given: dict[int, dict[str, Any]] = {}
    for person, member in enumerate(people):
        opened = await fake.click(post, start_id, user=member)
        await opened.response()
        form = opened.modal
        stop_after = 1 if person == 0 else 4
        values_by_page: list[dict[str, Any]] = []
        for page in range(1, stop_after + 1):
            assert form is not None and f"page {page} of 4" in form["title"]
            values = _answers(person, form)
            values_by_page.append(values)
            submitted = await fake.submit_modal(form["custom_id"], values, user=member)
            reply = await _settle(submitted)
            if page < 4:
                assert f"page {page + 1} of 4" in reply
                if page < stop_after:
                    cont = await fake.click(
                        submitted.messages()[-1],
                        f"blether:qn-page:{start_id.rsplit(':', 1)[1]}:{page + 1}",
                        user=member,
                    )
                    await cont.response()
                    form = cont.modal
        given[member.id] = {"pages": values_by_page}
    # Person 0 stopped after page 1; Start resumes at page 2 and they finish.
    resumed = await fake.click(post, start_id, user=people[0])
    await resumed.response()
    assert resumed.modal is not None and "page 2 of 4" in resumed.modal["title"]

    # One withdraws evaluation consent: their answers leave the figures.
    withdrawn = people[1]
    text_version = (await s.participants.consent_text(guild)).version
    await s.participants.record_consent(
        _actor(withdrawn, guild), {ConsentPurpose.EVALUATION: False}, text_version=text_version
    )

    q = next(d for d in (await _questionnaires(running)) if d.questionnaire.name == "End").questionnaire
    assert q.nudge_at is not None and q.closes_at is not None
    clock.set(q.nudge_at + timedelta(minutes=1))
    await s.dispatcher.run_due()
    nudge = await fake.wait_for_message(fake.channels.reflections, lambda m: "still open" in m.content, timeout=10)
    assert not any(p.display_name in nudge.content for p in people)
    clock.set(q.closes_at + timedelta(minutes=1))
    await s.dispatcher.run_due()
    summary = await fake.wait_for_message(
        fake.channels.facilitators,
        lambda m: any("Questionnaire closed" in (e.get("title") or "") for e in m.embeds),
        timeout=10,
    )
    assert summary is not None
    # The page person 0 opened before closing, submitted after: refused, nothing stored.
    late = await fake.submit_modal(resumed.modal["custom_id"], _answers(0, resumed.modal), user=people[0])
    assert "closed" in await _settle(late)

    # The report's outcome table, against the test's own computation from what it submitted.
    items = [i for i in (await _questionnaires(running))[-1].items if i.version == 1]
    from bot.core.questionnaires.pages import paginate

    pages = paginate(items)
    per_person: dict[int, dict[str, int]] = {}
    for member in people:
        if member.id == withdrawn.id:
            continue
        mine: dict[str, int] = {}
        for page_items, values in zip(pages, given[member.id]["pages"], strict=False):
            for index, item in enumerate(page_items):
                raw = values.get(f"q{index + 1}")
                if item.kind.is_rating and raw:
                    mine[item.key] = int(raw)
        per_person[member.id] = mine
    report = await s.evaluation.programme_report(_actor(fran, guild, facilitator=True), with_files=False)
    outcomes = report.figures.outcomes  # type: ignore[union-attr]
    assert outcomes is not None
    rows = outcome_rows(outcomes)
    assert len(rows) == 4
    for row, outcome_items in zip(rows, [pages[0][:2], pages[0][2:4], pages[1][:2], pages[1][2:4]], strict=True):
        before_key, now_key = outcome_items[0].key, outcome_items[1].key
        before = [p[before_key] for p in per_person.values() if before_key in p]
        now = [p[now_key] for p in per_person.values() if now_key in p]
        pairs = [p[now_key] - p[before_key] for p in per_person.values() if before_key in p and now_key in p]
        assert row[3] == str(len(before)) and row[1] == f"{statistics.fmean(before):.1f}"
        assert row[6] == str(len(now)) and row[4] == f"{statistics.fmean(now):.1f}"
        assert row[7] == f"{statistics.fmean(pairs):+.1f}" and row[9] == str(len(pairs))

    # Interviews: a shortlist from those who agreed, invitations by DM, an answer.
    shortlist = await _settle(await fake.slash("interviews shortlist", {"count": 3}))
    assert "Proposed for interviews: 3 of" in shortlist and "seed" in shortlist
    await _settle(await fake.slash("interviews invite"))
    await s.dispatcher.run_due()
    listing = await s.interviews.listing(_actor(fran, guild, facilitator=True))
    invited = [c.user_id for c in listing.candidates]
    dm = await fake.wait_for_dm(invited[0], lambda m: "interview" in m.content, timeout=10)
    yes = await fake.click(dm, f"blether:interview:{guild}:yes", user=invited[0])
    assert "will be in touch" in await _settle(yes)

    # Exports load back: answers in long format, every coded value in the codebook, interviews by pseudonym.
    files = await _export_all(fake)
    answers = list(csv.DictReader(io.StringIO(files["questionnaire_answers.csv"].decode("utf-8"))))
    codebook = list(csv.DictReader(io.StringIO(files["codebook.csv"].decode("utf-8"))))
    interviews = list(csv.DictReader(io.StringIO(files["interviews.csv"].decode("utf-8"))))
    labels = {(c["item_id"], c["version"], c["value"]) for c in codebook}
    coded = [a for a in answers if a["item_id"].startswith("o") or a["item_id"] == "mentor"]
    assert coded and all((a["item_id"], a["version"], a["value"]) in labels for a in coded)
    assert len({a["pseudonym"] for a in answers}) == len(people) - 1  # the withdrawn person is not there
    assert "accepted" in {i["status"] for i in interviews}
    assert not any(str(m.id) in files["questionnaire_answers.csv"].decode() for m in people)


async def _questionnaires(running: RunningBot) -> list[Any]:
    from bot.core.questionnaires.repository import SqlQuestionnaireRepository

    async with running.database.unit_of_work() as uow:
        return await uow.repo(SqlQuestionnaireRepository).load(running.bot.guilds[0].id)
