"""Start Blether on Matrix: log in (or use the token), wire the core to the Matrix ports, follow the sync stream."""

import asyncio
import contextlib
import logging
import signal
from zoneinfo import ZoneInfo

import aiohttp
from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError

from bot.app import build_services
from bot.config import MatrixSettings, Settings
from bot.core.storage.database import Database
from bot.core.storage.external_ids import SqlExternalIdRepository
from bot.logging_setup import REDACTOR
from bot.matrix.bot import MatrixBot
from bot.matrix.http import BletherHTTPAPI
from bot.matrix.ids import PLATFORM, ROOM, USER, MatrixIds, MatrixState
from bot.matrix.sender import MatrixSender

log = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"


class MatrixLoginError(RuntimeError):
    """The homeserver refused the bot's token or password; the message says what to fix (one line)."""


async def access_token(session: aiohttp.ClientSession, settings: MatrixSettings, state: MatrixState, clock) -> str:
    """Return the token to use: MATRIX_ACCESS_TOKEN, the one kept from an earlier login, or a new login's."""
    if settings.access_token:
        return settings.access_token
    kept = await state.get(ACCESS_TOKEN)
    if kept:
        REDACTOR.add_secret(kept)
        return kept
    api = BletherHTTPAPI(settings.homeserver, client_session=session)
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": settings.user_id},
        "password": settings.password,
        "initial_device_display_name": "Blether",
    }
    try:
        answer = await api.request(Method.POST, Path.v3.login, body, sensitive=True)
    except MatrixRequestError as error:
        raise MatrixLoginError(
            f"the homeserver refused the password login for {settings.user_id} ({getattr(error, 'errcode', '?')}): "
            "check MATRIX_PASSWORD, or set MATRIX_ACCESS_TOKEN."
        ) from None
    token = answer["access_token"]
    REDACTOR.add_secret(token)
    await state.set(ACCESS_TOKEN, token, now=clock.now())
    log.info("Logged in to Matrix as %s; the access token is kept in the database", settings.user_id)
    return token


async def whoami(api: BletherHTTPAPI, settings: MatrixSettings) -> None:
    """Check the token belongs to MATRIX_USER_ID; raise MatrixLoginError (one line) otherwise."""
    try:
        answer = await api.request(Method.GET, Path.v3.account.whoami)
    except MatrixRequestError as error:
        raise MatrixLoginError(
            f"the homeserver rejected the access token ({getattr(error, 'errcode', '?')}): create a new one "
            "(docs/deploy.md) and update MATRIX_ACCESS_TOKEN."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise MatrixLoginError(f"cannot reach {settings.homeserver}: {type(error).__name__}") from None
    if answer.get("user_id") != settings.user_id:
        raise MatrixLoginError(
            f"the access token belongs to {answer.get('user_id')}, not MATRIX_USER_ID={settings.user_id}."
        )


async def matrix_report(settings: Settings) -> list[str]:
    """For `blether check`: the token works, and which programme rooms Blether cannot read (encrypted)."""
    assert settings.matrix is not None
    matrix = settings.matrix
    database = Database(settings.database_url)
    lines: list[str] = []
    try:
        state = MatrixState(database)
        ids = MatrixIds(database)
        async with aiohttp.ClientSession() as session:
            from bot.core.clock import SystemClock

            token = await access_token(session, matrix, state, SystemClock())
            api = BletherHTTPAPI(matrix.homeserver, token, client_session=session)
            await whoami(api, matrix)
            lines.append(f"{'Matrix account':22} {matrix.user_id} (the access token works)")
            for room in await programme_rooms(database, ids):
                path = Path.v3.rooms[room].state["m.room.encryption"]
                try:
                    await api.request(Method.GET, path)
                except MatrixRequestError:
                    continue  # no encryption state: readable
                lines.append(
                    f"{'Encrypted room':22} {room}: Blether cannot read commands there; use an unencrypted room."
                )
    finally:
        await database.dispose()
    return lines


async def programme_rooms(database: Database, ids: MatrixIds) -> list[str]:
    """Return the Matrix ids of every room a programme names."""
    from bot.core.programme.service import ProgrammeService  # noqa: F401  (the programme's rooms, read below)
    from bot.matrix.ids import ROOM as ROOM_KIND

    async with database.unit_of_work() as uow:
        known = await uow.repo(SqlExternalIdRepository).find(PLATFORM, ROOM_KIND)
    return sorted({room for _number, room in known})


async def run_matrix(settings: Settings, database: Database) -> int:
    """Run Blether on Matrix until SIGTERM or SIGINT; return the exit code."""
    assert settings.matrix is not None
    matrix = settings.matrix
    REDACTOR.add_secret(matrix.access_token)
    REDACTOR.add_secret(matrix.password)
    logging.getLogger("mau").setLevel(logging.WARNING)  # mautrix logs request bodies at DEBUG
    async with aiohttp.ClientSession() as session:
        state = MatrixState(database)
        from bot.core.clock import SystemClock

        clock = SystemClock()
        token = await access_token(session, matrix, state, clock)
        api = BletherHTTPAPI(matrix.homeserver, token, client_session=session)
        await whoami(api, matrix)
        ids = MatrixIds(database)

        async def zone() -> ZoneInfo:
            return ZoneInfo(settings.timezone)

        async def role_members(role_id: int) -> list[str]:
            """Return the Matrix ids of everyone who joined the programme whose participants "role" this is."""
            role = await ids.external(role_id)
            if role is None or not role.startswith("participants@"):
                return []
            guild_id = await ids.number(ROOM, role.removeprefix("participants@"))
            found = []
            for participant in await services.participants.list_participants(guild_id, active_only=True):
                mxid = await ids.external(participant.user_id)
                if mxid:
                    found.append(mxid)
            return found

        sender = MatrixSender(api, ids, state, clock, user_id=matrix.user_id, zone=zone, role_members=role_members)
        services = build_services(settings, database, sender=sender, mirror=None, clock=clock)
        await ids.number(USER, matrix.user_id)
        bot = MatrixBot(api, matrix, services, ids, state, sender)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, bot.stop)
        await services.start()
        log.info("Blether is following Matrix as %s on %s", matrix.user_id, matrix.homeserver)
        try:
            await bot.run()
        finally:
            await services.stop()
    return 0
