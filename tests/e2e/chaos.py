"""The chaos controller: real `python -m bot run` processes SIGKILLed at random points while the fake misbehaves.

One fake Discord and one database outlive every bot process. Each cycle starts a bot whose clock
(BLETHER_TEST_CLOCK_OFFSET, see tests/e2e/harness.Bots) sits a moment before the cycle's due time, when
two deliveries fall due together: session k's reminder (1 minute before its start; plus a reminder DM to
pat) and the reflection card of session k-1 (its 5-minute session ended 15 minutes earlier). Sessions
are added one cycle ahead with /session add, so each cycle's clock is 21 minutes after the last.

Within a cycle the controller adds the next session, waits for the card, opens the reflection modal and
submits it as pat and sam, now and then shares resources and presses /flash publish, injects faults
(429, global 429, 500/502/503, slow responses, connection resets before and after handling, gateway
drops), and SIGKILLs the bot at a random point: before, at or after the due time, right after a modal
submit was sent, or during a Flash Report publication. Sometimes the bot comes straight back with the
same clock (a crash and restart); otherwise the next cycle's bot starts 21 minutes later in bot time, so
whatever was left undone is due late or has expired.

At the end a last bot runs without faults until nothing due is open, and `ChaosReport` tallies:

* missed — due deliveries neither sent (with the message really in the channel) nor expired with a
  facilitator notice (a sent notice whose payload lists the row); failed or cancelled rows count too;
* duplicates — a nonce with more than one message, a session reminder, reminder DM or reflection card
  posted twice by content, or Flash Report messages that no issue owns;
  a posted row that expired must carry the notice's "may have posted" mark, not "nothing was posted";
* lost reflections — a submit whose confirmation (the "saved" reply with its text) reached the user but
  whose text (or a later submit's) is not in reflection_responses;
* stuck — pending or claimed rows past their due time, and Flash Reports still publishing.

`python -m bench chaos` runs 200 cycles; tests/e2e/test_chaos.py a short run.
"""

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.core.delivery.domain import OPEN_STATUSES, Delivery, DeliveryStatus
from bot.core.delivery.notices import EXPIRY_NOTICE_PREFIX, MAYBE_POSTED
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.looplag import REPORT_PREFIX
from bot.core.storage.database import Database
from tests.e2e.harness import BotProcess, Bots
from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import InteractionHandle
from tests.fakediscord.state import Message

log = logging.getLogger(__name__)

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"
DM_CHANNEL = "/users/@me/channels"

DURATION_MINUTES = 5
REFLECTION_DELAY = timedelta(minutes=15)  # the programme default
CYCLE_STEP = timedelta(minutes=DURATION_MINUTES + 16)  # session k's card is due with session k+1's reminder
KILL_POINTS = ("before_due", "at_due", "after_due", "mid_submit", "mid_publish", "late")
FAULT_KINDS = ("429", "429_global", "500", "502", "503", "delay", "reset", "reset_after", "gateway_drop")
SETTLE_TIMEOUT = 90.0
STARTUP_S = 1.5  # about how long a bot takes from spawning to READY_LOG
READY_LOG = "Dispatching event guild_available"  # commands work from here; on_ready comes 2 s later
STEP_TIMEOUT = 6.0


@dataclass
class Submit:
    """One reflection modal submit and whether its confirmation reached the user."""

    cycle: int
    session_number: int
    user: str
    token: str
    handle: InteractionHandle | None = None

    def acknowledged(self) -> bool:
        """Tell whether the bot's "saved" reply, showing this submit's text, reached the user."""
        if self.handle is None:
            return False
        return any(self.token in m.text() for m in self.handle.messages())


@dataclass
class Publish:
    """One /flash publish press and the issue number its reply named (None without a reply)."""

    cycle: int
    handle: InteractionHandle

    def issue_number(self) -> int | None:
        """Return the issue number of a "going out" reply, or None when the press was not acknowledged."""
        reply = self.handle.final_text()
        found = re.search(r"#(\d+)", reply)
        return int(found.group(1)) if found and "going out" in reply else None


@dataclass
class ChaosReport:
    """What a chaos run did and found."""

    seed: int
    cycles: int
    database: str
    kills: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    processes: int = 0
    quick_restarts: int = 0
    sessions_added: int = 0
    submits: int = 0
    submits_acknowledged: int = 0
    publishes_acknowledged: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    expired_with_notice: int = 0
    expired_but_posted: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    lost_reflections: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    nonce_retries: int = 0
    wall_s: float = 0.0
    lag: dict[str, Any] = field(default_factory=dict)
    bot_lag: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Tell whether nothing was missed, duplicated, lost or stuck."""
        return not (self.missed or self.duplicates or self.lost_reflections or self.stuck)

    def tallies(self) -> dict[str, Any]:
        """Return the figures as plain data (for bench/results.json and assertion messages)."""
        return {
            "seed": self.seed,
            "cycles": self.cycles,
            "database": self.database,
            "processes": self.processes,
            "kills": sum(self.kills.values()),
            "kill_points": dict(self.kills),
            "quick_restarts": self.quick_restarts,
            "faults": sum(self.faults.values()),
            "fault_kinds": dict(self.faults),
            "sessions_added": self.sessions_added,
            "submits": self.submits,
            "submits_acknowledged": self.submits_acknowledged,
            "publishes_acknowledged": self.publishes_acknowledged,
            "deliveries": dict(self.deliveries),
            "expired_with_notice": self.expired_with_notice,
            "expired_but_posted": len(self.expired_but_posted),
            "nonce_retries": self.nonce_retries,
            "missed": len(self.missed),
            "duplicates": len(self.duplicates),
            "lost_reflections": len(self.lost_reflections),
            "stuck": len(self.stuck),
            "problems": (self.missed + self.duplicates + self.lost_reflections + self.stuck)[:20],
            "wall_s": round(self.wall_s, 1),
            "lag": self.lag,
            "bot_lag": self.bot_lag,
        }


class ChaosRun:
    """Drive bots through cycles of scheduled work, faults and SIGKILLs; then tally what went wrong."""

    def __init__(
        self,
        fake: FakeDiscord,
        database_url: str,
        directory: Path,
        *,
        cycles: int,
        seed: int,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.fake = fake
        self.database_url = database_url
        self.bots = Bots(fake, database_url, directory)
        self.cycles = cycles
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress = progress or (lambda line: log.info("%s", line))
        self.report = ChaosReport(seed=seed, cycles=cycles, database=database_url.split(":", 1)[0])
        self.submits: list[Submit] = []
        self.publishes: list[Publish] = []
        self.process: BotProcess | None = None
        self.offset = 0.0
        self.session_ids: dict[int, int] = {}  # session number -> id
        self.shares = 0
        now = datetime.now(UTC)
        self.first_start = now.replace(second=0, microsecond=0) + timedelta(minutes=3)
        self._cycle_due = self.first_start

    # -- times ----------------------------------------------------------------------------------------------

    def starts(self, number: int) -> datetime:
        """Return when session `number` starts (bot time)."""
        return self.first_start + CYCLE_STEP * (number - 1)

    def due(self, cycle: int) -> datetime:
        """Return the due time of cycle `cycle` (session `cycle`'s reminder, session `cycle - 1`'s card)."""
        return self.starts(cycle) - timedelta(minutes=1)

    def real_due(self) -> float:
        """Return the monotonic time at which the current cycle's due time comes (for this offset)."""
        return time.monotonic() + (self._cycle_due - self.bot_now()).total_seconds()

    def bot_now(self) -> datetime:
        """Return the current bot's clock."""
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    # -- processes ------------------------------------------------------------------------------------------

    async def start_bot(self, *, shifted_to: datetime | None = None) -> None:
        """Start a bot (with the clock at shifted_to, or the current offset) and wait until it is connected."""
        if shifted_to is not None:
            offset = (shifted_to - datetime.now(UTC)).total_seconds()
            self.offset = max(offset, self.offset)  # the clock never goes back
        self.process, _ = await self.bots.start(offset=self.offset, wait=False)
        self.report.processes += 1
        await self.process.wait_for_log(READY_LOG, timeout=30)

    def kill(self, point: str) -> None:
        """SIGKILL the running bot."""
        if self.process is not None and self.process.process is not None and self.process.process.poll() is None:
            self.process.kill()
            self.report.kills[point] += 1
        self.process = None

    def alive(self) -> bool:
        """Tell whether a bot process is running."""
        return self.process is not None and self.process.process is not None and self.process.process.poll() is None

    # -- faults ---------------------------------------------------------------------------------------------

    def inject_random_fault(self) -> None:
        """Arm one random fault on a route the bot uses while posting or answering."""
        kind = self.rng.choice(FAULT_KINDS)
        self.report.faults[kind] += 1
        if kind == "gateway_drop":
            self.fake.drop_gateway(resume=self.rng.random() < 0.8, abrupt=self.rng.random() < 0.5)
            return
        route, method = self.rng.choices(
            [(MESSAGES, "POST"), (DM_CHANNEL, "POST"), (CALLBACK, "POST"), (WEBHOOK, "POST")], weights=[6, 1, 1, 1]
        )[0]
        if kind == "429_global":
            self.fake.inject(route, method, kind="429", is_global=True, retry_after=self.rng.uniform(0.1, 1.0))
        elif kind == "429":
            self.fake.inject(route, method, kind="429", retry_after=self.rng.uniform(0.1, 1.5))
        elif kind == "delay":
            self.fake.inject(route, method, kind="delay", delay=self.rng.uniform(0.3, 2.5))
        else:
            self.fake.inject(route, method, kind=kind)

    # -- acting as people -----------------------------------------------------------------------------------

    async def slash(self, name: str, options: dict[str, Any] | None = None, *, user: Any = None) -> str:
        """Run a slash command; return the settled reply ("" when the bot did not answer in time)."""
        handle = await self.fake.slash(name, options or {}, user=user or self.fake.users.fran)
        with contextlib.suppress(AssertionError):
            return await handle.settle(timeout=STEP_TIMEOUT)
        return ""

    async def set_up(self) -> None:
        """Configure the programme, register pat and sam, and add sessions 1 and 2."""
        fake = self.fake
        await self.start_bot()
        reply = await self.slash(
            "programme setup",
            {
                "timezone": "UTC",
                "announcements": fake.channels.announcements,
                "reflections": fake.channels.reflections,
                "flash_reports": fake.channels.flash_reports,
                "facilitator_channel": fake.channels.facilitators,
                "participant_role": fake.roles.participant,
                "facilitator_role": fake.roles.facilitator,
                "reminder_offsets": "1m",
            },
        )
        assert "set up" in reply or "saved" in reply, reply
        for user in (fake.users.pat, fake.users.sam):
            await self.slash("join", {}, user=user)
        reply = await self.slash("reminders dm", {"setting": "on"}, user=fake.users.pat)
        assert "direct message" in reply, reply
        for number in (1, 2):
            await self.add_session(number)
        assert self.session_ids.keys() == {1, 2}, self.session_ids

    async def add_session(self, number: int) -> None:
        """Add session `number` (unless an earlier, killed attempt already did)."""
        if number in self.session_ids or await self.find_session(number):
            return
        starts = self.starts(number).strftime("%Y-%m-%d %H:%M")
        options = {"number": number, "title": f"Chaos {number}", "starts": starts, "duration": DURATION_MINUTES}
        for _ in range(3):  # a fault may eat the command (as a person would, try again)
            reply = await self.slash("session add", options)
            if await self.find_session(number):
                self.report.sessions_added += 1
                return
            log.info("Session %d not added (%r); trying again", number, reply[:200])

    async def find_session(self, number: int) -> bool:
        """Look the session up in the database; remember its id."""
        database = Database(self.database_url)
        try:
            async with database.engine.connect() as conn:
                found = (
                    await conn.execute(
                        text("SELECT id FROM sessions WHERE guild_id = :g AND number = :n"),
                        {"g": self.fake.guild_id, "n": number},
                    )
                ).scalar()
        finally:
            await database.dispose()
        if found is not None:
            self.session_ids[number] = int(found)
        return found is not None

    async def reflect(self, cycle: int, number: int, user: Any, kill_after_send: bool) -> None:
        """Open session `number`'s reflection modal from its card and submit it as user."""
        session_id = self.session_ids.get(number)
        if session_id is None:
            return
        button = f"blether:reflect:{session_id}"
        card = await self.fake.wait_for_message(
            self.fake.channels.reflections,
            lambda m: m.find_component(button) is not None,
            timeout=STEP_TIMEOUT,
        )
        opened = await self.fake.click(card, button, user=user)
        await opened.response(timeout=STEP_TIMEOUT)
        if opened.modal is None:
            return
        submit = Submit(cycle, number, user.name, f"chaos-{cycle}-{user.name}-{self.rng.randrange(10**6)}")
        self.submits.append(submit)
        rating = str(self.rng.randint(1, 5))
        submit.handle = await self.fake.submit_modal(
            opened.modal["custom_id"], {"q1": rating, "q2": f"Reflection {submit.token}"}, user=user
        )
        if kill_after_send:
            await asyncio.sleep(self.rng.uniform(0.0, 0.05))
            self.kill("mid_submit")
            return
        with contextlib.suppress(AssertionError):
            await submit.handle.settle(timeout=STEP_TIMEOUT)

    async def publish(self, cycle: int, kill_during: bool) -> None:
        """Share a few resources as pat, then press /flash publish as fran."""
        for _ in range(self.rng.randint(1, 3)):
            self.shares += 1
            options = {"url": f"https://example.org/chaos/{self.shares}", "title": f"Chaos resource {self.shares}"}
            await self.slash("share", options, user=self.fake.users.pat)
        before = len(self.fake.channel_messages(self.fake.channels.flash_reports))
        handle = await self.fake.slash("flash publish", user=self.fake.users.fran)
        self.publishes.append(Publish(cycle, handle))
        if kill_during:
            with contextlib.suppress(AssertionError):
                await self.fake.wait_until(
                    lambda: (
                        len(self.fake.channel_messages(self.fake.channels.flash_reports)) > before
                        or "going out" in handle.final_text()
                    ),
                    STEP_TIMEOUT,
                    "the publication to start",
                )
            await asyncio.sleep(self.rng.uniform(0.0, 0.2))
            self.kill("mid_publish")
            return
        with contextlib.suppress(AssertionError):
            await handle.settle(timeout=STEP_TIMEOUT)

    # -- the run --------------------------------------------------------------------------------------------

    async def run(self) -> ChaosReport:
        """Run every cycle, settle, tally; return the report."""
        started = time.monotonic()
        self.progress(f"chaos: seed {self.seed}, {self.cycles} cycles, database {self.report.database}")
        try:
            await self.set_up()
            self.kill("after_setup")
            for cycle in range(1, self.cycles + 1):
                await self.cycle(cycle)
            await self.settle()
            await self.tally()
        finally:
            self.fake.clear_faults()
            self.bots.stop_all()
        self.report.wall_s = time.monotonic() - started
        return self.report

    async def cycle(self, cycle: int) -> None:
        """Start a bot just before this cycle's due time, do the cycle's work under faults, kill it somewhere."""
        rng = self.rng
        self._cycle_due = self.due(cycle)
        lead = rng.uniform(0.5, 2.0)
        await self.start_bot(shifted_to=self._cycle_due - timedelta(seconds=lead + STARTUP_S))
        point = rng.choice(KILL_POINTS if cycle >= 2 else [p for p in KILL_POINTS if p != "mid_submit"])
        publish = point == "mid_publish" or rng.random() < 0.25
        for _ in range(rng.randint(1, 3)):
            self.inject_random_fault()

        async def work() -> None:
            await self.add_session(cycle + 1)
            if cycle >= 2:
                users = [self.fake.users.pat, self.fake.users.sam]
                rng.shuffle(users)
                for index, user in enumerate(users):
                    if rng.random() < 0.3:
                        self.inject_random_fault()
                    await self.reflect(cycle, cycle - 1, user, kill_after_send=point == "mid_submit" and index == 0)
                    if not self.alive():
                        return
            if publish:
                await self.publish(cycle, kill_during=point == "mid_publish")

        task = asyncio.create_task(work())
        due_at = self.real_due()
        kill_at = {
            "before_due": due_at - rng.uniform(0.1, 1.0),
            "at_due": due_at + rng.uniform(-0.05, 0.3),
            "after_due": due_at + rng.uniform(0.3, 3.0),
            "late": due_at + rng.uniform(3.0, 6.0),
        }.get(point)
        try:
            if kill_at is None:  # mid_submit / mid_publish: the work kills the bot itself
                await asyncio.wait_for(asyncio.shield(task), timeout=4 * STEP_TIMEOUT)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=max(0.0, kill_at - time.monotonic()))
                await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
        except (AssertionError, TimeoutError):
            pass
        finally:
            self.kill(point)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if rng.random() < 0.35:  # a crash and a quick restart: the same clock, the cycle's rows resume
            self.report.quick_restarts += 1
            await self.start_bot()
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            self.kill("after_restart")
        self.progress(f"cycle {cycle}/{self.cycles}: killed {point}; {self.report.processes} bots so far")

    async def settle(self) -> None:
        """Run a last bot without faults until nothing due is open (or SETTLE_TIMEOUT)."""
        self.fake.clear_faults()
        await self.start_bot(shifted_to=self.due(self.cycles + 1) - timedelta(seconds=30))
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            open_rows = [d for d in await self.rows() if d.status in OPEN_STATUSES and d.due_at <= self.bot_now()]
            publishing = await self.flash_issues(status="publishing")
            if not open_rows and not publishing:
                await asyncio.sleep(1.0)  # let the last outcomes reach the fake
                return
            await asyncio.sleep(0.5)

    # -- tallying -------------------------------------------------------------------------------------------

    async def rows(self) -> list[Delivery]:
        """Read every delivery row."""
        database = Database(self.database_url)
        try:
            async with database.unit_of_work() as uow:
                return await uow.repo(SqlDeliveryRepository).list()
        finally:
            await database.dispose()

    async def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read-only query against the shared database."""
        database = Database(self.database_url)
        try:
            async with database.engine.connect() as conn:
                return [dict(r) for r in (await conn.execute(text(sql), params)).mappings()]
        finally:
            await database.dispose()

    async def flash_issues(self, status: str | None = None) -> list[dict[str, Any]]:
        """Read the Flash Report issues (optionally of one status)."""
        rows = await self.query("SELECT number, status, message_ids FROM flash_issues")
        for row in rows:
            if isinstance(row["message_ids"], str):
                row["message_ids"] = json.loads(row["message_ids"])
        return [r for r in rows if status is None or r["status"] == status]

    async def tally(self) -> None:
        """Count missed, duplicated, lost and stuck work."""
        report, fake = self.report, self.fake
        now = self.bot_now()
        rows = await self.rows()
        report.deliveries = Counter(str(d.status) for d in rows)
        notices = [
            d
            for d in rows
            if d.kind == "facilitator_notice"
            and d.status is DeliveryStatus.SENT
            and d.dedupe_key.startswith(EXPIRY_NOTICE_PREFIX)  # not "still trying" or "failed" notices
        ]
        noticed = {
            int(i)
            for d in notices
            if d.message_id is not None and fake.state.messages.get(d.message_id) is not None
            for i in d.payload.get("delivery_ids", [])
        }
        for d in rows:
            what = f"{d.kind} #{d.id} ({d.dedupe_key}) due {d.due_at:%H:%M:%S}"
            if d.status in OPEN_STATUSES:
                if d.due_at <= now and (d.status is DeliveryStatus.CLAIMED or d.due_at <= now - timedelta(seconds=5)):
                    report.stuck.append(f"stuck {d.status}: {what}")
                continue
            if d.status is DeliveryStatus.SENT:
                if d.message_id is not None and fake.state.messages.get(d.message_id) is None:
                    report.missed.append(f"sent without a message: {what}")
            elif d.status is DeliveryStatus.EXPIRED:
                if fake.messages_by_nonce.get(d.nonce):  # an interrupted attempt did post it
                    report.expired_but_posted.append(what)
                    told = [n for n in notices if d.id in n.payload.get("delivery_ids", [])]
                    if not any(MAYBE_POSTED in str(n.payload.get("text")) for n in told):
                        report.missed.append(f"posted, expired, and the notice says nothing was posted: {what}")
                if d.id in noticed:
                    report.expired_with_notice += 1
                else:
                    report.missed.append(f"expired without a notice: {what}")
            else:
                report.missed.append(f"{d.status}: {what}: {d.last_error}")
        for issue in await self.flash_issues(status="publishing"):
            report.stuck.append(f"Flash Report #{issue['number']} still publishing")
        published = {i["number"]: i for i in await self.flash_issues(status="published")}
        for press in self.publishes:
            number = press.issue_number()
            if number is not None:
                report.publishes_acknowledged += 1
                if number not in published:
                    report.missed.append(f"Flash Report #{number} acknowledged (cycle {press.cycle}) but not published")
        self.tally_duplicates(published)
        await self.tally_reflections()
        report.nonce_retries = sum(count - 1 for count in fake.nonce_counts.values() if count > 1)

    def tally_duplicates(self, published: dict[int, dict[str, Any]]) -> None:
        """Find anything posted twice."""
        report, fake = self.report, self.fake
        bot_id = fake.users.bot.id
        for nonce, messages in fake.messages_by_nonce.items():
            if len(messages) > 1:
                report.duplicates.append(f"nonce {nonce}: {len(messages)} messages {[m.id for m in messages]}")

        def by_content(messages: list[Message], pattern: str, what: str) -> None:
            seen = Counter(
                found.group(1) for m in messages if m.author.id == bot_id and (found := re.search(pattern, m.text()))
            )
            report.duplicates.extend(f"{what} {key} posted {n} times" for key, n in seen.items() if n > 1)

        by_content(fake.channel_messages(fake.channels.announcements), r"Session (\d+) starts", "reminder of session")
        by_content(fake.dms_to(fake.users.pat), r"Session (\d+) starts", "reminder DM of session")
        cards = fake.channel_messages(fake.channels.reflections)
        seen_cards = Counter(
            c["custom_id"]
            for m in cards
            if m.author.id == bot_id
            for row in m.components
            for c in row.get("components", [])
            if str(c.get("custom_id", "")).startswith("blether:reflect:")
        )
        report.duplicates.extend(f"card {cid} posted {n} times" for cid, n in seen_cards.items() if n > 1)
        owned = {int(mid) for issue in published.values() for mid in issue["message_ids"]}
        posted = [m for m in fake.channel_messages(fake.channels.flash_reports) if m.author.id == bot_id]
        strays = [m.id for m in posted if m.id not in owned]
        if strays:
            report.duplicates.append(f"Flash Report messages no issue owns: {strays}")

    async def tally_reflections(self) -> None:
        """Check every acknowledged submit (or a later one by the same person) is in the database."""
        report = self.report
        report.submits = len(self.submits)
        rows = await self.query("SELECT session_id, user_id, answers FROM reflection_responses")
        stored = {(r["session_id"], r["user_id"]): json.dumps(r["answers"]) for r in rows}
        users = {u.name: u.id for u in (self.fake.users.pat, self.fake.users.sam)}
        by_person: dict[tuple[int, str], list[Submit]] = {}
        for submit in self.submits:
            by_person.setdefault((submit.session_number, submit.user), []).append(submit)
        for (number, user), submits in by_person.items():
            acked = [i for i, s in enumerate(submits) if s.acknowledged()]
            report.submits_acknowledged += len(acked)
            if not acked:
                continue
            answer = stored.get((self.session_ids.get(number), users[user]), "")
            if not any(s.token in answer for s in submits[acked[-1] :]):
                token = submits[acked[-1]].token
                report.lost_reflections.append(f"session {number}, {user}: acknowledged {token}, stored {answer!r}")


async def run_chaos(
    fake: FakeDiscord,
    database_url: str,
    directory: Path,
    *,
    cycles: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
    monitor: Callable[[], Any] | None = None,
) -> ChaosReport:
    """Run a chaos run with an event-loop lag monitor beside it (bench.lag.LagMonitor by default)."""
    from bench.lag import LagMonitor

    lag = (monitor or LagMonitor)()
    chaos = ChaosRun(fake, database_url, directory, cycles=cycles, seed=seed, progress=progress)
    async with lag:
        report = await chaos.run()
    report.lag = lag.figures()
    report.bot_lag = bot_lag([process.logs() for process in chaos.bots.started])
    return report


BOT_LAG_LINE = re.compile(re.escape(REPORT_PREFIX) + r": p99 ([0-9.]+) ms, max ([0-9.]+) ms over (\d+) ticks")


def bot_lag(logs: list[str]) -> dict[str, Any]:
    """Summarise the bots' own event-loop lag reports (bot/core/looplag.py, every 2 s at DEBUG), in seconds.

    Each report covers one window, so the run's p99 is given as the median and the worst window p99.
    """
    windows = [tuple(map(float, m.groups())) for log in logs for m in BOT_LAG_LINE.finditer(log)]
    if not windows:
        return {"windows": 0}
    p99s = sorted(w[0] / 1000 for w in windows)
    return {
        "windows": len(windows),
        "ticks": int(sum(w[2] for w in windows)),
        "p99_median_window": p99s[len(p99s) // 2],
        "p99_worst_window": p99s[-1],
        "max": max(w[1] for w in windows) / 1000,
    }
