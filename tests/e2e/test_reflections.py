"""Reflections end to end: the card, /join and consent, the modal (also across a restart), closing, attendance."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.core.clock import ManualClock
from bot.core.programme.domain import Location, LocationKind, NewSession, Programme
from bot.core.programme.repository import SqlProgrammeRepository, SqlSessionRepository
from bot.core.storage.database import Database
from bot.core.storage.migrations import upgrade_to_head
from tests.e2e.harness import running_bot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.state import Message


async def seed(fake: FakeDiscord, url: str, starts_at: datetime, now: datetime) -> int:
    """Create the programme and one voice session (before the bot starts); return the session id."""
    return (await seed_sessions(fake, url, starts_at, now, numbers=(1,)))[1]


async def seed_sessions(
    fake: FakeDiscord, url: str, starts_at: datetime, now: datetime, *, numbers: Sequence[int]
) -> dict[int, int]:
    """Create the programme and voice sessions with these numbers (before the bot starts); return {number: id}."""
    await upgrade_to_head(url)
    database = Database(url)
    ids: dict[int, int] = {}
    try:
        async with database.unit_of_work() as uow:
            await uow.repo(SqlProgrammeRepository).create(
                Programme(
                    id=0,
                    guild_id=fake.guild_id,
                    reflections_channel_id=fake.channels.reflections.id,
                    facilitator_channel_id=fake.channels.facilitators.id,
                ),
                now=now,
            )
            for number in numbers:
                session = await uow.repo(SqlSessionRepository).add(
                    NewSession(
                        guild_id=fake.guild_id,
                        number=number,
                        title="Listening <@&1> well" if number == 1 else f"Theme {number}",
                        description="",
                        speaker="",
                        starts_at=starts_at,
                        duration_minutes=90,
                        location=Location(LocationKind.VOICE, channel_id=fake.channels.session_room.id),
                    ),
                    now=now,
                )
                ids[number] = session.id
            await uow.commit()
    finally:
        await database.dispose()
    return ids


async def responses(database: Database) -> list[Any]:
    """Return every stored reflection row."""
    async with database.engine.connect() as conn:
        return list((await conn.execute(text("SELECT * FROM reflection_responses"))).mappings())


async def wait_rows(database: Database, query: str, timeout: float = 5) -> list[Any]:
    """Wait until a query returns rows (the bot handles gateway events asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with database.engine.connect() as conn:
            rows = list((await conn.execute(text(query))).mappings())
        if rows or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    """Return a message's buttons by custom_id."""
    found: dict[str, dict[str, Any]] = {}
    for row in message.components:
        for item in row.get("components", []):
            if "custom_id" in item:
                found[item["custom_id"]] = item
    return found


def consent_message(replies: list[Message]) -> Message:
    """Return the reply that carries the consent prompt."""
    return next(m for m in replies if any(cid.startswith("blether:consent:") for cid in buttons(m)))


async def answer_consent(fake: FakeDiscord, replies: list[Message], user: Any, *, evaluation: bool) -> str:
    """Answer every purpose of a consent prompt with the buttons, then Save; return the final text."""
    prompt = consent_message(replies)
    version = next(cid for cid in buttons(prompt) if cid.startswith("blether:consent:save:")).rsplit(":", 1)[1]
    for purpose, yes in (("evaluation", evaluation), ("quote", True), ("interview", False)):
        click = await fake.click(prompt, f"blether:consent:{purpose}:{'yes' if yes else 'no'}:{version}", user=user)
        await click.settle()
    save = await fake.click(prompt, f"blether:consent:save:{version}", user=user)
    return await save.settle()


def field_defaults(modal: dict[str, Any]) -> dict[str, Any]:
    """Return {field id: pre-filled value} of an opened modal."""
    found: dict[str, Any] = {}
    for label in modal["components"]:
        component = label.get("component", {})
        cid = component.get("custom_id")
        if component.get("type") == 4:
            found[cid] = component.get("value")
        elif component.get("type") == 21:
            found[cid] = next((o["value"] for o in component.get("options", []) if o.get("default")), None)
        elif component.get("type") == 23:
            found[cid] = component.get("default", False)
    return found


async def test_reflection_journey_with_consent_restart_and_close(fake: FakeDiscord, fresh_database_url: str) -> None:
    """Card → /join + consent → reflect, edit, restart mid-modal, decline evaluation → close: counts, no names."""
    now = datetime.now(UTC)
    clock = ManualClock(now)
    session_id = await seed(fake, fresh_database_url, now - timedelta(hours=2), now)
    pat, sam, fran = fake.users.pat, fake.users.sam, fake.users.fran

    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        card = await fake.wait_for_message(
            fake.channels.reflections, lambda m: f"blether:reflect:{session_id}" in buttons(m), timeout=10
        )
        assert set(buttons(card)) == {f"blether:reflect:{session_id}", f"blether:attend:{session_id}"}

        # A non-participant is told to /join; nothing opens.
        early = await fake.click(card, f"blether:reflect:{session_id}", user=pat)
        assert "/join" in await early.settle()
        assert early.modal is None

        joined = await fake.slash("join", {"community": "Leith Men's Shed"}, user=pat)
        await joined.settle()
        assert "Welcome" in joined.messages()[0].text()
        assert "saved" in await answer_consent(fake, joined.messages(), pat, evaluation=True)

        attend = await fake.click(card, f"blether:attend:{session_id}", user=pat)
        assert "checked in" in await attend.settle()

        opened = await fake.click(card, f"blether:reflect:{session_id}", user=pat)
        await opened.response()
        assert opened.modal is not None and len(opened.modal["components"]) <= 5
        modal_id = opened.modal["custom_id"]
        assert modal_id == f"blether:reflection:{session_id}"
        submit = await fake.submit_modal(modal_id, {"q1": "4", "q2": "The small groups **worked** @everyone"}, user=pat)
        confirmation = await submit.settle()
        assert "4/5" in confirmation and "The small groups" in confirmation
        assert "@everyone" not in confirmation.replace("@\u200beveryone", "")
        assert len(await responses(running.database)) == 1

        # Reflecting again shows the previous answers; editing keeps one row.
        again = await fake.click(card, f"blether:reflect:{session_id}", user=pat)
        await again.response()
        defaults = field_defaults(again.modal or {})
        assert defaults["q1"] == "4" and "small groups" in defaults["q2"]

    # Restart while pat's modal is open: the submit is still routed and saved.
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        edited = await fake.submit_modal(modal_id, {"q1": "5", "q2": "Everything"}, user=pat)
        assert "5/5" in await edited.settle()
        rows = await responses(running.database)
        assert len(rows) == 1

        # Sam declines evaluation consent and reflects (consent asked after the first reflection too).
        await (await fake.slash("join", user=sam)).settle()
        sam_open = await fake.slash("reflect", {"session": session_id}, user=sam)
        await sam_open.response()
        sam_submit = await fake.submit_modal(modal_id, {"q1": "3"}, user=sam)
        await sam_submit.settle()
        assert "no" in await answer_consent(fake, sam_submit.messages(), sam, evaluation=False)
        assert len(await responses(running.database)) == 2

        # Participants are refused facilitator commands at runtime.
        refused = await fake.slash("reflection close", {"session": session_id}, user=pat, strict=False)
        assert "Only facilitators" in await refused.settle()
        refused = await fake.slash("attendance show", {"session": session_id}, user=pat, strict=False)
        assert "Only facilitators" in await refused.settle()

        since = fake.cursor()
        closed = await fake.slash("reflection close", {"session": session_id}, user=fran)
        assert "closed" in await closed.settle()
        summary = await fake.wait_for_message(fake.channels.facilitators, since=since, timeout=10)
        assert "2 responses" in summary.text()
        assert "pat" not in summary.text().lower() and "sam" not in summary.text().lower()
        await fake.wait_until(
            lambda: all(b.get("disabled") for b in buttons(fake.message(card.id)).values()), 10, "card disabled"
        )
        late = await fake.submit_modal(modal_id, {"q1": "1"}, user=pat)
        assert "closed" in (await late.settle()).lower()
        rows = await responses(running.database)
        assert len(rows) == 2 and 1 not in {r.get("rating") for r in rows}


async def test_tampered_ids_are_refused(fake: FakeDiscord, fresh_database_url: str) -> None:
    """blether:reflect:999999 and blether:reflect:abc get a friendly refusal; nothing is stored."""
    now = datetime.now(UTC)
    session_id = await seed(fake, fresh_database_url, now - timedelta(hours=2), now)
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        card = await fake.wait_for_message(
            fake.channels.reflections, lambda m: f"blether:reflect:{session_id}" in buttons(m), timeout=10
        )
        await (await fake.slash("join", user=fake.users.pat)).settle()
        for custom_id in ("blether:reflect:999999", "blether:reflect:abc"):
            message = fake.state.messages[card.id]
            original = message.components
            message.components = [
                {"type": 1, "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}]}
            ]
            try:
                click = await fake.click(card, custom_id, user=fake.users.pat)
                reply = await click.settle()
            finally:
                message.components = original
            assert click.modal is None
            assert "not" in reply.lower()
        forged = await fake.submit_modal(
            "blether:reflection:999999",
            {"q1": "5"},
            user=fake.users.pat,
            components=[{"type": 18, "label": "x", "component": {"type": 4, "custom_id": "q1", "style": 1}}],
        )
        assert "not" in (await forged.settle()).lower()
        assert await responses(running.database) == []


async def test_voice_presence_and_csv_import(fake: FakeDiscord, fresh_database_url: str) -> None:
    """Ten minutes in the session's voice channel counts; a CSV with an unmatched row imports nothing."""
    now = datetime.now(UTC)
    clock = ManualClock(now)
    session_id = await seed(fake, fresh_database_url, now - timedelta(minutes=5), now)
    async with running_bot(fake, fresh_database_url, clock=clock) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        await (await fake.slash("join", user=fake.users.pat)).settle()
        await fake.voice_join(fake.users.pat, fake.channels.session_room)
        await wait_rows(running.database, "SELECT * FROM voice_presence")
        clock.advance(timedelta(minutes=11))
        await fake.voice_leave(fake.users.pat)
        await wait_rows(running.database, "SELECT * FROM attendance")
        listing = await (await fake.slash("attendance show", {"session": session_id})).settle()
        assert str(fake.users.pat.id) in listing

        csv = b"Name,Email\nSam,sam@example.org\nNobody Known,nobody@example.org\n"
        imported = await fake.slash("attendance import", {"session": session_id, "file": ("zoom.csv", csv)})
        reply = await imported.settle()
        assert "Nothing was imported" in reply and "Nobody Known" in reply
        listing = await (await fake.slash("attendance show", {"session": session_id})).settle()
        assert str(fake.users.sam.id) not in listing


# -- question sets -------------------------------------------------------------------------------------------

CUSTOM_QUESTIONS = {
    "q1": "rating*: How useful was today?",
    "q2": "choice: Which part helped most? = Talk; Discussion; Breakouts",
    "q3": "short: One word for today",
    "q4": "long: What should we change?",
    "q5": "quote: You may quote me",
}
# (label, component type, style or options, required) of each field the custom set's modal must have.
CUSTOM_FORM = [
    ("How useful was today?", 21, ["1", "2", "3", "4", "5"], True),
    ("Which part helped most?", 21, ["Talk", "Discussion", "Breakouts"], False),
    ("One word for today", 4, 1, False),
    ("What should we change?", 4, 2, False),
    ("You may quote me", 23, None, False),
]


def form_shape(modal: dict[str, Any]) -> list[tuple[str, int, Any, bool]]:
    """Return (label, component type, text style or option values, required) of each field of a modal."""
    shape = []
    for label in modal["components"]:
        assert label["type"] == 18, label
        component = label["component"]
        kind = component["type"]
        detail = component.get("style") if kind == 4 else None
        if kind == 21:
            detail = [o["value"] for o in component["options"]]
        required = bool(component.get("required", kind == 4)) if kind != 23 else False
        shape.append((label["label"], kind, detail, required))
    return shape


async def stored_set_names(running: Any, guild_id: int) -> list[str]:
    """Return the names of the server's own question sets (built-in ones excluded)."""
    return [s.name for s in await running.services.reflections.question_sets(guild_id) if not s.builtin]


async def test_a_custom_question_set_shapes_one_sessions_form_and_its_answers(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """/reflection questions assigns five questions to session 7 only; its modal asks them and stores the answers."""
    now = datetime.now(UTC)
    ids = await seed_sessions(fake, fresh_database_url, now - timedelta(hours=2), now, numbers=(4, 7))
    assert ids[7] != 7  # the option is the session NUMBER; the bot must turn it into the id
    pat, fran = fake.users.pat, fake.users.fran
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        card = await fake.wait_for_message(
            fake.channels.reflections, lambda m: f"blether:reflect:{ids[7]}" in buttons(m), timeout=10
        )

        created = await fake.slash(
            "reflection questions", {"name": "Gathering check-in", **CUSTOM_QUESTIONS, "session": 7}, user=fran
        )
        reply = await created.settle()
        assert created.ephemeral
        assert "Gathering check-in" in reply and "saved" in reply and "assigned" in reply
        assert await stored_set_names(running, fake.guild_id) == ["Gathering check-in"]
        chosen = await running.services.reflections.session_question_set(fake.guild_id, ids[7])
        assert chosen.name == "Gathering check-in"
        untouched = await running.services.reflections.session_question_set(fake.guild_id, ids[4])
        assert untouched.builtin

        joined = await fake.slash("join", user=pat)
        await joined.settle()
        assert "saved" in await answer_consent(fake, joined.messages(), pat, evaluation=True)

        # The card's Reflect button and /reflect session:7 both open the custom form; session 4 keeps the default.
        clicked = await fake.click(card, f"blether:reflect:{ids[7]}", user=pat)
        await clicked.response()
        assert clicked.modal is not None and clicked.modal["custom_id"] == f"blether:reflection:{ids[7]}"
        assert len(clicked.modal["components"]) <= 5
        assert form_shape(clicked.modal) == CUSTOM_FORM
        typed = await fake.slash("reflect", {"session": 7}, user=pat)
        await typed.response()
        assert typed.modal is not None and form_shape(typed.modal) == CUSTOM_FORM
        other = await fake.slash("reflect", {"session": 4}, user=pat)
        await other.response()
        assert other.modal is not None and other.modal["custom_id"] == f"blether:reflection:{ids[4]}"
        assert [label for label, *_ in form_shape(other.modal)] == [q.label for q in untouched.questions]

        answers = {"q1": "5", "q2": "Breakouts", "q3": "Hopeful", "q4": "Longer breakouts", "q5": True}
        submitted = await fake.submit_modal(f"blether:reflection:{ids[7]}", answers, user=pat)
        confirmation = await submitted.settle()
        assert "5/5" in confirmation and "Breakouts" in confirmation and "Longer breakouts" in confirmation
        records = await running.services.reflections.list_responses(fake.guild_id, ids[7])
        assert len(records) == 1 and records[0].user_id == pat.id
        saved = {a.field_id: (a.label, a.value) for a in records[0].answers}
        assert saved == {
            "q1": ("How useful was today?", 5),
            "q2": ("Which part helped most?", "Breakouts"),
            "q3": ("One word for today", "Hopeful"),
            "q4": ("What should we change?", "Longer breakouts"),
            "q5": ("You may quote me", True),
        }
        assert records[0].rating == 5 and records[0].quote_allowed
        assert await running.services.reflections.list_responses(fake.guild_id, ids[4]) == []


async def test_question_sets_refuse_participants_and_bad_specs_storing_nothing(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """A participant's /reflection questions and invalid specs get a clear private reply; nothing is stored."""
    now = datetime.now(UTC)
    ids = await seed_sessions(fake, fresh_database_url, now - timedelta(hours=2), now, numbers=(4, 7))
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()

        async def refused(options: dict[str, Any], user: Any = fake.users.fran) -> str:
            handle = await fake.slash("reflection questions", options, user=user, strict=False)
            text = await handle.settle()
            assert handle.ephemeral
            return text

        # Discord hides the command from participants; if one sends it anyway the bot refuses.
        denied = await refused({"name": "Mine", "q1": "rating: Fine?", "session": 7}, user=fake.users.pat)
        assert "Only facilitators" in denied

        # A sixth question cannot even be typed: the command offers q1 to q5 only.
        definition = fake.command("reflection").definition
        sub = next(o for o in definition["options"] if o["name"] == "questions")
        assert sorted(o["name"] for o in sub["options"] if o["name"].startswith("q")) == ["q1", "q2", "q3", "q4", "q5"]

        unknown = await refused({"name": "Odd", "q1": "rating: Fine?", "q2": "stars2: How many stars?"})
        assert "not saved" in unknown and 'Question 2: "stars2" is not a question kind' in unknown
        empty = await refused({"name": "Blank", "q1": "rating: Fine?", "q2": "short: Why?", "q3": "long:   "})
        assert "not saved" in empty and empty.count("Question 3 has no text") == 1
        no_kind = await refused({"name": "Bare", "q1": "How was it?"})
        assert "has no kind" in no_kind
        too_long = await refused({"name": "Wordy", "q1": "short: " + "Why " * 15})
        assert "45" in too_long and "Shorten it" in too_long
        one_option = await refused({"name": "Lonely", "q1": "choice: Pick = Only one"})
        assert "2 to 10 options" in one_option
        builtin = await refused({"name": "Quick", "q1": "rating: Fine?"})
        assert "built-in" in builtin
        missing = await refused({"name": "Lost", "q1": "rating: Fine?", "session": 99})
        assert "could not find session 99" in missing

        assert await stored_set_names(running, fake.guild_id) == []
        for session_id in ids.values():
            assert (await running.services.reflections.session_question_set(fake.guild_id, session_id)).builtin


async def test_a_set_for_a_session_already_answered_is_refused_whole(
    fake: FakeDiscord, fresh_database_url: str
) -> None:
    """/reflection questions with an answered session is refused and stores no half-made set (the name stays free)."""
    now = datetime.now(UTC)
    ids = await seed_sessions(fake, fresh_database_url, now - timedelta(hours=2), now, numbers=(4, 7))
    async with running_bot(fake, fresh_database_url, clock=ManualClock(now)) as running:
        await fake.wait_ready()
        await fake.wait_commands_synced()
        await (await fake.slash("join", user=fake.users.pat)).settle()
        opened = await fake.slash("reflect", {"session": 7}, user=fake.users.pat)
        await opened.response()
        await (await fake.submit_modal(f"blether:reflection:{ids[7]}", {"q1": "4"}, user=fake.users.pat)).settle()
        assert len(await running.services.reflections.list_responses(fake.guild_id, ids[7])) == 1

        late = await fake.slash("reflection questions", {"name": "Late", "q1": "rating: Fine?", "session": 7})
        text = await late.settle()
        assert "already reflected on Session 7" in text
        assert await stored_set_names(running, fake.guild_id) == []
        assert (await running.services.reflections.session_question_set(fake.guild_id, ids[7])).builtin

        again = await fake.slash("reflection questions", {"name": "Late", "q1": "rating: Fine?", "session": 4})
        assert "saved" in await again.settle()
        assert await stored_set_names(running, fake.guild_id) == ["Late"]
        assert (await running.services.reflections.session_question_set(fake.guild_id, ids[4])).name == "Late"
