"""The `blether` command: run the bot, migrate and check the database, and offline tools."""

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import __version__
from bot.config import PLATFORMS, ConfigError, Settings
from bot.core.delivery.limiter import RateLimiter
from bot.core.files import create_private_file, make_private_dir, write_private_file
from bot.core.messages import FileAttachment, OutboundMessage, SentMessage
from bot.core.ports import PermanentSendError
from bot.core.storage.database import Database
from bot.core.storage.lock import AlreadyRunningError, SingleProcessLock
from bot.core.storage.migrations import (
    current_revision,
    head_revision,
    is_at_head,
    is_up_to_date,
    shipped_head,
    upgrade_to_head,
)
from bot.logging_setup import setup_logging

log = logging.getLogger("blether")

EXIT_CONFIG = 2


class CommandFailed(Exception):
    """A CLI command failed in a way the user can fix; the message says how."""


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def _complain(text: str) -> None:
    sys.stderr.write(f"blether: {text}\n")


def _cannot_open(database: Database, error: Exception) -> CommandFailed:
    """Say in one line that the database cannot be opened, with the driver's reason (never a password or SQL)."""
    cause = getattr(error, "orig", None) or error  # a DBAPIError's own text carries the SQL; the driver's does not
    reason = " ".join(str(cause).split())[:200]
    detail = f"{type(error).__name__}: {reason}" if reason else type(error).__name__
    return CommandFailed(f"cannot open the database {database.describe()}: {detail}")


async def _migrate_or_refuse(database: Database, *, migrate: bool) -> None:
    try:
        if await is_at_head(database):  # the usual start: no Alembic import (docs/performance.md)
            log.info("Database schema is up to date (revision %s)", shipped_head())
            return
        current = await current_revision(database)
        head = head_revision()
        if current == head:
            log.info("Database schema is up to date (revision %s)", head)
            return
        if not migrate:
            raise CommandFailed(
                f"the database is at revision {current or 'none'} but this version needs {head}: "
                "run `blether migrate` first (or start without --no-migrate)."
            )
        log.info("Applying pending migrations: %s -> %s", current or "empty database", head)
        await upgrade_to_head(database.url.render_as_string(hide_password=False))
        log.info("Migrations applied; database at revision %s", head)
    except (OperationalError, DBAPIError, OSError) as error:
        raise _cannot_open(database, error) from None


async def _probe_leader(database: Database) -> None:
    """Open the dispatcher leader's own PostgreSQL connection once; raise CommandFailed (one line) if it fails."""
    from bot.core.delivery.leadership import AdvisoryLockLeader, LeaderConnectionError

    try:
        await AdvisoryLockLeader(database.url).probe()
    except LeaderConnectionError as error:
        raise CommandFailed(
            f"the delivery dispatcher's leader connection to {database.describe()} cannot be opened ({error}): "
            "no process could lead, so no reminder or post would ever go out; fix DATABASE_URL or the server."
        ) from None


async def _run_matrix(settings: Settings, *, migrate: bool) -> int:
    from bot.matrix.run import MatrixLoginError, run_matrix

    database = Database(settings.database_url)
    lock: SingleProcessLock | None = None
    try:
        if database.is_sqlite and database.url.database not in (None, "", ":memory:"):
            lock = SingleProcessLock(database.url.database or "")
            lock.acquire()
        await _migrate_or_refuse(database, migrate=migrate)
        if database.is_postgresql:
            await _probe_leader(database)
        for name, value in settings.describe():
            log.info("%s: %s", name, value)
        try:
            return await run_matrix(settings, database)
        except MatrixLoginError as error:
            raise CommandFailed(str(error)) from None
    finally:
        await database.dispose()
        if lock is not None:
            lock.release()


async def _check_matrix(settings: Settings) -> list[str]:
    """Check the Matrix token and say which programme rooms are end-to-end encrypted (one line each)."""
    from bot.matrix.run import MatrixLoginError, matrix_report

    try:
        return await matrix_report(settings)
    except MatrixLoginError as error:
        raise CommandFailed(str(error)) from None


async def _run_bot(settings: Settings, *, migrate: bool) -> int:
    if settings.platform == "matrix":
        return await _run_matrix(settings, migrate=migrate)
    import discord  # only `blether run` on Discord needs it: the shell, Matrix and the offline tools never load it

    from bot.app import build_services
    from bot.client import BletherBot
    from bot.discord_ports import (
        DiscordChannelDirectory,
        DiscordEventMirror,
        DiscordMemberDirectory,
        DiscordRoleMembers,
        DiscordSender,
        DiscordThreads,
    )
    from bot.endpoints import apply_endpoints

    database = Database(settings.database_url)
    lock: SingleProcessLock | None = None
    try:
        if database.is_sqlite and database.url.database not in (None, "", ":memory:"):
            lock = SingleProcessLock(database.url.database or "")
            lock.acquire()
        await _migrate_or_refuse(database, migrate=migrate)
        if database.is_postgresql:
            await _probe_leader(database)
        apply_endpoints(settings.api_base_url, settings.gateway_url)
        for name, value in settings.describe():
            log.info("%s: %s", name, value)

        limiter = RateLimiter()  # shared by the sender and the dispatcher

        def factory(client: BletherBot):
            return build_services(
                settings,
                database,
                sender=DiscordSender(client, limiter),
                limiter=limiter,
                mirror=DiscordEventMirror(client),
                channels=DiscordChannelDirectory(client),
                members=DiscordMemberDirectory(client),
                threads=DiscordThreads(client, limiter),
                roles=DiscordRoleMembers(client),
            )

        bot = BletherBot(settings=settings, database=database, services_factory=factory)
        try:
            async with bot:
                await bot.start(settings.discord_token, reconnect=True)
        except discord.LoginFailure:
            raise CommandFailed(
                "Discord rejected DISCORD_TOKEN: reset the token in the developer portal and update .env."
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise CommandFailed(
                "Discord refused the Server Members intent: turn it on under Bot -> Privileged Gateway Intents."
            ) from None
        except Exception:
            # The gateway task died for good: exit non-zero so the supervisor (systemd) restarts us with backoff.
            log.exception("The Discord connection stopped unexpectedly; exiting with status 1 for a restart")
            return 1
        return 0
    finally:
        await database.dispose()
        if lock is not None:
            lock.release()


async def _migrate(settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        await _migrate_or_refuse(database, migrate=True)
    finally:
        await database.dispose()
    _say(f"Database {database.describe()} is at revision {head_revision()}.")
    return 0


async def _check(settings: Settings) -> int:
    for name, value in settings.describe():
        _say(f"{name:22} {value}")
    database = Database(settings.database_url)
    try:
        try:
            current = await current_revision(database)
            up_to_date = await is_up_to_date(database)
        except (OperationalError, DBAPIError, OSError) as error:
            raise _cannot_open(database, error) from None
        if database.is_postgresql:  # while the pool keeps its connection, as in the running bot
            await _probe_leader(database)
    finally:
        await database.dispose()
    _say(f"{'Database schema':22} {current or 'empty'} (this version needs {head_revision()})")
    if database.is_postgresql:
        _say(f"{'Dispatcher leader':22} its own connection opens (PostgreSQL advisory lock)")
    if not up_to_date:
        _say("Run `blether migrate` (or `blether run`, which migrates first).")
    if settings.platform == "matrix":
        for line in await _check_matrix(settings):
            _say(line)
        _say("Configuration OK.")
        return 0
    if not settings.discord_token:
        _say("DISCORD_TOKEN is missing: `blether run` will refuse to start.")
        return 1
    _say("Configuration OK.")
    return 0


def _backup(settings: Settings, out: Path) -> int:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise CommandFailed("`blether backup` copies SQLite databases; for PostgreSQL use pg_dump (docs/deploy.md).")
    source = url.database or ""
    if not source or not Path(source).exists():
        raise CommandFailed(f"there is no SQLite database at {source or '(memory)'} to back up.")
    if out.exists():
        raise CommandFailed(f"{out} already exists; choose a new file name.")
    sqlite_online_backup(source, out)
    _say(f"Backed up {source} to {out} (a consistent online copy; the bot may keep running).")
    return 0


def _flash_export(settings: Settings, number: int, guild_id: int, fmt: str, out: Path | None) -> int:
    text = asyncio.run(_read_flash_issue(settings, number, guild_id, fmt))
    if out is None:
        sys.stdout.write(text)
    else:
        write_private_file(out, text)
        _say(f"Wrote Flash Report #{number} ({fmt}) to {out}.")
    return 0


async def _read_flash_issue(settings: Settings, number: int, guild_id: int, fmt: str) -> str:
    from bot.core.errors import DomainError
    from bot.core.flash.export import export_issue

    database = Database(settings.database_url)
    try:
        text = await export_issue(database, guild_id, number, fmt)
    except DomainError as error:
        raise CommandFailed(str(error)) from None
    except (OperationalError, DBAPIError, OSError) as error:
        raise _cannot_open(database, error) from None
    finally:
        await database.dispose()
    return text


def _evaluation_export(settings: Settings, guild_id: int, out: Path, fmt: str) -> int:
    files = asyncio.run(_build_evaluation_export(settings, guild_id, fmt))
    make_private_dir(out)
    for file in files:
        path = write_private_file(out / Path(file.filename).name, file.data)
        _say(f"Wrote {path}")
    return 0


async def _build_evaluation_export(settings: Settings, guild_id: int, fmt: str) -> tuple[FileAttachment, ...]:
    from bot.core.clock import SystemClock
    from bot.core.delivery.dispatcher import Dispatcher
    from bot.core.errors import DomainError
    from bot.core.evaluation import EvaluationService
    from bot.core.programme.permissions import command_line_actor

    database = Database(settings.database_url)
    clock = SystemClock()
    try:
        # Exports never erase or schedule anything: no Flash Report service (erasure refuses), and a dispatcher
        # that is never started.
        dispatcher = Dispatcher(database, clock, worker_id="cli-export", poll_interval=None)
        service = EvaluationService(database, clock, dispatcher=dispatcher, export_key=settings.export_key)
        result = await service.export(command_line_actor(guild_id), "all", fmt)
    except DomainError as error:
        raise CommandFailed(str(error)) from None
    except (OperationalError, DBAPIError, OSError) as error:
        raise _cannot_open(database, error) from None
    finally:
        await database.dispose()
    return result.files


def _evaluation_report(settings: Settings, guild_id: int, out: Path) -> int:
    paths = asyncio.run(_write_evaluation_report(settings, guild_id, out))
    _say(f"Wrote the programme report to {paths[0]} ({len(paths) - 1} chart images beside it).")
    return 0


async def _write_evaluation_report(settings: Settings, guild_id: int, out: Path) -> list[Path]:
    from bot.core.evaluation import write_report

    database = Database(settings.database_url)
    try:
        return await write_report(database, guild_id, out)
    except (OperationalError, DBAPIError, OSError) as error:
        raise _cannot_open(database, error) from None
    finally:
        await database.dispose()


def sqlite_online_backup(source: str, target: Path) -> None:
    """Copy a live SQLite database with SQLite's online backup API (safe while the bot writes) to a new file
    readable by its owner only (0600; SQLite gives its journal the same mode)."""
    create_private_file(target)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


OFFLINE = "the command line does not talk to Discord; the running bot sends this"


class _OfflineSender:
    """The Sender of a command-line process: it never posts (its dispatcher is never started)."""

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Refuse: only the running bot posts."""
        raise PermanentSendError(OFFLINE)

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Refuse: only the running bot sends DMs."""
        raise PermanentSendError(OFFLINE)

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Refuse: only the running bot edits."""
        raise PermanentSendError(OFFLINE)

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Refuse: only the running bot reads channels."""
        raise PermanentSendError(OFFLINE)


def _describe_error(error: Exception) -> list[str]:
    """Return a domain error's message and each of its problems (all of them: a terminal has room)."""
    problems = [str(p) for p in getattr(error, "problems", None) or []]
    return [str(error), *(f"  {p}" for p in problems)]


async def _import_sessions(settings: Settings, path: Path, guild_id: int, *, dry_run: bool) -> int:
    """Add sessions from a CSV or YAML file as the operator (all rows or none); print what happened."""
    from bot.app import build_services
    from bot.core.errors import DomainError
    from bot.core.programme.importer import MAX_FILE_BYTES
    from bot.core.programme.permissions import command_line_actor
    from bot.core.programme.times import format_local

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # one byte more lets the importer say the file is too big
    except OSError as error:
        raise CommandFailed(f"cannot read {path}: {error.strerror or error}") from None
    database = Database(settings.database_url)
    try:
        await _migrate_or_refuse(database, migrate=False)
        # The same wiring as the bot (so reflection polls follow the sessions too), but offline: the dispatcher
        # is never started, it only stores the rows that the running bot's dispatcher finds at its next look;
        # without a mirror no Scheduled Event is made (ProgrammeService takes mirror=None as "do not mirror").
        services = build_services(settings, database, sender=_OfflineSender(), mirror=None)
        try:
            result = await services.programme.import_sessions(
                command_line_actor(guild_id), data, path.name, dry_run=dry_run
            )
            programme = await services.programme.show(guild_id)
        except DomainError as error:
            for line in _describe_error(error):
                _complain(line)
            return 1
        finally:
            await services.stop()
    except (OperationalError, DBAPIError, OSError) as error:
        raise _cannot_open(database, error) from None
    finally:
        await database.dispose()
    if result.sessions:
        count = len(result.sessions)
        _say(f"Imported {count} session{'s' if count != 1 else ''} into server {guild_id} ({programme.timezone}):")
        for session in result.sessions:
            _say(f"  {session.number:>3}  {format_local(session.starts_at, programme.zone)}  {session.title}")
        _say(
            "Their reminders are scheduled; the running bot picks them up within a minute. Discord Scheduled "
            "Events are not created from the command line (the next /session edit of a session creates its event)."
        )
    for note in result.notes:
        _say(note)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="blether", description="Blether: a Discord bot for learning programmes.")
    parser.add_argument("--version", action="version", version=f"blether {__version__}")
    parser.add_argument("--env-file", default=".env", help="read settings from this file (default .env)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the bot (applies pending migrations first)")
    run.add_argument("--no-migrate", action="store_true", help="refuse to start on an out-of-date database")
    run.add_argument("--platform", choices=PLATFORMS, help="discord (default) or matrix; overrides BLETHER_PLATFORM")
    sub.add_parser("migrate", help="upgrade the database to the latest schema")
    check = sub.add_parser("check", help="validate configuration and database (on Matrix: also the access token)")
    check.add_argument("--platform", choices=PLATFORMS, help="discord (default) or matrix; overrides BLETHER_PLATFORM")
    backup = sub.add_parser("backup", help="copy the SQLite database to a file while the bot runs")
    backup.add_argument("out", type=Path, help="the backup file to create")
    flash = sub.add_parser("flash", help="Flash Report tools").add_subparsers(dest="flash_command", required=True)
    export = flash.add_parser("export", help="export a published Flash Report as Markdown or HTML")
    export.add_argument("issue", type=int, metavar="ISSUE", help="the issue number, e.g. 3")
    export.add_argument("--guild", type=int, required=True, metavar="ID", help="the Discord server id")
    export.add_argument("--format", choices=("md", "html"), default="md", help="md (default) or html")
    export.add_argument("--out", type=Path, help="write to this file instead of standard output")
    ev_export = sub.add_parser("export", help="write the pseudonymised evaluation export (a zip of every table)")
    ev_export.add_argument("--guild", type=int, required=True, metavar="ID", help="the Discord server id")
    ev_export.add_argument("--out", type=Path, required=True, metavar="DIR", help="the directory to write into")
    ev_export.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    report = sub.add_parser("report", help="write the programme report (HTML with its chart images beside it)")
    report.add_argument("--guild", type=int, required=True, metavar="ID", help="the Discord server id")
    report.add_argument("--out", type=Path, required=True, help="the HTML file (or a directory) to write")
    programme = sub.add_parser("programme", help="programme tools that work without Discord")
    actions = programme.add_subparsers(dest="programme_command", required=True, metavar="ACTION")
    importer = actions.add_parser(
        "import",
        help="add sessions from a CSV or YAML file (all rows or none)",
        description="Add sessions from a CSV or YAML file as the operator: every row, or none when any row is "
        "wrong (each problem is listed with its line). Columns: number, title, start (YYYY-MM-DD HH:MM in the "
        "programme's time zone), duration, location (https link, voice:ID or stage:ID), description, speaker.",
    )
    importer.add_argument("file", type=Path, metavar="FILE", help="the CSV or YAML file (at most 256 KiB)")
    importer.add_argument("--guild", type=int, required=True, metavar="ID", help="the Discord server id")
    importer.add_argument("--dry-run", action="store_true", help="check the file and store nothing")
    shell = sub.add_parser(
        "shell",
        help="try a whole programme in the terminal, without Discord (everyone simulated)",
        description="Run a local programme on an SQLite file with everyone simulated: slash commands as on "
        "Discord (/session add number:1 …), `as NAME` to act as someone else, `press N` for buttons, `wait 1d` "
        "to move the simulated clock so reminders, reflection cards and Flash Reports go out.",
    )
    shell.add_argument(
        "--db",
        type=Path,
        default=Path("blether-shell.db"),
        metavar="PATH",
        help="the SQLite file (default ./blether-shell.db)",
    )
    shell.add_argument("--script", type=Path, metavar="FILE", help="run the lines of FILE and print the transcript")
    shell.add_argument(
        "--fresh", action="store_true", help="start from an empty database (deletes the --db file first)"
    )
    return parser


def _shell(settings: Settings, args: argparse.Namespace) -> int:
    from bot.shell.runner import run_shell
    from bot.shell.world import NotAShellDatabaseError

    if "LOG_LEVEL" not in os.environ:  # keep the terminal for the transcript: warnings and errors only
        setup_logging("WARNING", secrets=[settings.export_key])
    if args.script is not None and not args.script.is_file():
        raise CommandFailed(f"there is no script {args.script}.")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            return run_shell(settings, args.db, script=args.script, fresh=args.fresh)
    except NotAShellDatabaseError as error:
        raise CommandFailed(str(error)) from None
    return 0


Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the blether command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    load_dotenv(args.env_file, override=False)  # real environment variables win over .env
    try:
        settings = Settings.from_env(require_token=args.command == "run", platform=getattr(args, "platform", None))
    except ConfigError as error:
        _complain(str(error))
        return EXIT_CONFIG
    matrix_secrets = [settings.matrix.access_token, settings.matrix.password] if settings.matrix else []
    setup_logging(settings.log_level, secrets=[settings.discord_token, settings.export_key, *matrix_secrets])
    try:
        if args.command == "run":
            with contextlib.suppress(KeyboardInterrupt):
                return asyncio.run(_run_bot(settings, migrate=not args.no_migrate))
            return 0
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "check":
            return asyncio.run(_check(settings))
        if args.command == "backup":
            return _backup(settings, args.out)
        if args.command == "flash":
            return _flash_export(settings, args.issue, args.guild, args.format, args.out)
        if args.command == "export":
            return _evaluation_export(settings, args.guild, args.out, args.format)
        if args.command == "report":
            return _evaluation_report(settings, args.guild, args.out)
        if args.command == "shell":
            return _shell(settings, args)
        if args.command == "programme" and args.programme_command == "import":
            return asyncio.run(_import_sessions(settings, args.file, args.guild, dry_run=args.dry_run))
    except (CommandFailed, AlreadyRunningError) as error:
        _complain(str(error))
        return EXIT_CONFIG
    parser.error(f"unknown command {args.command}")
    return EXIT_CONFIG
