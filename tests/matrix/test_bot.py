"""The real bot process on a real Synapse, driven by real Matrix clients (plain HTTP)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.matrix.client import Person
from tests.matrix.synapse import Synapse

REPO_ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """`python -m bot run --platform matrix` with its log in a file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the bot and wait until it follows the sync stream."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--platform", "matrix"],
                cwd=self.log_path.parent,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "Blether is following Matrix" in self.log_path.read_text()[offset:]:
                time.sleep(0.5)  # the first sync request goes out
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited: {self.log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"the bot did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the bot (SIGTERM waits for the current sync; SIGKILL is a crash)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        """Return the bot's log so far."""
        return self.log_path.read_text()


@pytest.fixture
def people(synapse: Synapse, register, tmp_path: Path) -> Iterator[dict]:
    """A facilitator (room creator, power 100), a participant, the programme room, and the bot running."""
    bot_user = register("blether")
    facilitator = Person(synapse, register("fay"))
    participant = Person(synapse, register("pat"))
    room = facilitator.create_room("Programme", invite=[bot_user.user_id, participant.user_id])
    participant.join(room)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BLETHER_", "MATRIX_", "DATABASE"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "PYTHONUNBUFFERED": "1",
            "BLETHER_PLATFORM": "matrix",
            "MATRIX_HOMESERVER": synapse.base_url,
            "MATRIX_USER_ID": bot_user.user_id,
            "MATRIX_ACCESS_TOKEN": bot_user.access_token,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'blether.db'}",
            "LOG_LEVEL": "DEBUG",
            "BLETHER_TIMEZONE": "Europe/London",
            "BLETHER_EXPORT_KEY": "test-export-key-0123456789abcdef0123456789",
        }
    )
    bot = BotProcess(env, tmp_path / "bot.log")
    bot.start()
    try:
        yield {
            "bot": bot,
            "bot_id": bot_user.user_id,
            "fay": facilitator,
            "pat": participant,
            "room": room,
            "token": bot_user.access_token,
            "database": tmp_path / "blether.db",
        }
    finally:
        bot.stop()
        print(bot.log()[-20_000:])  # shown by pytest when the test fails


def _reply_to(event_id: str):
    def match(content: dict) -> bool:
        relates = content.get("m.relates_to") or {}
        return content.get("msgtype") == "m.notice" and relates.get("event_id") == event_id

    return match


def test_a_facilitator_sets_up_the_programme_and_a_participant_is_refused(people) -> None:
    """Setup by a power-100 user creates the programme; the same command from a power-0 user is refused."""
    fay, pat, room, bot_id = people["fay"], people["pat"], people["room"], people["bot_id"]
    refused = pat.say(room, "!blether setup")
    answer = fay.wait_for(room, bot_id, _reply_to(refused))
    assert "Only facilitators" in answer["body"]
    asked = fay.say(room, "!blether setup timezone:Europe/London reminders:1h")
    answer = fay.wait_for(room, bot_id, _reply_to(asked))
    assert "Programme created" in answer["body"]
    assert answer["m.relates_to"]["rel_type"] == "m.thread"
    # Facilitators are checked at runtime: promoted to 50 the participant may, demoted again they may not.
    fay.set_power(room, pat.user_id, 50)
    allowed = pat.say(room, "!blether setup reminders:2h")
    assert "Programme updated" in fay.wait_for(room, bot_id, _reply_to(allowed))["body"]
    fay.set_power(room, pat.user_id, 0)
    again = pat.say(room, "!blether setup reminders:3h")
    assert "Only facilitators" in fay.wait_for(room, bot_id, _reply_to(again))["body"]


def test_help_lists_what_the_caller_may_use_and_mistakes_get_a_usage_line(people) -> None:
    """A participant's help hides facilitator commands; a wrong option gets the usage line."""
    fay, pat, room, bot_id = people["fay"], people["pat"], people["room"], people["bot_id"]
    asked = pat.say(room, "!blether help")
    body = fay.wait_for(room, bot_id, _reply_to(asked))["body"]
    assert "!blether join" in body and "!blether setup" not in body
    asked = fay.say(room, "!blether help")
    assert "!blether setup" in fay.wait_for(room, bot_id, _reply_to(asked))["body"]
    wrong = fay.say(room, "!blether setup colour:blue")
    body = fay.wait_for(room, bot_id, _reply_to(wrong))["body"]
    assert "Usage: !blether setup" in body
    unknown = fay.say(room, "!blether fly")
    assert "!blether help" in fay.wait_for(room, bot_id, _reply_to(unknown))["body"]


def test_a_restart_neither_replays_nor_misses_commands(people) -> None:
    """A command answered before a restart is not answered again; one sent while the bot was down is answered."""
    fay, pat, room, bot_id, bot = people["fay"], people["pat"], people["room"], people["bot_id"], people["bot"]
    first = pat.say(room, "!blether join")
    assert "Welcome" in fay.wait_for(room, bot_id, _reply_to(first))["body"]
    bot.stop(signal.SIGKILL)
    while_down = pat.say(room, "!blether help")
    bot.start()
    fay.wait_for(room, bot_id, _reply_to(while_down))
    time.sleep(2)
    replies = [c for c in fay.texts_from(room, bot_id) if (c.get("m.relates_to") or {}).get("event_id") == first]
    assert len(replies) == 1


def test_an_encrypted_room_is_reported_once(people, synapse: Synapse) -> None:
    """In an encrypted room the bot says once that it cannot read commands there."""
    fay, bot_id = people["fay"], people["bot_id"]
    secret_room = fay.create_room("Secret", invite=[bot_id], encrypted=True)
    deadline = time.monotonic() + 30
    while bot_id not in str(fay.request("GET", f"/rooms/{secret_room}/joined_members")) and time.monotonic() < deadline:
        time.sleep(0.2)
    for index in range(2):
        path = f"/rooms/{secret_room}/send/m.room.encrypted/enc{index}"
        fay.request("PUT", path, {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x", "session_id": "s"})
    notice = fay.wait_for(secret_room, bot_id, lambda c: "end-to-end encrypted" in c["body"])
    assert notice["msgtype"] == "m.notice"
    time.sleep(2)
    assert sum("end-to-end encrypted" in c["body"] for c in fay.texts_from(secret_room, bot_id)) == 1


def test_the_token_is_never_logged(people) -> None:
    """The access token appears nowhere in the bot's DEBUG log."""
    people["fay"].say(people["room"], "!blether help")
    time.sleep(1)
    assert people["token"] not in people["bot"].log()


def _events(person: Person, room: str, sender: str, needle: str) -> list[dict]:
    return [
        e
        for e in person.messages(room)
        if e["type"] == "m.room.message" and e["sender"] == sender and needle in e["content"].get("body", "")
    ]


def test_a_session_reminder_arrives_once_and_rsvp_is_by_reaction(people) -> None:
    """A 1-minute reminder pings only those who joined, arrives once, and ✅/❌ on it set and unset the RSVP."""
    fay, pat, room, bot_id = people["fay"], people["pat"], people["room"], people["bot_id"]
    asked = fay.say(room, "!blether setup timezone:Europe/London reminders:1m")
    assert "Programme created" in fay.wait_for(room, bot_id, _reply_to(asked))["body"]
    joined = pat.say(room, "!blether join")
    fay.wait_for(room, bot_id, _reply_to(joined))
    starts = (datetime.now(UTC) + timedelta(minutes=2)).astimezone(ZoneInfo("Europe/London"))
    when = f"{starts:%Y-%m-%d %H:%M}"
    added = fay.say(room, f'!blether session add 1 "Kindness in practice" {when} 30m https://example.org/call')
    assert "Session 1 (Kindness in practice) added" in fay.wait_for(room, bot_id, _reply_to(added))["body"]
    reminder = None
    deadline = time.monotonic() + 150
    while reminder is None and time.monotonic() < deadline:
        found = _events(fay, room, bot_id, "Session 1 starts")
        reminder = found[0] if found else None
        time.sleep(0.5)
    assert reminder is not None, people["bot"].log()[-3000:]
    content = reminder["content"]
    assert content["m.mentions"] == {"user_ids": [pat.user_id]}
    assert "Kindness in practice" in content["formatted_body"] and "React ✅" in content["body"]
    assert "<t:" not in content["body"] and "<@&" not in content["body"]
    pat.react(room, reminder["event_id"], "✅")
    database = people["database"]
    _wait_until(lambda: _rsvps(database) == [(1,)])
    pat.react(room, reminder["event_id"], "❌")
    _wait_until(lambda: _rsvps(database) == [(0,)])
    time.sleep(3)
    assert len(_events(fay, room, bot_id, "Session 1 starts")) == 1
    asked = pat.say(room, "!blether calendar")
    fay.wait_for(room, bot_id, _reply_to(asked))
    files = [c for c in fay.texts_from(room, bot_id) if c.get("msgtype") == "m.file"]
    assert files and files[-1]["body"].endswith(".ics")


def _rsvps(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM rsvps").fetchall()


def _wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_a_flash_report_collects_links_stories_and_pins_and_the_export_goes_to_the_facilitators(people) -> None:
    """share, story and a facilitator's 📌 feed a Flash Report posted as HTML; export uploads a zip."""
    fay, pat, room, bot_id = people["fay"], people["pat"], people["room"], people["bot_id"]
    facilitators = fay.create_room("Facilitators", invite=[bot_id])
    _wait_until(lambda: bot_id in str(fay.request("GET", f"/rooms/{facilitators}/joined_members")))
    asked = fay.say(room, f"!blether setup facilitators:{facilitators}")
    assert "Programme created" in fay.wait_for(room, bot_id, _reply_to(asked))["body"]
    fay.wait_for(room, bot_id, _reply_to(pat.say(room, "!blether join")))
    shared = pat.say(room, '!blether share https://example.org/kindness title:"Kindness <b>matters</b>"')
    assert "next Flash Report" in fay.wait_for(room, bot_id, _reply_to(shared))["body"]
    pinned = pat.say(room, "We tried the listening circle and it worked")
    fay.react(room, pinned, "📌")
    pat.react(room, pat.say(room, "a participant's pin does nothing"), "📌")
    time.sleep(2)
    published = fay.say(room, "!blether flash publish")
    fay.wait_for(room, bot_id, _reply_to(published))
    report = fay.wait_for(room, bot_id, lambda c: "example.org/kindness" in c.get("formatted_body", ""), timeout=60)
    assert '<a href="https://example.org/kindness">' in report["formatted_body"], report["formatted_body"]
    assert "<b>matters</b>" not in report["formatted_body"]  # the title is escaped, not markup
    assert "<strong>Kindness &lt;b&gt;matters&lt;/b&gt;</strong>" in report["formatted_body"]
    assert f"https://matrix.to/#/{room}/{pinned}" in report["formatted_body"]  # the facilitator's 📌
    assert report["formatted_body"].count("https://matrix.to/#/") == 1  # the participant's 📌 did nothing
    refused = pat.say(room, "!blether export")
    assert "Only facilitators" in fay.wait_for(room, bot_id, _reply_to(refused))["body"]
    exported = fay.say(room, "!blether export")
    assert "facilitators' room" in fay.wait_for(room, bot_id, _reply_to(exported))["body"]
    files = [c for c in fay.texts_from(facilitators, bot_id) if c.get("msgtype") == "m.file"]
    assert files and files[0]["body"].endswith(".zip")


def _answer_for(question: str) -> str:
    if "Reply with a number" in question:
        return "1"
    if "Reply yes or no" in question:
        return "yes"
    return "It helped me listen better"


def test_a_reflection_in_a_direct_room_survives_a_sigkill_between_two_answers(people) -> None:
    """Questions come one at a time in a direct room; killed after the first answer, the bot carries on."""
    fay, pat, room, bot_id, bot = people["fay"], people["pat"], people["room"], people["bot_id"], people["bot"]
    fay.wait_for(room, bot_id, _reply_to(fay.say(room, "!blether setup")))
    welcome = fay.wait_for(room, bot_id, _reply_to(pat.say(room, "!blether join")))["body"]
    assert "!blether consent evaluation:yes|no" in welcome  # the same consent prompt as on Discord
    wrong = pat.say(room, "!blether consent evaluation:maybe")
    assert "Usage: !blether consent" in fay.wait_for(room, bot_id, _reply_to(wrong))["body"]
    agreed = pat.say(room, "!blether consent evaluation:yes quote:yes interview:no")
    assert "saved" in fay.wait_for(room, bot_id, _reply_to(agreed))["body"]
    starts = (datetime.now(UTC) + timedelta(days=2)).astimezone(ZoneInfo("Europe/London"))
    added = fay.say(room, f'!blether session add 1 "Listening" {starts:%Y-%m-%d %H:%M} 60m')
    fay.wait_for(room, bot_id, _reply_to(added))
    opened = fay.say(room, "!blether reflections open 1")
    assert "Reflections are open" in fay.wait_for(room, bot_id, _reply_to(opened))["body"]
    card = fay.wait_for(room, bot_id, lambda c: "React 📝" in c.get("body", ""))  # the card invites a reaction
    assert card["org.blether.buttons"] == ["blether:reflect:1", "blether:attend:1"]
    asked = pat.say(room, "!blether reflect 1")
    assert "direct room" in fay.wait_for(room, bot_id, _reply_to(asked))["body"]
    _wait_until(lambda: pat.invites() != [])
    direct = pat.invites()[0]
    pat.join(direct)
    assert "not end-to-end encrypted" in pat.wait_for(direct, bot_id, lambda c: "encrypted" in c["body"])["body"]
    question = pat.wait_for(direct, bot_id, lambda c: "Question 1 of" in c["body"])["body"]
    total = int(question.split("Question 1 of ")[1].split(":")[0])
    assert total >= 2
    pat.say(direct, "seven")  # not an answer: asked again, nothing kept
    pat.wait_for(direct, bot_id, lambda c: "Reply with" in c["body"] and "Question" not in c["body"])
    pat.say(direct, _answer_for(question))
    pat.wait_for(direct, bot_id, lambda c: "Question 2 of" in c["body"])
    bot.stop(signal.SIGKILL)
    bot.start()
    for number in range(2, total + 1):
        question = pat.wait_for(direct, bot_id, lambda c, n=number: f"Question {n} of" in c["body"])["body"]
        pat.say(direct, _answer_for(question))
    done = pat.wait_for(direct, bot_id, lambda c: "reflection on session 1 is saved" in c["body"])
    assert "It helped me listen better" in done["body"] or "1" in done["body"]
    # Until the poll closes the reflection can be edited: the command asks again, showing earlier answers.
    again = pat.say(room, "!blether reflect 1")
    assert "direct room" in fay.wait_for(room, bot_id, _reply_to(again))["body"]
    pat.wait_for(direct, bot_id, lambda c: "Your earlier answer" in c["body"])
    with sqlite3.connect(people["database"]) as connection:
        assert connection.execute("SELECT COUNT(*) FROM reflection_responses").fetchone() == (1,)


def test_the_running_bot_waits_out_m_limit_exceeded(people, synapse: Synapse, synapse_admin) -> None:
    """With the bot held to one message a second, five quick commands all get their answer, once each."""
    fay, room, bot_id = people["fay"], people["room"], people["bot_id"]
    synapse.override_rate_limit(synapse_admin, bot_id, per_second=1, burst_count=1)
    try:
        asked = [fay.say(room, "!blether help") for _ in range(5)]
        for event_id in asked:
            fay.wait_for(room, bot_id, _reply_to(event_id), timeout=60)
    finally:
        synapse.clear_rate_limit(synapse_admin, bot_id)
    answers = [c for c in fay.texts_from(room, bot_id) if (c.get("m.relates_to") or {}).get("event_id") in asked]
    assert len(answers) == 5
    assert "Rate-limited by the homeserver" in people["bot"].log()
