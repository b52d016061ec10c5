"""FakeDiscord: start the loopback server and drive it from tests (act as users, wait, inspect, inject faults)."""

# The test-facing API takes timeout= arguments on purpose (as the brief's driver API specifies).

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import web

from . import permissions as perms
from .faults import DEFAULT_ROUTE_LIMITS, FAULT_KINDS, FakeStats, Fault, RateLimiter
from .gateway import Gateway
from .ids import utcnow
from .interactions import (
    AttachmentInput,
    InteractionHandle,
    OptionBuilder,
    channel_type_context,
    modal_submit_components,
    select_values,
)
from .rest import API_PREFIX, RestApi
from .state import (
    ATTACHMENT_SIZE_LIMIT,
    CHANNEL_CATEGORY,
    CHANNEL_TEXT,
    ApplicationCommand,
    Attachment,
    Channel,
    FakeState,
    InteractionRecord,
    Member,
    Message,
    RecordedRequest,
    Role,
    ScheduledEvent,
    User,
    VoiceState,
)
from .validate import SpecResult, Violation, check_limits, check_no_pings, validate_requests

log = logging.getLogger(__name__)

T = TypeVar("T")
UserLike = Member | User | int
ChannelLike = Channel | int
MessageLike = Message | int


class FakeDiscordTimeout(AssertionError):
    """Raised when a wait on the fake times out; the message lists the latest requests for context."""


class Handles(Generic[T]):
    """Attribute access to named fixtures: ``fake.users.fran``, ``fake.channels.general``, ``fake.roles.bot``."""

    def __init__(self, items: dict[str, T]) -> None:
        self._items = items

    def __getattr__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(f"no {name!r}; known: {sorted(self._items)}") from None

    def __getitem__(self, name: str) -> T:
        return self._items[name.replace("-", "_").replace(" ", "_").lower()]

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<Handles {sorted(self._items)}>"


class FakeDiscord:
    """A loopback Discord (REST under /api/v10 + gateway at /gateway) that the real discord.py connects to."""

    def __init__(
        self,
        token: str = "test-token",
        *,
        guild_id: int | None = None,
        application_id: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        heartbeat_interval: float = 41.25,
        gateway_compress: bool = True,
        interaction_ack_timeout: float | None = 3.0,
        interaction_token_lifetime: float = 15 * 60.0,
        nonce_window: float = 300.0,
        enforce_limits: bool = True,
        bot_permissions: int = perms.BOT_DEFAULT,
        bot_name: str = "Blether",
        locale: str = "en-GB",
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.heartbeat_interval = heartbeat_interval
        self.gateway_compress = gateway_compress
        self.interaction_ack_timeout = interaction_ack_timeout
        self.interaction_token_lifetime = interaction_token_lifetime
        self.nonce_window = nonce_window
        self.enforce_limits = enforce_limits
        self.locale = locale
        self.state = FakeState(
            guild_id=guild_id, application_id=application_id, bot_name=bot_name, bot_permissions=bot_permissions
        )
        self.users: Handles[Member] = Handles(self.state.named_users)
        self.channels: Handles[Channel] = Handles(self.state.named_channels)
        self.roles: Handles[Role] = Handles(self.state.named_roles)
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.rate_limiter: RateLimiter | None = None
        self.stats = FakeStats()
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.cdn_requests: list[str] = []
        self.internal_errors: list[tuple[RecordedRequest, Exception]] = []
        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Event | None = None
        self._ready_count = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        where = self.base_url if self._runner else "not started"
        return f"<FakeDiscord {where} guild={self.state.guild.id} requests={len(self.requests)}>"

    # -- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Bind to 127.0.0.1 and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._changed = asyncio.Event()
        log.info("Fake Discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close websockets and stop the server."""
        for task in list(self._tasks):
            task.cancel()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def guild_id(self) -> int:
        """Return the fake guild's id."""
        return self.state.guild.id

    @property
    def application_id(self) -> int:
        """Return the application id (also the bot user's id)."""
        return self.state.application_id

    @property
    def guild(self) -> Any:
        """Return the fake guild (roles, channels, members, voice states, scheduled events)."""
        return self.state.guild

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:PORT."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Return the value for discord.http.Route.BASE."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Return the value for DiscordWebSocket.DEFAULT_GATEWAY (also the resume_gateway_url)."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def gateway_base(self) -> str:
        """Return the gateway URL as GET /gateway reports it."""
        return self.gateway_url

    def env(self) -> dict[str, str]:
        """Return environment variables that point the Blether bot at this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE_URL": self.api_base_url,
            "DISCORD_GATEWAY_URL": self.gateway_url,
            "DISCORD_GUILD_ID": str(self.state.guild.id),
            "DEV_GUILD_ID": str(self.state.guild.id),
        }

    @contextlib.contextmanager
    def patch_discord_py(self) -> Iterator[None]:
        """Point discord.py's Route.BASE and DEFAULT_GATEWAY here for the duration of the block."""
        import yarl
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        self.cdn_requests.append(request.path)
        attachment = self.state.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=attachment.data, headers={"Content-Type": attachment.content_type or "application/octet-stream"}
        )

    # -- change notification and waiting -----------------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting on the fake's state."""
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def mark_ready(self) -> None:
        """Record that a session identified and got its guild."""
        self._ready_count += 1
        self.notify()

    def timeout_error(self, what: str, timeout: float) -> FakeDiscordTimeout:
        """Build a timeout error listing the last requests, for readable test failures."""
        recent = "\n".join(
            f"  {r.method} {r.path} -> {r.status}{' [' + r.injected + ']' if r.injected else ''}"
            for r in self.requests[-12:]
        )
        detail = recent or "  none"
        return FakeDiscordTimeout(f"timed out after {timeout}s waiting for {what}; last requests:\n{detail}")

    async def wait_until(self, predicate: Callable[[], T], timeout: float = 5.0, what: str = "condition") -> T:
        """Wait until predicate() is truthy and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.timeout_error(what, timeout)
            event = self._changed
            if event is None:
                raise RuntimeError("FakeDiscord.start() was not awaited")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    async def wait_ready(self, timeout: float = 5.0) -> None:
        """Wait until a client identified and was sent READY + GUILD_CREATE."""
        await self.wait_until(lambda: self._ready_count > 0, timeout, "IDENTIFY/READY")

    async def wait_commands_synced(self, timeout: float = 5.0, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``count`` bulk command overwrites happened; return the current commands."""
        await self.wait_until(lambda: len(self.command_syncs) >= count, timeout, f"{count} command sync(s)")
        return self.commands()

    async def wait_resumed(self, timeout: float = 5.0, count: int = 1) -> None:
        """Wait until the client sent ``count`` successful RESUMEs in total."""
        await self.wait_until(lambda: self.gateway.resume_count >= count, timeout, f"{count} RESUME(s)")

    async def wait_identified(self, timeout: float = 5.0, count: int = 1) -> None:
        """Wait until ``count`` IDENTIFYs happened in total."""
        await self.wait_until(lambda: self.gateway.identify_count >= count, timeout, f"{count} IDENTIFY(s)")

    async def wait_for_message(
        self,
        channel: ChannelLike,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int | None = None,
        include_ephemeral: bool = False,
    ) -> Message:
        """Wait for the first message in the channel (id > since) matching predicate; existing ones count."""
        cid = _id(channel)

        def find() -> Message | None:
            for message in self.state.channel_messages(cid, include_ephemeral=include_ephemeral):
                if since is not None and message.id <= since:
                    continue
                if message.loading:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.wait_until(find, timeout, f"a message in channel {cid}")

    async def wait_for_dm(
        self,
        user: UserLike,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int | None = None,
    ) -> Message:
        """Wait for a DM from the bot to the user matching predicate."""
        uid = _id(user)

        def find() -> Message | None:
            for message in self.dms_to(uid):
                if since is not None and message.id <= since:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.wait_until(find, timeout, f"a DM to user {uid}")

    async def wait_for_request(
        self,
        route: str,
        method: str | None = None,
        predicate: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
    ) -> RecordedRequest:
        """Wait for a recorded request to a route template (and method) matching predicate."""

        def find() -> RecordedRequest | None:
            for record in self.requests_to(route, method):
                if record.status and (predicate is None or predicate(record)):
                    return record
            return None

        return await self.wait_until(find, timeout, f"{method or '*'} {route}")

    def cursor(self) -> int:
        """Return a snowflake for "now"; pass it as ``since=`` to only wait for newer messages."""
        return self.state.next_id()

    # -- inspection --------------------------------------------------------------------------------------------

    def requests_to(self, route: str, method: str | None = None) -> list[RecordedRequest]:
        """Return recorded requests whose route template (or redacted path) is ``route``."""
        return [
            r
            for r in self.requests
            if (r.route == route or r.path == route) and (method is None or r.method == method.upper())
        ]

    def channel_messages(
        self, channel: ChannelLike, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        """Return a channel's messages, oldest first."""
        return self.state.channel_messages(
            _id(channel), include_ephemeral=include_ephemeral, include_deleted=include_deleted
        )

    def threads(self, parent: ChannelLike | None = None, *, active_only: bool = False) -> list[Channel]:
        """Return the threads made in a channel (or in the guild), oldest first; each has thread_members."""
        return self.state.threads_of(None if parent is None else _id(parent), active_only=active_only)

    def dm_channel(self, user: UserLike) -> Channel:
        """Return (creating if needed) the DM channel between the bot and a user."""
        return self.state.dm_channel_for(_id(user))

    def dms_to(self, user: UserLike) -> list[Message]:
        """Return the bot's messages in its DM channel with the user."""
        cid = self.state.dm_channel_by_user.get(_id(user))
        if cid is None:
            return []
        return [m for m in self.state.channel_messages(cid) if m.author.id == self.state.bot_user.id]

    @property
    def nonce_counts(self) -> dict[str, int]:
        """Return how many message-create requests carried each nonce."""
        return self.state.nonce_counts

    @property
    def messages_by_nonce(self) -> dict[str, list[Message]]:
        """Return the messages created per nonce (one each when dedupe worked)."""
        return self.state.messages_by_nonce

    def message(self, message_id: int) -> Message:
        """Return a stored message by id."""
        return self.state.messages[message_id]

    def attachment(self, attachment_id: int) -> Attachment:
        """Return a stored attachment (with its bytes) by id."""
        return self.state.attachments[attachment_id]

    def commands(self, *, scope: str = "all") -> list[dict[str, Any]]:
        """Return registered commands as Discord returns them; scope is "all", "guild" or "global"."""
        result = []
        for command in self.state.commands.values():
            if (scope == "guild" and command.guild_id is None) or (scope == "global" and command.guild_id is not None):
                continue
            result.append(command.payload())
        return result

    def command(self, name: str, ctype: int = 1) -> ApplicationCommand:
        """Return the registered command with this top-level name (guild commands win over global ones)."""
        found = sorted(
            (c for c in self.state.commands.values() if c.name == name and c.type == ctype),
            key=lambda c: c.guild_id is None,
        )
        if not found:
            names = sorted({c.name for c in self.state.commands.values()})
            raise LookupError(f"command {name!r} is not registered; registered: {names}")
        return found[0]

    @property
    def scheduled_events(self) -> list[ScheduledEvent]:
        """Return the guild's scheduled events that were not deleted."""
        return [e for e in self.state.guild.scheduled_events.values() if not e.deleted]

    def interactions(self) -> list[InteractionHandle]:
        """Return handles for every interaction dispatched so far."""
        return [InteractionHandle(self, r) for r in self.state.interactions.values()]

    def spec_errors(self, records: Sequence[RecordedRequest] | None = None) -> list[str] | SpecResult:
        """Validate recorded request bodies against the OpenAPI spec (SPEC_UNAVAILABLE if it is absent)."""
        return validate_requests(self.requests if records is None else records)

    def limit_violations(self) -> list[tuple[RecordedRequest, Violation]]:
        """Return every Discord limit broken by any recorded request body."""
        return [(r, v) for r in self.requests if isinstance(r.json, dict) for v in check_limits(r.json)]

    def ping_violations(
        self, *, allow_roles: Sequence[int] = (), allow_users: Sequence[int] = ()
    ) -> list[tuple[RecordedRequest, Violation]]:
        """Return message-sending requests whose allowed_mentions could ping someone."""
        sending = ("/messages", "/callback", "/webhooks/")
        found = []
        for record in self.requests:
            if record.method not in ("POST", "PATCH") or not isinstance(record.json, dict):
                continue
            if not any(part in (record.route or "") for part in sending):
                continue
            for violation in check_no_pings(record.json, allow_roles=allow_roles, allow_users=allow_users):
                found.append((record, violation))
        return found

    # -- configuration -----------------------------------------------------------------------------------------

    def inject(
        self,
        route: str,
        method: str | None = None,
        kind: str = "429",
        count: int = 1,
        *,
        retry_after: float = 0.3,
        delay: float = 0.0,
        is_global: bool = False,
        status: int = 400,
        code: int = 0,
        message: str | None = None,
        where: Callable[[RecordedRequest], bool] | None = None,
    ) -> Fault:
        """Make the next ``count`` matching requests fail (route is a template, a path or "*")."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        fault = Fault(
            route,
            method.upper() if method else None,
            kind,
            count,
            retry_after,
            delay,
            is_global,
            status,
            code,
            message,
            where,
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    def rate_limits(
        self,
        global_per_s: int | None = 50,
        per_route: Mapping[str, tuple[int, float]] | None = None,
        *,
        default: tuple[int, float] | None = None,
        enabled: bool = True,
    ) -> None:
        """Enforce rate limits with X-RateLimit-* headers; per_route keys are "METHOD template" or a template."""
        if not enabled:
            self.rate_limiter = None
            return
        limits = dict(DEFAULT_ROUTE_LIMITS)
        limits.update(per_route or {})
        self.rate_limiter = RateLimiter(global_per_s=global_per_s, per_route=limits, default=default)

    def drop_gateway(self, resume: bool = True, *, abrupt: bool = False) -> asyncio.Task[None]:
        """Disconnect the client (it RESUMEs if resume, else gets INVALID_SESSION and re-IDENTIFYs)."""
        task = asyncio.get_running_loop().create_task(self.gateway.drop(resume=resume, abrupt=abrupt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def set_dms_open(self, user: UserLike, open_: bool = True) -> None:
        """Let (or stop) the bot DM a user; closed DMs answer 403 code 50007."""
        self.state.users[_id(user)].dms_open = open_

    def set_bot_permissions(self, value: int) -> None:
        """Replace the permissions of the bot's managed role."""
        self.state.named_roles["bot"].permissions = value

    async def create_role(self, key: str, name: str, permissions: int = 0) -> Role:
        """Add a role (as fake.roles.<key>) and dispatch GUILD_ROLE_CREATE."""
        role = Role(self.state.next_id(), name, permissions, len(self.state.guild.roles), mentionable=True)
        self.state.guild.roles[role.id] = role
        self.state.named_roles[key] = role
        await self.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": role.payload()})
        return role

    async def create_category(self, key: str, name: str) -> Channel:
        """Add a category channel (as fake.channels.<key>) and dispatch CHANNEL_CREATE."""
        channel = Channel(self.state.next_id(), CHANNEL_CATEGORY, name, self.guild_id, len(self.state.guild.channels))
        self.state.add_channel(channel)
        self.state.named_channels[key] = channel
        await self.dispatch("CHANNEL_CREATE", self.state.channel_payload(channel))
        return channel

    async def create_text_channel(self, key: str, name: str) -> Channel:
        """Add a text channel (as fake.channels.<key>) and dispatch CHANNEL_CREATE."""
        channel = Channel(self.state.next_id(), CHANNEL_TEXT, name, self.guild_id, len(self.state.guild.channels))
        self.state.add_channel(channel)
        self.state.named_channels[key] = channel
        await self.dispatch("CHANNEL_CREATE", self.state.channel_payload(channel))
        return channel

    def add_members(self, count: int, *, role: str | None = "participant", prefix: str = "member") -> list[Member]:
        """Add ``count`` members silently (before the bot connects, e.g. for benchmarks)."""
        role_ids = [self.state.named_roles[role].id] if role else []
        added = []
        for index in range(count):
            user = User(self.state.next_id(), f"{prefix}{index}", f"{prefix.title()} {index}")
            added.append(self.state.add_member(user, role_ids))
        return added

    # -- dispatch helpers --------------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a raw gateway dispatch to every live session (intent-filtered)."""
        await self.gateway.dispatch(event, data)
        self.notify()

    async def add_reaction(self, message: Message, key: str, emoji: dict[str, Any], user_id: int) -> None:
        """Store a reaction and dispatch MESSAGE_REACTION_ADD."""
        users = message.reactions.setdefault(key, [])
        message.reaction_emojis[key] = emoji
        if user_id in users:
            return
        users.append(user_id)
        await self.rest._reaction_event("MESSAGE_REACTION_ADD", message, user_id, emoji)

    async def remove_reaction(self, message: Message, key: str, emoji: dict[str, Any], user_id: int) -> None:
        """Remove a reaction and dispatch MESSAGE_REACTION_REMOVE."""
        users = message.reactions.get(key, [])
        if user_id not in users:
            return
        users.remove(user_id)
        await self.rest._reaction_event("MESSAGE_REACTION_REMOVE", message, user_id, emoji)

    async def bot_voice_state(self, data: dict[str, Any]) -> None:
        """Apply the bot's own op 4 voice state update (no voice server is offered)."""
        channel_id = data.get("channel_id")
        await self._set_voice(
            self.state.bot_user.id,
            int(channel_id) if channel_id else None,
            self_mute=bool(data.get("self_mute")),
            self_deaf=bool(data.get("self_deaf")),
        )

    async def _set_voice(
        self, user_id: int, channel_id: int | None, *, self_mute: bool = False, self_deaf: bool = False
    ) -> VoiceState:
        guild = self.state.guild
        current = guild.voice_states.get(user_id)
        session_id = current.session_id if current else secrets.token_hex(16)
        channel = self.state.channels.get(channel_id or 0)
        voice = VoiceState(
            user_id, channel_id, session_id, self_mute, self_deaf, suppress=bool(channel and channel.type == 13)
        )
        if channel_id is None:
            guild.voice_states.pop(user_id, None)
        else:
            guild.voice_states[user_id] = voice
        await self.dispatch("VOICE_STATE_UPDATE", self.state.voice_state_payload(voice))
        return voice

    # -- acting as users ---------------------------------------------------------------------------------------

    def _member(self, user: UserLike | None) -> Member | User:
        if user is None:
            return self.users.fran
        if isinstance(user, Member | User):
            return user
        found = self.state.guild.members.get(int(user)) or self.state.users.get(int(user))
        if found is None:
            raise ValueError(f"unknown user {user!r}")
        return found

    def _channel(self, channel: ChannelLike | None) -> Channel:
        if channel is None:
            return self.channels.general
        found = self.state.channels.get(_id(channel))
        if found is None:
            raise ValueError(f"unknown channel {channel!r}")
        return found

    def make_attachment(self, value: AttachmentInput, channel_id: int) -> Attachment:
        """Turn bytes, (filename, bytes[, content_type]), a Path or an Attachment into a served attachment."""
        if isinstance(value, Attachment):
            return value
        content_type: str | None = None
        if isinstance(value, bytes):
            filename, data = "upload.bin", value
        elif isinstance(value, Path):
            filename, data = value.name, value.read_bytes()
        elif isinstance(value, tuple) and len(value) in (2, 3):
            filename, data = value[0], value[1]
            content_type = value[2] if len(value) == 3 else None
        else:
            raise TypeError(f"cannot make an attachment from {type(value).__name__}")
        content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return self.state.attachment_for(data, filename, self.base_url, channel_id, content_type, ephemeral=True)

    async def _interact(
        self,
        itype: int,
        user: UserLike | None,
        channel: ChannelLike | None,
        data: dict[str, Any],
        *,
        message: Message | None = None,
        source: InteractionRecord | None = None,
        locale: str | None = None,
    ) -> InteractionHandle:
        state = self.state
        invoker = self._member(user)
        where = self._channel(channel)
        iid = state.next_id()
        token = secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(state.application_id),
            "type": itype,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale or self.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(where.id),
            "context": channel_type_context(where),
        }
        channel_payload = state.channel_payload(where)
        if where.is_dm:
            user_obj = invoker.user if isinstance(invoker, Member) else invoker
            payload["user"] = user_obj.payload()
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["app_permissions"] = str(perms.EVERYONE_DEFAULT)
        else:
            member = invoker if isinstance(invoker, Member) else state.guild.members.get(invoker.id)
            if member is None:
                raise ValueError(f"{invoker.name} is not a member of the guild")
            allowed = state.channel_permissions(member, where)
            payload.update(
                {
                    "guild_id": str(state.guild.id),
                    "guild": {"id": str(state.guild.id), "locale": state.guild.preferred_locale, "features": []},
                    "guild_locale": state.guild.preferred_locale,
                    "member": member.payload() | {"permissions": str(allowed)},
                    "authorizing_integration_owners": {"0": str(state.guild.id)},
                    "app_permissions": str(state.channel_permissions(state.bot_member(), where)),
                }
            )
            channel_payload["permissions"] = str(allowed)
        payload["channel"] = channel_payload
        if message is not None:
            payload["message"] = state.message_payload(message)
        record = InteractionRecord(
            id=iid,
            token=token,
            type=itype,
            payload=payload,
            user_id=invoker.id,
            channel_id=where.id,
            guild_id=None if where.is_dm else state.guild.id,
            created=time.monotonic(),
            source_message_id=message.id if message is not None else None,
        )
        state.interactions[iid] = record
        state.interaction_by_token[token] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return InteractionHandle(self, record)

    def _command_data(self, command: str, ctype: int = 1) -> tuple[ApplicationCommand, list[str]]:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command")
        return self.command(parts[0], ctype), parts[1:]

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: UserLike | None = None,
        channel: ChannelLike | None = None,
        locale: str | None = None,
        strict: bool = True,
    ) -> InteractionHandle:
        """Invoke "/name [group] [sub]" with options typed from the synced definition (user defaults to fran)."""
        registered, path = self._command_data(command)
        invoker = self._member(user)
        where = self._channel(channel)
        if strict:
            self._check_can_use(registered, invoker, where)
        builder = OptionBuilder(self, invoker, where, strict=strict)
        built = builder.build(registered.definition | {"name": registered.name}, path, options or {})
        data: dict[str, Any] = {"id": str(registered.id), "name": registered.name, "type": 1, "options": built}
        if registered.guild_id is not None:
            data["guild_id"] = str(registered.guild_id)
        if builder.resolved:
            data["resolved"] = builder.resolved
        return await self._interact(2, invoker, where, data, locale=locale)

    def _check_can_use(self, registered: ApplicationCommand, invoker: Member | User, where: Channel) -> None:
        """Refuse what Discord's client would not offer: missing default_member_permissions or wrong context."""
        definition = registered.definition
        contexts = definition.get("contexts")
        context = channel_type_context(where)
        wrong_context = contexts is not None and context not in contexts
        if wrong_context or (where.is_dm and definition.get("dm_permission") is False):
            raise ValueError(f"/{registered.name} is not available in this context ({context}); use strict=False")
        required = definition.get("default_member_permissions")
        if required is None or where.is_dm:
            return
        member = invoker if isinstance(invoker, Member) else self.state.guild.members.get(invoker.id)
        have = self.state.channel_permissions(member, where) if member is not None else 0
        if have & int(required) != int(required) or (int(required) == 0 and have != perms.ALL):
            raise ValueError(
                f"{invoker.name} lacks default_member_permissions={required} for /{registered.name}; Discord would "
                "not offer the command (pass strict=False to send it anyway)"
            )

    async def context_menu(
        self,
        name: str,
        target: UserLike | MessageLike,
        *,
        user: UserLike | None = None,
        channel: ChannelLike | None = None,
    ) -> InteractionHandle:
        """Invoke a user (type 2) or message (type 3) context-menu command on a target."""
        is_message = isinstance(target, Message)
        registered = self.command(name, 3 if is_message else 2)
        where = self._channel(channel)
        resolved: dict[str, Any] = {}
        if isinstance(target, Message):
            resolved["messages"] = {str(target.id): self.state.message_payload(target)}
            target_id = target.id
        else:
            builder = OptionBuilder(self, self._member(user), where, strict=False)
            target_id = builder._resolve_user(target)
            resolved = builder.resolved
        data = {
            "id": str(registered.id),
            "name": registered.name,
            "type": registered.type,
            "target_id": str(target_id),
            "resolved": resolved,
        }
        if registered.guild_id is not None:
            data["guild_id"] = str(registered.guild_id)
        return await self._interact(2, user, where, data)

    async def autocomplete(
        self,
        command: str,
        focused: str,
        value: Any = "",
        options: Mapping[str, Any] | None = None,
        *,
        user: UserLike | None = None,
        channel: ChannelLike | None = None,
        strict: bool = True,
    ) -> InteractionHandle:
        """Send an autocomplete interaction for option ``focused`` with the partially typed ``value``."""
        registered, path = self._command_data(command)
        invoker = self._member(user)
        where = self._channel(channel)
        if strict:
            self._check_can_use(registered, invoker, where)
        builder = OptionBuilder(self, invoker, where, strict=False)
        values = {**(options or {}), focused: value}
        built = builder.build(registered.definition | {"name": registered.name}, path, values, focused=focused)
        data: dict[str, Any] = {"id": str(registered.id), "name": registered.name, "type": 1, "options": built}
        if registered.guild_id is not None:
            data["guild_id"] = str(registered.guild_id)
        if builder.resolved:
            data["resolved"] = builder.resolved
        return await self._interact(4, invoker, where, data)

    def _visible_message(self, message: MessageLike, user: Member | User) -> Message:
        found = self.state.messages.get(_id(message))
        if found is None or found.deleted:
            raise ValueError(f"message {_id(message)} does not exist")
        if found.ephemeral:
            owner = self.state.interactions.get(found.interaction_id or 0)
            if owner is not None and owner.user_id != user.id:
                raise ValueError(f"{user.name} cannot see ephemeral message {found.id}")
        return found

    def _component(self, message: Message, custom_id: str, types: tuple[int, ...]) -> dict[str, Any]:
        component = message.find_component(custom_id)
        if component is None:
            from .state import walk_components

            ids = [c.get("custom_id") for c in walk_components(message.components) if c.get("custom_id")]
            raise ValueError(f"message {message.id} has no component {custom_id!r} (has {ids})")
        if component.get("type") not in types:
            raise ValueError(f"component {custom_id!r} has type {component.get('type')}, expected {types}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        return component

    async def click(self, message: MessageLike, custom_id: str, *, user: UserLike | None = None) -> InteractionHandle:
        """Press a button on a message (user defaults to fran)."""
        invoker = self._member(user)
        found = self._visible_message(message, invoker)
        component = self._component(found, custom_id, (2,))
        if component.get("style") in (5, 6):
            raise ValueError(f"button {custom_id!r} is a link/premium button; it sends no interaction")
        data = {"custom_id": custom_id, "component_type": 2, "id": component.get("id")}
        return await self._interact(3, invoker, found.channel_id, data, message=found)

    async def select(
        self,
        message: MessageLike,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: UserLike | None = None,
        strict: bool = True,
    ) -> InteractionHandle:
        """Choose values in a select menu (string, user, role, mentionable or channel select)."""
        invoker = self._member(user)
        found = self._visible_message(message, invoker)
        component = self._component(found, custom_id, (3, 5, 6, 7, 8))
        chosen = select_values(component, values, strict=strict)
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": component["type"],
            "values": chosen,
            "id": component.get("id"),
        }
        if component["type"] != 3:
            builder = OptionBuilder(self, invoker, self._channel(found.channel_id), strict=False)
            for raw in chosen:
                rid = int(raw)
                if component["type"] == 8:
                    builder._resolve_channel(self._channel(rid))
                elif rid in self.state.guild.roles:
                    builder._resolve_role(rid)
                else:
                    builder._resolve_user(rid)
            data["resolved"] = builder.resolved
        return await self._interact(3, invoker, found.channel_id, data, message=found)

    def _find_modal(self, custom_id: str, user_id: int) -> InteractionRecord | None:
        for record in reversed(list(self.state.interactions.values())):
            callback = record.callback
            is_modal = callback is not None and callback.type == 9 and callback.data is not None
            if is_modal and callback.data.get("custom_id") == custom_id and record.user_id == user_id:
                return record
        return None

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, Any] | None = None,
        *,
        user: UserLike | None = None,
        components: list[dict[str, Any]] | None = None,
        channel: ChannelLike | None = None,
        strict: bool = True,
    ) -> InteractionHandle:
        """Submit a modal; without ``components`` the last modal with this custom_id opened for the user is used."""
        invoker = self._member(user)
        source = self._find_modal(custom_id, invoker.id)
        if components is None:
            if source is None or source.callback is None or source.callback.data is None:
                raise ValueError(f"no modal {custom_id!r} was opened for {invoker.name}; pass components=")
            components = source.callback.data["components"]
        where = self._channel(channel if channel is not None else (source.channel_id if source else None))
        submitted, resolved = modal_submit_components(components, values or {}, self, where.id, strict=strict)
        data: dict[str, Any] = {"custom_id": custom_id, "components": submitted}
        if resolved:
            data["resolved"] = resolved
        message = None
        if source is not None and source.source_message_id is not None:
            message = self.state.messages.get(source.source_message_id)
        return await self._interact(5, invoker, where, data, message=message)

    async def user_message(
        self,
        channel: ChannelLike,
        author: UserLike,
        content: str = "",
        *,
        attachments: Sequence[AttachmentInput] = (),
        reply_to: MessageLike | None = None,
        embeds: Sequence[dict[str, Any]] = (),
    ) -> Message:
        """Post a message as a user (MESSAGE_CREATE); use fake.dm_channel(user) for a DM to the bot."""
        sender = self._member(author)
        user = sender.user if isinstance(sender, Member) else sender
        where = self._channel(channel)
        state = self.state
        reference = state.messages.get(_id(reply_to)) if reply_to is not None else None
        mentions, roles, everyone = state.resolve_mentions(content, None, user, reference)
        message = Message(
            id=state.next_id(),
            channel_id=where.id,
            author=user,
            content=content,
            embeds=list(embeds),
            attachments=[self.make_attachment(a, where.id) for a in attachments],
            guild_id=where.guild_id,
            type=19 if reference else 0,
            mentions=mentions,
            mention_roles=roles,
            mention_everyone=everyone,
        )
        for attachment in message.attachments:
            attachment.ephemeral = False
        if reference is not None:
            message.message_reference = {"type": 0, "message_id": str(reference.id), "channel_id": str(where.id)}
        state.store_message(message)
        await self.dispatch("MESSAGE_CREATE", state.message_payload(message, gateway=True))
        return message

    async def edit_user_message(self, message: MessageLike, content: str) -> Message:
        """Edit a user's message (MESSAGE_UPDATE)."""
        found = self.state.messages[_id(message)]
        found.content = content
        found.edited_at = utcnow()
        await self.dispatch("MESSAGE_UPDATE", self.state.message_payload(found, gateway=True))
        return found

    async def delete_user_message(self, message: MessageLike) -> None:
        """Delete a message as its author or a moderator (MESSAGE_DELETE)."""
        found = self.state.messages[_id(message)]
        found.deleted = True
        payload = {"id": str(found.id), "channel_id": str(found.channel_id)}
        if found.guild_id:
            payload["guild_id"] = str(found.guild_id)
        await self.dispatch("MESSAGE_DELETE", payload)

    async def react(self, message: MessageLike, emoji: str, user: UserLike | None = None) -> None:
        """Add a reaction as a user (MESSAGE_REACTION_ADD); custom emoji as "name:id"."""
        found = self.state.messages[_id(message)]
        key, payload = _emoji(emoji)
        await self.add_reaction(found, key, payload, self._member(user).id)

    async def unreact(self, message: MessageLike, emoji: str, user: UserLike | None = None) -> None:
        """Remove a user's reaction (MESSAGE_REACTION_REMOVE)."""
        found = self.state.messages[_id(message)]
        key, payload = _emoji(emoji)
        await self.remove_reaction(found, key, payload, self._member(user).id)

    async def voice_join(self, user: UserLike, channel: ChannelLike | None = None) -> VoiceState:
        """Put a user in a voice/stage channel (VOICE_STATE_UPDATE); defaults to Session Room."""
        where = self._channel(channel if channel is not None else self.channels.session_room)
        return await self._set_voice(self._member(user).id, where.id)

    async def voice_leave(self, user: UserLike) -> VoiceState:
        """Take a user out of voice (VOICE_STATE_UPDATE with channel_id null)."""
        return await self._set_voice(self._member(user).id, None)

    async def member_join(self, user: UserLike | str, *, roles: Sequence[Role] = ()) -> Member:
        """Add a member (GUILD_MEMBER_ADD); a str creates a new user with that username."""
        if isinstance(user, str):
            account = self.state.add_user(user, user.title())
        else:
            found = self._member(user)
            account = found.user if isinstance(found, Member) else found
        member = self.state.add_member(account, [r.id for r in roles])
        await self.dispatch("GUILD_MEMBER_ADD", member.payload() | {"guild_id": str(self.state.guild.id)})
        return member

    async def member_leave(self, user: UserLike) -> None:
        """Remove a member (GUILD_MEMBER_REMOVE)."""
        uid = _id(user)
        member = self.state.guild.members.pop(uid)
        self.state.guild.voice_states.pop(uid, None)
        await self.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(self.state.guild.id), "user": member.user.payload()}
        )

    async def set_roles(self, user: UserLike, roles: Sequence[Role]) -> Member:
        """Replace a member's roles (GUILD_MEMBER_UPDATE), as a moderator would."""
        member = self.state.guild.members[_id(user)]
        member.roles = [r.id for r in roles]
        await self.dispatch("GUILD_MEMBER_UPDATE", member.payload() | {"guild_id": str(self.state.guild.id)})
        return member


def _id(value: Any) -> int:
    return int(value.id) if hasattr(value, "id") else int(value)


def _emoji(emoji: str) -> tuple[str, dict[str, Any]]:
    text = emoji.strip("<>")
    if ":" in text:
        parts = text.split(":")
        name, emoji_id = parts[-2], parts[-1]
        animated = len(parts) == 3 and parts[0] == "a"
        return f"{name}:{emoji_id}", {"id": emoji_id, "name": name, "animated": animated}
    return emoji, {"id": None, "name": emoji}
