"""Shell fixtures: a shell on a migrated temp SQLite file, driven line by line, its transcript in memory."""

import asyncio
import io
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.storage.migrations import upgrade_to_head
from bot.shell.app import Shell
from bot.shell.parser import answer_text, is_answer, parse_line
from bot.shell.runner import Plan, ScriptAnswers, open_shell

SETUP = (
    "/programme setup timezone:Europe/London announcements:#announcements reflections:#reflections "
    "flash_reports:#flash-reports facilitator_channel:#facilitators facilitator_role:@Facilitator "
    "participant_role:@Participant reminder_offsets:1d,1h"
)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Migrate one SQLite file to head once; each shell test starts from a copy."""
    path = tmp_path_factory.mktemp("shell-template") / "template.db"
    asyncio.run(upgrade_to_head(f"sqlite+aiosqlite:///{path}"))
    yield path


@dataclass
class Driven:
    """A shell, its transcript, and a way to run lines as a script would."""

    shell: Shell
    output: io.StringIO

    async def run(self, *lines: str) -> bool:
        """Run lines ("> " lines answer the form the line before opens); return whether the last one succeeded."""
        answers = self.shell.answers
        assert isinstance(answers, ScriptAnswers)
        ok = True
        index = 0
        while index < len(lines):
            line = parse_line(lines[index])
            index += 1
            answers.pending.clear()
            while index < len(lines) and is_answer(lines[index]):
                answers.pending.append(answer_text(lines[index]))
                index += 1
            if line is not None:
                self.shell.echo(line)
                ok = await self.shell.run(line)
        return ok

    def transcript(self) -> str:
        """Return everything printed so far."""
        return self.output.getvalue()

    def since(self, mark: int) -> str:
        """Return what was printed after mark (a length of the transcript)."""
        return self.output.getvalue()[mark:]


@pytest.fixture
async def driven(tmp_path: Path, migrated_template: Path) -> AsyncIterator[Driven]:
    """Yield a shell on a fresh copy of the migrated database, at Mon 4 Jan 2027 09:00 London time."""
    db_path = tmp_path / "shell.db"
    shutil.copy(migrated_template, db_path)
    output = io.StringIO()
    settings = Settings.from_env({}, require_token=False)
    plan = Plan(db_path, tmp_path / "files", None, "test", (tmp_path,))
    shell = await open_shell(settings, plan, stream=output, colour=False, width=100)
    driven = Driven(shell, output)
    await driven.run("clock 2027-01-04 09:00")
    try:
        yield driven
    finally:
        await shell.services.dispatcher.stop(grace=1.0)
        await shell.services.database.dispose()
