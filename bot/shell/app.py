"""The shell itself: build the core on a local SQLite file, run lines, move the simulated clock.

`Shell.run(line)` runs one line as a person (a slash command, `press`, `wait`, …) and then lets the
delivery engine send whatever has come due; `wait` moves the manual clock from one due delivery to the
next, so each reminder, card, nudge, closing and Flash Report goes out at its own simulated time
through the real Dispatcher.
"""

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import Services
from bot.core.errors import DomainError, ValidationError
from bot.core.messages import RichText, Text, plain
from bot.core.programme.times import parse_local_datetime
from bot.shell.commands import Context, Registry
from bot.shell.forms import AnswerSource, Form, FormValue, read_answer
from bot.shell.options import bind
from bot.shell.parser import Line, ShellInputError, split_options
from bot.shell.ports import MARGIN, ButtonError, Console, FileStore, Timeline
from bot.shell.render import BOLD, DIM, RED, Renderer, as_rich
from bot.shell.world import World, save_world

log = logging.getLogger(__name__)

MAX_ROUNDS = 10_000
_DURATION = re.compile(r"(\d{1,4})\s*(w|d|h|m|min|s)", re.IGNORECASE)
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_UNITS |= {"min": timedelta(minutes=1), "s": timedelta(seconds=1)}


class Quit(Exception):
    """The person asked to leave the shell."""


def parse_duration(text: str) -> timedelta:
    """Read "1d", "2h", "1d12h", "90m" or "1w" as a duration."""
    compact = text.replace(" ", "")
    matches = list(_DURATION.finditer(compact))
    if not compact or not matches or "".join(m.group(0) for m in matches) != compact:
        raise ShellInputError(f"{text!r} is not a duration: write e.g. 1d, 2h, 30m, 1d12h or 1w.")
    return sum((int(m.group(1)) * _UNITS[m.group(2).lower()] for m in matches), timedelta())


def describe_error(error: DomainError) -> RichText:
    """Say a domain error as the Discord adapter does, listing problems the message does not already state."""
    message = error.message
    problems = error.problems if isinstance(error, ValidationError) else []
    if not problems or (len(problems) == 1 and problems[0] in plain(message)):
        return message
    listed = [f"• {p}" for p in problems[:20]]
    if len(problems) > 20:
        listed.append(f"…and {len(problems) - 20} more.")
    return as_rich(message) + "\n" + "\n".join(listed)


class Shell:
    """A local programme with everyone simulated, driven one line at a time."""

    def __init__(
        self,
        *,
        services: Services,
        world: World,
        timeline: Timeline,
        console: Console,
        files: FileStore,
        registry: Registry,
        answers: AnswerSource,
        search_dirs: Sequence[Path] = (),
    ) -> None:
        self.services = services
        self.world = world
        self.timeline = timeline
        self.console = console
        self.files = files
        self.registry = registry
        self.answers = answers
        self.search_dirs = list(search_dirs)
        self.person = world.person("facilitator")
        self.echo_answers = True  # scripts show their answers; at a terminal the person typed them
        self.zone = ZoneInfo(services.settings.timezone)

    @property
    def renderer(self) -> Renderer:
        """Return the renderer."""
        return self.console.renderer

    def now(self) -> datetime:
        """Return the simulated time."""
        return self.world.clock.now()

    # -- one line ----------------------------------------------------------------------------------

    async def run(self, line: Line) -> bool:
        """Run a line; print what happens; return False when it failed (the error is printed)."""
        try:
            await self._dispatch(line)
            ok = True
        except Quit:
            raise
        except DomainError as error:
            self.error(describe_error(error))
            ok = False
        except Exception as error:
            reference = secrets.token_hex(4).upper()
            # Only the command's name: its options may hold what people typed, which never reaches the logs.
            log.error("Unhandled error in %s (reference %s)", line.words[:1], reference, exc_info=error)
            self.error(f"Sorry, something went wrong on Blether's side. It has been logged (reference {reference}).")
            ok = False
        try:
            await self.settle()
        finally:
            await self.refresh()
        return ok

    def error(self, message: RichText) -> None:
        """Print a refusal or an error (rich text: times in the programme's zone, mentions by name)."""
        paint = self.renderer.palette.paint
        lines = self.renderer.block(Text(("✖ ",)) + as_rich(message), prefix=MARGIN, indent="  ")
        self.console.write([paint(line, RED) for line in lines])

    def note(self, text: str) -> None:
        """Print a note from the shell itself (not from Blether)."""
        self.console.write(MARGIN + self.renderer.palette.paint(text, DIM))

    async def refresh(self) -> None:
        """Follow the programme's zone and store the world."""
        programme = await self.services.programme.get_programme(self.world.guild_id)
        self.zone = ZoneInfo(programme.timezone if programme else self.services.settings.timezone)
        await save_world(self.services.database, self.world)

    def context(self, line: Line) -> Context:
        """Return the context of whoever acts on this line."""
        member = self.world.person(line.person) if line.person else self.person
        return Context(self, member, self.world.actor(member))

    async def _dispatch(self, line: Line) -> None:
        context = self.context(line)
        if context.member.left and line.words[:1] != ("rejoin",):
            raise ShellInputError(
                f"@{context.member.name} has left the server; `as {context.member.name} rejoin` brings them back."
            )
        if not line.words:
            self.person = context.member
            self.note(f"From now on you act as {context.member.name}.")
            return
        verb = line.words[0].lower()
        if verb.startswith("/"):
            await self.slash(context, line.words)
        elif verb == "help":
            await self.slash(context, ["/help", *line.words[1:]])
        elif verb == "press":
            await self.press(context, line.words[1:])
        elif verb == "wait":
            await self.wait(line.words[1:])
        elif verb == "clock":
            await self.set_clock(line.words[1:])
        elif verb in ("people", "who"):
            self.people()
        elif verb in ("channels", "channel"):
            self.channels(line.words[1:])
        elif verb in ("leave", "rejoin"):
            await self.membership(context, leaving=verb == "leave")
        elif verb == "say":
            self.say(context, line.words[1:])
        elif verb in self.registry.actions:
            await self.message_action(context, verb, line.words[1:])
        elif verb in ("quit", "exit"):
            raise Quit
        else:
            raise ShellInputError(
                f"Unknown command {line.words[0]!r}. Slash commands start with / (e.g. /sessions); the shell's "
                "own are as, press, wait, clock, say, nominate, pin, leave, rejoin, people, channels, help and quit."
            )

    async def slash(self, context: Context, words: Sequence[str]) -> None:
        """Run a slash command: parse its options like Discord would, then call its handler."""
        found = self.registry.find(words)
        if found is None:
            group = words[0][1:].lower()
            subs = sorted(p.split(" ", 1)[1] for p in self.registry.commands if p.startswith(group + " "))
            if subs:
                raise ShellInputError(f"/{group} needs one of: {', '.join(subs)}.")
            raise ShellInputError(f"There is no command {words[0]}; `help` lists the commands you may use.")
        command, size = found
        arguments = split_options(words[size:], [o.name for o in command.options])
        values = await bind(context, command.options, arguments, command=command.path, facilitator=command.facilitator)
        await command.handler(context, values)

    # -- buttons -----------------------------------------------------------------------------------

    async def press(self, context: Context, words: Sequence[str]) -> None:
        """Press a button by its number (press 2) or its label (press Reflect), as the acting person."""
        if not words:
            raise ShellInputError("Say which button: `press 2` (its number) or `press Reflect` (its label).")
        wanted = " ".join(words)
        if wanted.isdigit():
            shown, button = self.timeline.button(int(wanted), context.member.id)
        else:
            shown, button = self.timeline.button_by_label(wanted, context.member.id)
        if button.url:
            self.note(f"That button opens {button.url} in a browser.")
            return
        for route in self.registry.buttons:
            match = route.pattern.fullmatch(button.custom_id or "")
            if match is not None:
                await route.handler(context, match, shown)
                return
        log.warning("Refused an unknown component id from user %s", context.member.id)
        raise ButtonError("That button is not valid (any more). Nothing was changed.")

    # -- members leaving and coming back -------------------------------------------------------------

    async def membership(self, context: Context, *, leaving: bool) -> None:
        """`leave` / `rejoin`: what the Discord adapter does when a member leaves or joins the server again."""
        member, guild_id = context.member, self.world.guild_id
        if member.facilitator:
            raise ShellInputError("The facilitator stays in the server: someone has to run it.")
        if leaving == member.left:
            raise ShellInputError(f"@{member.name} {'has already left' if leaving else 'is in the server'}.")
        member.left = leaving
        if leaving:
            inactive = await self.services.participants.mark_left(guild_id, member.id)
            held = await self.services.flash.member_left(guild_id, member.id)
            self.note(
                f"@{member.name} left the server{' (their profile is now inactive)' if inactive else ''}"
                + (f"; {held} of their Flash Report items are held for a facilitator." if held else ".")
            )
        else:
            back = await self.services.participants.mark_rejoined(guild_id, member.id)
            self.note(f"@{member.name} is back in the server{' (their profile is active again)' if back else ''}.")

    # -- chat messages -----------------------------------------------------------------------------

    def say(self, context: Context, words: Sequence[str]) -> None:
        """Write a chat message as the acting person: `say #general Hello everyone`."""
        if len(words) < 2 or not words[0].startswith("#"):
            raise ShellInputError("Say where and what: `say #general Have a look at https://example.org`.")
        channel = self.world.channel(words[0])
        self.timeline.say(channel.id, context.member.id, " ".join(words[1:]))

    async def message_action(self, context: Context, verb: str, words: Sequence[str]) -> None:
        """Act on a chat message by its number (`nominate 1043`), as Discord's message menu or a reaction would."""
        if len(words) != 1 or not words[0].isdigit():
            raise ShellInputError(f"Name the message by its number: `{verb} 1043` (chat messages show it).")
        shown = self.timeline.get(int(words[0]))
        if shown is None or shown.audience is not None:
            raise ShellInputError(f"There is no channel message {words[0]} in this run.")
        await self.registry.actions[verb].handler(context, shown)

    # -- forms -------------------------------------------------------------------------------------

    async def ask(self, form: Form) -> dict[str, FormValue]:
        """Ask a form's fields one by one; a bad answer is refused (scripts stop, people are asked again)."""
        paint = self.renderer.palette.paint
        self.console.write(MARGIN + paint(f"┌ {form.title}", BOLD))
        if form.note:
            self.console.write(MARGIN + "│ " + form.note)
        values: dict[str, FormValue] = {}
        for field in form.fields:
            self.console.write(self.renderer.block("? " + field.prompt(), prefix=MARGIN + "│ ", indent="  "))
            while True:
                raw = await self.answers(field)
                if self.echo_answers:
                    self.console.write((MARGIN + "│ > " + (raw or "")).rstrip())
                try:
                    values[field.id] = read_answer(field, raw)
                    break
                except ShellInputError as error:
                    if self.echo_answers:  # a script's answer is wrong: the line fails
                        raise
                    self.error(error.message)  # a person at the terminal is asked again
        self.console.write(MARGIN + paint("└ sent", DIM))
        return values

    # -- time --------------------------------------------------------------------------------------

    async def settle(self) -> int:
        """Let the delivery engine send everything due now (and what that makes due); return how many."""
        handled = 0
        for _ in range(MAX_ROUNDS):
            done = await self.services.dispatcher.run_due()
            if not done:
                return handled
            handled += done
        log.warning("Deliveries kept coming due at %s; stopped after %d rounds", self.now(), MAX_ROUNDS)
        return handled

    async def advance_to(self, target: datetime) -> None:
        """Move the clock to target, stopping at each due delivery on the way so it goes out at its time."""
        clock = self.world.clock
        for _ in range(MAX_ROUNDS):
            due = await self.services.dispatcher.next_due_at()
            if due is None or due > target:
                break
            if due > clock.now():
                clock.set(due)
            if not await self.settle() and due <= clock.now():
                clock.set(min(target, clock.now() + timedelta(seconds=1)))  # a row not claimable yet: step on
                if clock.now() >= target:
                    break
        clock.set(max(target, clock.now()))
        await self.settle()

    async def wait(self, words: Sequence[str]) -> None:
        """`wait 1d`, `wait 2h30m`, `wait until 2027-02-05 18:00` (the programme's zone) or `wait next`."""
        if not words:
            raise ShellInputError("Say how long: `wait 1d`, `wait 2h`, `wait until 2027-02-05 18:00` or `wait next`.")
        now = self.now()
        if words[0].lower() == "until":
            target = parse_local_datetime(" ".join(words[1:]), self.zone)
            if target < now:
                raise ShellInputError(f"That is in the past: it is already {self.renderer.time(now)}.")
        elif words[0].lower() == "next":
            due = await self.services.dispatcher.next_due_at()
            if due is None:
                raise ShellInputError("Nothing is scheduled: there is no next thing to wait for.")
            target = max(due, now)
        else:
            target = now + parse_duration(" ".join(words))
        self.note(f"⏱ {self.renderer.time(now)} → {self.renderer.time(target)}")
        await self.advance_to(target)

    async def set_clock(self, words: Sequence[str]) -> None:
        """`clock` says the simulated time; `clock 2027-01-04 09:00` sets it (forward only once set up)."""
        if not words:
            self.note(f"It is {self.renderer.time(self.now())}.")
            return
        target = parse_local_datetime(" ".join(words), self.zone)
        if target < self.now() and await self.services.programme.get_programme(self.world.guild_id) is not None:
            raise ShellInputError("The clock only moves forward once the programme is set up (start a new --db).")
        if target >= self.now():
            await self.advance_to(target)
        else:
            self.world.clock.set(target)
        self.note(f"It is {self.renderer.time(self.now())}.")

    # -- the simulated server ----------------------------------------------------------------------

    def people(self) -> None:
        """List the simulated members."""
        for member in self.world.members.values():
            role = "facilitator" if member.facilitator else "participant"
            mark = " ← you act as them" if member is self.person else ""
            self.console.write(f"{MARGIN}@{member.name} ({role}){mark}")

    def channels(self, words: Sequence[str]) -> None:
        """List channels, or add one: `channel add NAME [text|voice|stage]`."""
        from bot.core.programme.domain import ChannelKind

        if words and words[0].lower() == "add":
            if len(words) < 2:
                raise ShellInputError("Name it: `channel add NAME [text|voice|stage]`.")
            kinds = {"text": ChannelKind.TEXT, "voice": ChannelKind.VOICE, "stage": ChannelKind.STAGE}
            kind = kinds.get(words[2].lower() if len(words) > 2 else "text")
            if kind is None:
                raise ShellInputError("A channel is text, voice or stage.")
            channel = self.world.add_channel(words[1], kind)
            self.note(f"Added #{channel.name} ({kind.value}).")
            return
        for channel in self.world.channels.values():
            self.console.write(f"{MARGIN}#{channel.name} ({channel.kind.value})")

    def prompt(self) -> str:
        """Return the interactive prompt: the simulated time and who acts."""
        return f"[{self.renderer.time(self.now())}] {self.person.name} › "

    def echo(self, line: Line) -> None:
        """Print a script line as the transcript shows it: the time, who acts, what they typed."""
        who = line.person or self.person.name
        words = line.text.strip()
        if words.startswith("!"):
            words = words[1:].lstrip()
        if line.person and words.lower().startswith("as "):
            words = words.split(None, 2)[2] if len(words.split(None, 2)) > 2 else ""
        mark = "! " if line.expect_failure else ""
        paint = self.renderer.palette.paint
        # A `clock` line sets the time: it says the time itself (so a script's transcript does not start with today's).
        stamp = "" if line.words[:1] == ("clock",) else paint(f"[{self.renderer.time(self.now())}] ", DIM)
        self.console.write(["", stamp + paint(f"{mark}{who} › ", BOLD) + words])


def round_down(when: datetime) -> datetime:
    """Return when without seconds (the simulated clock starts on a whole minute)."""
    return when.astimezone(UTC).replace(second=0, microsecond=0)
