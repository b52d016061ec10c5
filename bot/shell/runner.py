"""Start `blether shell`: open (and migrate) the local database, build the core with the shell's ports, run.

Script mode (--script FILE, or lines piped in) prints a plain, deterministic transcript and stops with
exit status 1 at the first line that fails, unless the line is marked `!` (expected to fail); then a
line that succeeds stops it. Interactive mode reads lines with completion (prompt_toolkit) and goes on
after errors.
"""

import asyncio
import collections
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app import build_services
from bot.config import Settings
from bot.core.storage.database import Database
from bot.core.storage.lock import SingleProcessLock
from bot.core.storage.migrations import current_revision, head_revision, upgrade_to_head
from bot.shell.app import Quit, Shell, round_down
from bot.shell.features import build_registry
from bot.shell.forms import Field
from bot.shell.parser import ShellInputError, answer_text, is_answer, parse_line
from bot.shell.ports import (
    Console,
    FileStore,
    ShellEventMirror,
    ShellRoleMembers,
    ShellSender,
    ShellThreads,
    Timeline,
)
from bot.shell.render import DEFAULT_WIDTH, Renderer
from bot.shell.world import GUILD_ID, ShellChannelDirectory, check_shell_database, load_world

log = logging.getLogger(__name__)

EXIT_FAILED = 1
ScriptLines = Sequence[tuple[int, str]]

WELCOME = """Blether shell — a whole programme on this computer, with everyone simulated. Database: {db}
You act as @facilitator. Type `help` for the commands, `as morag /join community:Oban` to act as someone
else, `press 2` to press button [2], `wait 1d` to move the clock; files go to {files}/. Ctrl-D leaves.
"""
FIRST_STEPS = (
    "Start with, for example:\n"
    "  /programme setup timezone:Europe/London announcements:#announcements reflections:#reflections "
    "flash_reports:#flash-reports facilitator_channel:#facilitators facilitator_role:@Facilitator "
    "participant_role:@Participant\n"
    '  /session add number:1 title:"Welcome" starts:"{date} 18:30"\n'
)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run: the database, where files go, and the script's lines (None: a person at a terminal)."""

    db_path: Path
    files: Path
    lines: ScriptLines | None
    name: str
    search_dirs: tuple[Path, ...] = ()


class ScriptAnswers:
    """Answers for forms from the "> " lines after the current script line."""

    def __init__(self) -> None:
        self.pending: collections.deque[str] = collections.deque()

    async def __call__(self, field: Field) -> str | None:
        """Take the next answer line (None when there is none: the field keeps its pre-filled value)."""
        return self.pending.popleft() if self.pending else None


async def open_shell(settings: Settings, plan: Plan, *, stream: TextIO, colour: bool, width: int) -> Shell:
    """Open the database (migrating it the normal way), load the world and build the shell on the core."""
    database = Database(f"sqlite+aiosqlite:///{plan.db_path}")
    if await current_revision(database) != head_revision():
        log.info("Applying migrations to %s", plan.db_path)
        await upgrade_to_head(database.url.render_as_string(hide_password=False))
    try:
        await check_shell_database(database)
    except BaseException:
        await database.dispose()
        raise
    world, _ = await load_world(database, round_down(datetime.now(UTC)))
    zone = ZoneInfo(settings.timezone)
    shell: Shell | None = None
    renderer = Renderer(
        names=world, zone=lambda: shell.zone if shell else zone, now=world.clock.now, colour=colour, width=width
    )
    console = Console(stream, renderer)
    files = FileStore(plan.files)
    timeline = Timeline(world, console, files)
    services = build_services(
        settings,
        database,
        sender=ShellSender(world, timeline),
        mirror=ShellEventMirror(world.new_id),
        channels=ShellChannelDirectory(world),
        clock=world.clock,
        threads=ShellThreads(world),
        roles=ShellRoleMembers(world),
    )
    shell = Shell(
        services=services,
        world=world,
        timeline=timeline,
        console=console,
        files=files,
        registry=build_registry(),
        answers=ScriptAnswers(),
        search_dirs=plan.search_dirs,
    )
    await services.dispatcher.reconcile()
    if await services.programme.get_programme(GUILD_ID) is not None:
        await services.prepare_guild(GUILD_ID)
    await shell.refresh()
    await shell.settle()
    return shell


async def run_script(shell: Shell, lines: ScriptLines, *, name: str) -> int:
    """Run a script; return 0, or 1 at the first line that fails (or a `!` line that does not)."""
    answers = ScriptAnswers()
    shell.answers = answers
    index = 0
    while index < len(lines):
        number, raw = lines[index]
        index += 1
        try:
            if is_answer(raw):
                raise ShellInputError("This answer line follows no form (a form opens with Reflect or Edit intro).")
            line = parse_line(raw)
        except ShellInputError as error:
            shell.console.write(["", raw])
            shell.error(error.message)
            shell.console.write(f"{name}:{number}: stopped here.")
            return EXIT_FAILED
        if line is None:
            continue
        answers.pending.clear()
        while index < len(lines) and is_answer(lines[index][1]):
            answers.pending.append(answer_text(lines[index][1]))
            index += 1
        shell.echo(line)
        try:
            ok = await shell.run(line)
        except Quit:
            return 0
        if ok and answers.pending:
            shell.error(f"{len(answers.pending)} answer line(s) were not used: this form has fewer questions.")
            ok = False
        if ok == line.expect_failure:
            reason = "was expected to fail but did not" if ok else "failed"
            shell.console.write(f"{name}:{number}: this line {reason}; stopped here.")
            return EXIT_FAILED
    return 0


class Interactive:
    """Read lines from a person at a terminal (with completion when prompt_toolkit is installed)."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self._session: Any = None
        try:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import InMemoryHistory

            from bot.shell.completion import ShellCompleter

            self._session = PromptSession(history=InMemoryHistory(), completer=ShellCompleter(shell))
        except ImportError:  # plain input() still works
            self._session = None

    async def read(self, prompt: str) -> str:
        """Read one line (EOFError at Ctrl-D)."""
        if self._session is not None:
            return await self._session.prompt_async(prompt)
        return await asyncio.to_thread(input, prompt)

    async def answer(self, field: Field) -> str | None:
        """Ask one form question."""
        return await self.read("  │ > ")

    async def loop(self) -> int:
        """Run until quit or Ctrl-D; errors are printed and the shell goes on."""
        self.shell.answers = self.answer
        self.shell.echo_answers = False
        while True:
            try:
                raw = await self.read(self.shell.prompt())
            except EOFError:
                return 0
            except KeyboardInterrupt:
                continue
            try:
                line = parse_line(raw)
            except ShellInputError as error:
                self.shell.error(error.message)
                continue
            if line is None:
                continue
            try:
                await self.shell.run(line)
            except Quit:
                return 0


async def _run(settings: Settings, plan: Plan, *, stream: TextIO, colour: bool, width: int) -> int:
    shell = await open_shell(settings, plan, stream=stream, colour=colour, width=width)
    try:
        if plan.lines is not None:
            return await run_script(shell, plan.lines, name=plan.name)
        shell.console.write(WELCOME.format(db=plan.db_path, files=plan.files))
        if await shell.services.programme.get_programme(GUILD_ID) is None:
            soon = (shell.now() + timedelta(days=14)).astimezone(shell.zone).date()
            shell.console.write(FIRST_STEPS.format(date=soon.isoformat()))
        return await Interactive(shell).loop()
    finally:
        await shell.services.dispatcher.stop(grace=2.0)
        await shell.services.database.dispose()


def run_shell(
    settings: Settings,
    db_path: Path,
    *,
    script: Path | None = None,
    fresh: bool = False,
    stream: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Run `blether shell`; return the exit status."""
    stream = stream or sys.stdout
    stdin = stdin or sys.stdin
    if script is not None:
        with script.open(encoding="utf-8") as source:
            lines: ScriptLines | None = [(n, text.rstrip("\n")) for n, text in enumerate(source, start=1)]
        name, search_dirs = str(script), [script.resolve().parent]
    elif not stdin.isatty():
        lines, name, search_dirs = [(n, text.rstrip("\n")) for n, text in enumerate(stdin, start=1)], "<stdin>", []
    else:
        lines, name, search_dirs = None, "", []
    interactive = lines is None
    colour = interactive and stream.isatty() and not os.environ.get("NO_COLOR")
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if interactive else DEFAULT_WIDTH
    if fresh:
        for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            path.unlink(missing_ok=True)
    db_path.resolve().parent.mkdir(parents=True, exist_ok=True)
    plan = Plan(db_path, db_path.resolve().parent / f"{db_path.stem}-files", lines, name, tuple(search_dirs))
    lock = SingleProcessLock(str(db_path))
    lock.acquire()
    try:
        return asyncio.run(_run(settings, plan, stream=stream, colour=colour, width=width))
    finally:
        lock.release()
