"""The fake REST API under /api/v10: routing, auth, recording, faults, rate limits and the endpoint handlers."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from . import permissions as perms
from .faults import Fault
from .ids import iso, utcnow
from .state import (
    CHANNEL_CATEGORY,
    CHANNEL_PRIVATE_THREAD,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_STAGE,
    CHANNEL_TEXT,
    CHANNEL_VOICE,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_NOTIFICATIONS,
    ApplicationCommand,
    Attachment,
    CallbackRecord,
    Channel,
    InteractionRecord,
    Member,
    Message,
    MessageEdit,
    RecordedFile,
    RecordedRequest,
    ScheduledEvent,
    walk_components,
)
from .validate import Violation, check_limits, errors_tree

if TYPE_CHECKING:
    from .driver import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
JSON_HEADERS = {"Content-Type": "application/json"}
_SETTABLE_MESSAGE_FLAGS = (1 << 2) | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
_FILE_FIELD = re.compile(r"files\[(\d+)\]")
_COMMAND_NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
_TOKEN_PARAMS = ("interaction_token", "webhook_token")


class ApiError(Exception):
    """An error response in Discord's JSON shape."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """Return the JSON error body."""
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def form_error(path: str, message: str, code: str = "BASE_TYPE_INVALID") -> ApiError:
    """Return a 400 Invalid Form Body error for one field."""
    tree: dict[str, Any] = {}
    node = tree
    for key in path.split("."):
        node = node.setdefault(key, {})
    node["_errors"] = [{"code": code, "message": message}]
    return ApiError(400, 50035, "Invalid Form Body", tree)


def unknown(kind: str, code: int) -> ApiError:
    """Return Discord's 404 "Unknown <kind>" error."""
    return ApiError(404, code, f"Unknown {kind}")


MISSING_ACCESS = ApiError(403, 50001, "Missing Access")
MISSING_PERMISSIONS = ApiError(403, 50013, "Missing Permissions")


@dataclass
class Reply:
    """A handler's successful answer (body None means 204)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """What a handler receives: parsed path params, query, body and the record being built."""

    request: web.Request
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    record: RecordedRequest

    def snowflake(self, name: str, error: ApiError | None = None) -> int:
        """Return a path parameter as int, or raise the given (or a 404) error."""
        raw = self.params.get(name, "")
        if not raw.isdigit():
            raise error or ApiError(404, 0, "404: Not Found")
        return int(raw)

    def body(self) -> dict[str, Any]:
        """Return the JSON body as a dict (empty if missing)."""
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.json


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class RouteDef:
    """One implemented endpoint."""

    method: str
    template: str
    handler: Handler
    auth: str
    segments: tuple[str, ...]

    @property
    def literals(self) -> int:
        """Return how many literal segments the template has (more literals win ties)."""
        return sum(1 for s in self.segments if not s.startswith("{"))

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Return the path params if the path matches this template."""
        if len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(self.segments, segments, strict=True):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params


def redact(path: str, params: dict[str, str]) -> str:
    """Replace interaction/webhook tokens in a path with <token>."""
    for name in _TOKEN_PARAMS:
        token = params.get(name)
        if token:
            path = path.replace(token, "<token>")
    return path


class RestApi:
    """The aiohttp handlers for the fake's REST surface."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.routes: list[RouteDef] = []
        self._seq = 0
        self._register_all()

    @property
    def state(self) -> Any:
        """Return the fake's state."""
        return self.fake.state

    def add(self, method: str, template: str, handler: Handler, auth: str = "bot") -> None:
        """Register an endpoint (auth: "bot", "webhook" or "none")."""
        segments = tuple(template.strip("/").split("/"))
        self.routes.append(RouteDef(method, template, handler, auth, segments))

    # -- pipeline ----------------------------------------------------------------------------------------------

    def _match(self, method: str, segments: list[str]) -> tuple[RouteDef | None, dict[str, str], bool]:
        best: tuple[RouteDef, dict[str, str]] | None = None
        path_known = False
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            path_known = True
            if route.method != method:
                continue
            if best is None or route.literals > best[0].literals:
                best = (route, params)
        if best is None:
            return None, {}, path_known
        return best[0], best[1], True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record, authenticate, fault-inject, rate-limit and dispatch one REST request."""
        started = time.monotonic()
        raw = request.raw_path.split("?", 1)[0]
        sub = raw[len(API_PREFIX) :] or "/"
        segments = [unquote(s) for s in sub.strip("/").split("/")]
        route, params, path_known = self._match(request.method, segments)
        self._seq += 1
        decoded_path = "/" + "/".join(segments)
        record = RecordedRequest(
            seq=self._seq,
            method=request.method,
            path=redact(decoded_path, params),
            route=route.template if route else None,
            params={k: ("<token>" if k in _TOKEN_PARAMS else v) for k, v in params.items()},
            query=dict(request.query),
            json=None,
            files=[],
            status=0,
            time=time.time(),
            content_type=request.content_type if request.can_read_body else None,
            raw_path=decoded_path,
            authorization=request.headers.get("Authorization"),
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
        )
        self.fake.requests.append(record)
        self.fake.stats.requests += 1
        try:
            record.json, record.files = await _read_body(request)
        except ValueError:
            return self._finish(
                record, started, 400, {"message": "The request body contains invalid JSON.", "code": 50109}
            )
        if route is None:
            self.fake.unknown_routes.append(record)
            status = 405 if path_known else 404
            log.warning("Fake Discord: unimplemented route %s %s -> %s", request.method, record.path, status)
            message = "405: Method Not Allowed" if path_known else "404: Not Found"
            return self._finish(record, started, status, {"message": message, "code": 0})

        if route.auth == "bot" and record.authorization != f"Bot {self.fake.token}":
            return self._finish(record, started, 401, {"message": "401: Unauthorized", "code": 0})

        fault = self._take_fault(record)
        extra_headers: dict[str, str] = {}
        if fault is not None:
            record.injected = fault.kind
            self.fake.stats.injected[fault.kind] = self.fake.stats.injected.get(fault.kind, 0) + 1
            response = await self._apply_fault(fault, record, request, started)
            if response is not None:
                return response

        if self.fake.rate_limiter is not None:
            status, headers, body429 = self.fake.rate_limiter.check(record, self.fake.stats)
            extra_headers.update(headers)
            if body429 is not None:
                return self._finish(record, started, status, body429, headers)

        call = Call(request, params, dict(request.query), record.json, record.files, record)
        try:
            reply = await route.handler(call)
        except ApiError as exc:
            return self._finish(record, started, exc.status, exc.body(), extra_headers)
        except Exception as exc:
            # A bug in the fake: fail fast with a 4xx (a 5xx would make discord.py retry for ~16 s).
            log.exception("Fake Discord: handler for %s %s crashed", record.method, record.path)
            self.fake.internal_errors.append((record, exc))
            body = {"message": f"FakeDiscord internal error: {exc!r}", "code": -1}
            return self._finish(record, started, 400, body, extra_headers)
        finally:
            self.fake.notify()
        if fault is not None and fault.kind == "reset_after":
            return self._abort(record, request, started)
        headers = {**extra_headers, **reply.headers}
        return self._finish(record, started, reply.status if reply.body is not None else 204, reply.body, headers)

    def _take_fault(self, record: RecordedRequest) -> Fault | None:
        for fault in self.fake.faults:
            if fault.matches(record):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    async def _apply_fault(
        self, fault: Fault, record: RecordedRequest, request: web.Request, started: float
    ) -> web.StreamResponse | None:
        from .faults import too_many_requests

        kind = fault.kind
        if kind == "delay":
            await asyncio.sleep(fault.delay)
            return None
        if kind == "reset_after":
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if kind == "429":
            headers, body = too_many_requests(
                fault.retry_after, is_global=fault.is_global, scope="global" if fault.is_global else "user"
            )
            if not fault.is_global:
                headers.update(
                    {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                        "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
                    }
                )
            return self._finish(record, started, 429, body, headers)
        if kind in ("500", "502", "503", "504"):
            if kind == "502":
                return self._finish_text(record, started, 502, "<html><body>502 Bad Gateway</body></html>")
            return self._finish(
                record, started, int(kind), {"message": fault.message or f"{kind}: Server Error", "code": 0}
            )
        if kind == "reset":
            return self._abort(record, request, started)
        if kind == "error":
            return self._finish(
                record, started, fault.status, {"message": fault.message or "Injected error", "code": fault.code}
            )
        raise ValueError(f"unknown fault kind {kind!r}")

    def _abort(self, record: RecordedRequest, request: web.Request, started: float) -> web.StreamResponse:
        record.status = 0
        record.duration = time.monotonic() - started
        transport = request.transport
        if transport is not None:
            transport.abort()
        log.debug("Fake Discord: reset connection for %s %s", record.method, record.path)
        raise asyncio.CancelledError

    def _finish(
        self, record: RecordedRequest, started: float, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> web.Response:
        record.status = status
        record.response = body
        record.duration = time.monotonic() - started
        log.debug("Fake Discord: %s %s -> %s", record.method, record.path, status)
        if status == 204 or body is None:
            return web.Response(status=204, headers=headers or {})
        return web.Response(status=status, body=json.dumps(body).encode(), headers={**(headers or {}), **JSON_HEADERS})

    def _finish_text(self, record: RecordedRequest, started: float, status: int, text: str) -> web.Response:
        record.status = status
        record.response = text
        record.duration = time.monotonic() - started
        return web.Response(status=status, body=text.encode(), headers={"Content-Type": "text/html"})

    # -- registration ------------------------------------------------------------------------------------------

    def _register_all(self) -> None:
        add = self.add
        add("GET", "/users/@me", self.get_me)
        add("GET", "/users/{user_id}", self.get_user)
        add("POST", "/users/@me/channels", self.create_dm)
        add("GET", "/gateway", self.get_gateway, auth="none")
        add("GET", "/gateway/bot", self.get_gateway_bot)
        add("GET", "/applications/@me", self.get_application)
        add("PATCH", "/applications/@me", self.patch_application)
        add("GET", "/oauth2/applications/@me", self.get_application)
        for base in (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ):
            add("GET", base, self.list_commands)
            add("PUT", base, self.bulk_overwrite_commands)
            add("POST", base, self.create_command)
            add("GET", base + "/{command_id}", self.get_command)
            add("PATCH", base + "/{command_id}", self.edit_command)
            add("DELETE", base + "/{command_id}", self.delete_command)
        add("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions", self.command_permissions)
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("PATCH", "/channels/{channel_id}", self.edit_channel)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("POST", "/channels/{channel_id}/threads", self.create_thread)
        add("GET", "/channels/{channel_id}/thread-members", self.list_thread_members)
        add("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        add("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)
        add("GET", "/guilds/{guild_id}/threads/active", self.active_threads)
        add("GET", "/channels/{channel_id}/messages", self.list_messages)
        add("POST", "/channels/{channel_id}/messages", self.create_message)
        add("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete)
        add("GET", "/channels/{channel_id}/messages/pins", self.list_pins)
        add("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        add("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        reactions = "/channels/{channel_id}/messages/{message_id}/reactions"
        add("DELETE", reactions, self.clear_reactions)
        add("GET", reactions + "/{emoji_name}", self.list_reactions)
        add("DELETE", reactions + "/{emoji_name}", self.clear_emoji_reactions)
        add("PUT", reactions + "/{emoji_name}/@me", self.add_own_reaction)
        add("DELETE", reactions + "/{emoji_name}/@me", self.delete_own_reaction)
        add("DELETE", reactions + "/{emoji_name}/{user_id}", self.delete_user_reaction)
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        add("POST", "/guilds/{guild_id}/channels", self.create_guild_channel)
        add("DELETE", "/channels/{channel_id}", self.delete_channel)
        add("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        add("GET", "/guilds/{guild_id}/members", self.list_members)
        add("GET", "/guilds/{guild_id}/members/search", self.search_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member)
        add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role)
        add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role)
        events = "/guilds/{guild_id}/scheduled-events"
        add("GET", events, self.list_events)
        add("POST", events, self.create_event)
        add("GET", events + "/{guild_scheduled_event_id}", self.get_event)
        add("PATCH", events + "/{guild_scheduled_event_id}", self.edit_event)
        add("DELETE", events + "/{guild_scheduled_event_id}", self.delete_event)
        add("GET", events + "/{guild_scheduled_event_id}/users", self.event_users)
        add(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            self.interaction_callback,
            auth="webhook",
        )
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        add("POST", hook, self.execute_webhook, auth="webhook")
        for suffix in ("/messages/@original", "/messages/{message_id}"):
            add("GET", hook + suffix, self.get_webhook_message, auth="webhook")
            add("PATCH", hook + suffix, self.edit_webhook_message, auth="webhook")
            add("DELETE", hook + suffix, self.delete_webhook_message, auth="webhook")

    # -- lookups -----------------------------------------------------------------------------------------------

    def _guild(self, call: Call) -> None:
        if call.params.get("guild_id") != str(self.state.guild.id):
            raise unknown("Guild", 10004)

    def _channel(self, call: Call) -> Channel:
        error = unknown("Channel", 10003)
        channel = self.state.channels.get(call.snowflake("channel_id", error))
        if channel is None:
            raise error
        return channel

    def _message(self, call: Call, channel: Channel) -> Message:
        error = unknown("Message", 10008)
        message = self.state.messages.get(call.snowflake("message_id", error))
        if message is None or message.channel_id != channel.id or message.deleted or message.ephemeral:
            raise error
        return message

    def _member(self, call: Call) -> Member:
        error = unknown("Member", 10007)
        member = self.state.guild.members.get(call.snowflake("user_id", error))
        if member is None:
            raise error
        return member

    def _require(self, channel: Channel | None, *needed: int) -> None:
        if channel is not None and channel.is_dm:
            return
        have = self.state.channel_permissions(self.state.bot_member(), channel)
        if channel is not None and not have & perms.VIEW_CHANNEL:
            raise MISSING_ACCESS
        for bit in needed:
            if not have & bit:
                raise MISSING_PERMISSIONS

    def _require_event_permissions(
        self, entity_type: int, channel_id: Any, *, creating: bool, creator_id: int | None = None
    ) -> None:
        """Apply Discord's scheduled-event permission table (guild level, then the event's channel)."""
        bot = self.state.bot_member()
        if creating or creator_id == self.state.bot_user.id:
            self._require_any(perms.CREATE_EVENTS, perms.MANAGE_EVENTS)
        else:
            self._require_any(perms.MANAGE_EVENTS)
        if entity_type not in (1, 2) or channel_id is None:
            return
        channel = self.state.channels.get(int(channel_id))
        have = self.state.channel_permissions(bot, channel)
        needed = perms.STAGE_MODERATOR if entity_type == 1 else perms.VIEW_CHANNEL | perms.CONNECT
        if have & needed != needed:
            raise MISSING_PERMISSIONS

    def _require_any(self, *options: int) -> None:
        have = self.state.base_permissions(self.state.bot_member())
        if not any(have & bit for bit in options):
            raise MISSING_PERMISSIONS

    # -- users, gateway, application ---------------------------------------------------------------------------

    async def get_me(self, call: Call) -> Reply:
        """GET /users/@me."""
        extra = {"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US", "bio": ""}
        return Reply(body=self.state.bot_user.payload() | extra)

    async def get_user(self, call: Call) -> Reply:
        """GET /users/{user_id}."""
        error = unknown("User", 10013)
        user = self.state.users.get(call.snowflake("user_id", error))
        if user is None:
            raise error
        return Reply(body=user.payload())

    async def get_gateway(self, call: Call) -> Reply:
        """GET /gateway."""
        return Reply(body={"url": self.fake.gateway_base})

    async def get_gateway_bot(self, call: Call) -> Reply:
        """GET /gateway/bot."""
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return Reply(body={"url": self.fake.gateway_base, "shards": 1, "session_start_limit": limit})

    def _application_payload(self) -> dict[str, Any]:
        state = self.state
        return {
            "id": str(state.application_id),
            "name": state.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": state.application_flags,
            "owner": state.guild.members[state.guild.owner_id].user.payload(),
            "team": None,
            "bot": state.bot_user.payload(),
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "redirect_uris": [],
            "tags": [],
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }

    async def get_application(self, call: Call) -> Reply:
        """GET /applications/@me and /oauth2/applications/@me."""
        return Reply(body=self._application_payload())

    async def patch_application(self, call: Call) -> Reply:
        """PATCH /applications/@me (accepted, mostly ignored)."""
        return Reply(body=self._application_payload() | {k: v for k, v in call.body().items() if k == "description"})

    # -- application commands ----------------------------------------------------------------------------------

    def _command_scope(self, call: Call) -> int | None:
        if call.params.get("application_id") != str(self.state.application_id):
            raise MISSING_ACCESS
        if "guild_id" in call.params:
            self._guild(call)
            return self.state.guild.id
        return None

    def _scoped_commands(self, guild_id: int | None) -> list[ApplicationCommand]:
        return [c for c in self.state.commands.values() if c.guild_id == guild_id]

    async def list_commands(self, call: Call) -> Reply:
        """GET application commands (global or guild)."""
        scope = self._command_scope(call)
        return Reply(body=[c.payload() for c in self._scoped_commands(scope)])

    def _store_command(
        self, definition: dict[str, Any], scope: int | None, index: str, existing: ApplicationCommand | None = None
    ) -> ApplicationCommand:
        _validate_command(definition, index)
        ctype = int(definition.get("type") or 1)
        name = definition["name"]
        if existing is None:
            existing = next((c for c in self._scoped_commands(scope) if c.name == name and c.type == ctype), None)
        version = self.state.next_id()
        if existing is not None:
            existing.definition = copy.deepcopy(definition)
            existing.name = name
            existing.type = ctype
            existing.version = version
            return existing
        command = ApplicationCommand(
            self.state.next_id(), self.state.application_id, name, ctype, scope, copy.deepcopy(definition), version
        )
        self.state.commands[command.id] = command
        return command

    async def bulk_overwrite_commands(self, call: Call) -> Reply:
        """PUT application commands: replace the whole set, keeping ids of commands that stay."""
        scope = self._command_scope(call)
        body = call.json if isinstance(call.json, list) else []
        seen: set[tuple[str, int]] = set()
        for index, definition in enumerate(body):
            key = (definition.get("name"), int(definition.get("type") or 1))
            if key in seen:
                raise form_error(
                    f"{index}.name", "Application command names must be unique", "APPLICATION_COMMANDS_DUPLICATE_NAME"
                )
            seen.add(key)
        kept = [self._store_command(d, scope, str(i)) for i, d in enumerate(body)]
        kept_ids = {c.id for c in kept}
        for command in self._scoped_commands(scope):
            if command.id not in kept_ids:
                del self.state.commands[command.id]
        self.fake.command_syncs.append((scope, [c.payload() for c in kept]))
        log.info("Fake Discord: %s commands synced (%s)", len(kept), "guild" if scope else "global")
        return Reply(body=[c.payload() for c in kept])

    async def create_command(self, call: Call) -> Reply:
        """POST one application command (upsert by name and type)."""
        scope = self._command_scope(call)
        command = self._store_command(call.body(), scope, "")
        return Reply(status=201, body=command.payload())

    def _command(self, call: Call) -> ApplicationCommand:
        scope = self._command_scope(call)
        error = unknown("application command", 10063)
        command = self.state.commands.get(call.snowflake("command_id", error))
        if command is None or command.guild_id != scope:
            raise error
        return command

    async def get_command(self, call: Call) -> Reply:
        """GET one application command."""
        return Reply(body=self._command(call).payload())

    async def edit_command(self, call: Call) -> Reply:
        """PATCH one application command."""
        command = self._command(call)
        merged = {**command.definition, **call.body()}
        return Reply(body=self._store_command(merged, command.guild_id, "", existing=command).payload())

    async def delete_command(self, call: Call) -> Reply:
        """DELETE one application command."""
        command = self._command(call)
        del self.state.commands[command.id]
        return Reply(body=None)

    async def command_permissions(self, call: Call) -> Reply:
        """GET guild command permissions (always empty)."""
        self._command_scope(call)
        return Reply(body=[])

    # -- channels and messages ---------------------------------------------------------------------------------

    async def get_channel(self, call: Call) -> Reply:
        """GET /channels/{channel_id}."""
        channel = self._channel(call)
        self._require(channel)
        return Reply(body=self.state.channel_payload(channel))

    async def edit_channel(self, call: Call) -> Reply:
        """PATCH /channels/{channel_id} (name and topic; a thread's archived, locked, invitable and name)."""
        channel = self._channel(call)
        if channel.is_thread:
            return await self._edit_thread(call, channel)
        self._require(channel, perms.MANAGE_CHANNELS)
        body = call.body()
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        payload = self.state.channel_payload(channel)
        await self.fake.dispatch("CHANNEL_UPDATE", payload)
        return Reply(body=payload)

    # -- threads ---------------------------------------------------------------------------------------------

    def _thread(self, call: Call) -> Channel:
        channel = self._channel(call)
        if not channel.is_thread:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        return channel

    def _can_see_thread(self, thread: Channel) -> bool:
        have = self.state.channel_permissions(self.state.bot_member(), thread)
        if not have & perms.VIEW_CHANNEL:
            return False
        if thread.type == CHANNEL_PRIVATE_THREAD:
            return self.state.bot_user.id in thread.thread_members or bool(have & perms.MANAGE_THREADS)
        return True

    async def create_thread(self, call: Call) -> Reply:
        """POST /channels/{channel_id}/threads: start a thread without a message (private by default here)."""
        parent = self._channel(call)
        body = call.body()
        kind = int(body.get("type", CHANNEL_PRIVATE_THREAD))
        if parent.type != CHANNEL_TEXT or kind not in (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise form_error("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        needed = perms.CREATE_PRIVATE_THREADS if kind == CHANNEL_PRIVATE_THREAD else perms.CREATE_PUBLIC_THREADS
        self._require(parent, needed)
        now = utcnow()
        thread = Channel(
            self.state.next_id(),
            kind,
            name,
            parent.guild_id,
            parent_id=parent.id,
            owner_id=self.state.bot_user.id,
            invitable=bool(body.get("invitable", True)) if kind == CHANNEL_PRIVATE_THREAD else True,
            auto_archive_duration=int(body.get("auto_archive_duration", 4320)),
            created_at=now,
        )
        thread.thread_members[self.state.bot_user.id] = now
        self.state.add_channel(thread)
        self.state.guild.channels.pop(thread.id, None)  # threads are not guild channels
        payload = self.state.channel_payload(thread)
        member = self.state.thread_member_payload(thread, self.state.bot_user.id)
        await self.fake.dispatch("THREAD_CREATE", payload | {"newly_created": True, "member": member})
        return Reply(status=201, body=payload)

    async def _thread_members_update(self, thread: Channel, added: list[int], removed: list[int]) -> None:
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "member_count": min(len(thread.thread_members), 50),
        }
        if added:
            data["added_members"] = [self.state.thread_member_payload(thread, u) for u in added]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        await self.fake.dispatch("THREAD_MEMBERS_UPDATE", data)

    async def add_thread_member(self, call: Call) -> Reply:
        """PUT /channels/{channel_id}/thread-members/{user_id}."""
        thread = self._thread(call)
        if not self._can_see_thread(thread):
            raise MISSING_ACCESS
        self._require(thread, perms.SEND_MESSAGES_IN_THREADS)
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        member = self._member(call)
        if member.id not in thread.thread_members:
            thread.thread_members[member.id] = utcnow()
            await self._thread_members_update(thread, [member.id], [])
        return Reply(status=204)

    async def remove_thread_member(self, call: Call) -> Reply:
        """DELETE /channels/{channel_id}/thread-members/{user_id} (Manage Threads, or the private thread's owner)."""
        thread = self._thread(call)
        if not self._can_see_thread(thread):
            raise MISSING_ACCESS
        have = self.state.channel_permissions(self.state.bot_member(), thread)
        owner = thread.type == CHANNEL_PRIVATE_THREAD and thread.owner_id == self.state.bot_user.id
        if not (have & perms.MANAGE_THREADS or owner):
            raise MISSING_PERMISSIONS
        if thread.archived:
            raise ApiError(400, 50083, "Thread is archived")
        user_id = call.snowflake("user_id", unknown("Member", 10007))
        if thread.thread_members.pop(user_id, None) is not None:
            await self._thread_members_update(thread, [], [user_id])
        return Reply(status=204)

    async def list_thread_members(self, call: Call) -> Reply:
        """GET /channels/{channel_id}/thread-members."""
        thread = self._thread(call)
        if not self._can_see_thread(thread):
            raise MISSING_ACCESS
        return Reply(body=[self.state.thread_member_payload(thread, u) for u in thread.thread_members])

    async def active_threads(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}/threads/active: every active thread the bot can see, and its own memberships."""
        self._guild(call)
        visible = [t for t in self.state.threads_of() if self._can_see_thread(t)]
        bot = self.state.bot_user.id
        return Reply(
            body={
                "threads": [self.state.channel_payload(t) for t in visible],
                "members": [self.state.thread_member_payload(t, bot) for t in visible if bot in t.thread_members],
            }
        )

    async def _edit_thread(self, call: Call, thread: Channel) -> Reply:
        """PATCH a thread: archiving is open to its owner, locking and renaming need Manage Threads."""
        if not self._can_see_thread(thread):
            raise MISSING_ACCESS
        body = call.body()
        have = self.state.channel_permissions(self.state.bot_member(), thread)
        is_owner = thread.owner_id == self.state.bot_user.id
        manage = bool(have & perms.MANAGE_THREADS)
        if ("locked" in body or "invitable" in body) and not manage:
            raise MISSING_PERMISSIONS
        if "name" in body and not (manage or is_owner):
            raise MISSING_PERMISSIONS
        if "archived" in body and not (manage or is_owner):
            raise MISSING_PERMISSIONS
        if thread.locked and body.get("archived") is False and not manage:
            raise MISSING_PERMISSIONS
        if "name" in body:
            thread.name = str(body["name"])[:100]
        if "locked" in body:
            thread.locked = bool(body["locked"])
        if "invitable" in body:
            thread.invitable = bool(body["invitable"])
        if "auto_archive_duration" in body:
            thread.auto_archive_duration = int(body["auto_archive_duration"])
        if "archived" in body and bool(body["archived"]) != thread.archived:
            thread.archived = bool(body["archived"])
            thread.archive_timestamp = utcnow()
        payload = self.state.channel_payload(thread)
        await self.fake.dispatch("THREAD_UPDATE", payload)
        return Reply(body=payload)

    async def typing(self, call: Call) -> Reply:
        """POST /channels/{channel_id}/typing."""
        self._require(self._channel(call), perms.SEND_MESSAGES)
        return Reply(body=None)

    async def list_messages(self, call: Call) -> Reply:
        """GET /channels/{channel_id}/messages with limit/before/after/around."""
        channel = self._channel(call)
        self._require(channel, perms.READ_MESSAGE_HISTORY)
        try:
            limit = max(1, min(100, int(call.query.get("limit", 50))))
        except ValueError as exc:
            raise form_error("limit", "Value is not int.") from exc
        messages = self.state.channel_messages(channel.id)
        if "after" in call.query:
            after = int(call.query["after"])
            chosen = [m for m in messages if m.id > after][:limit]
        elif "around" in call.query:
            around = int(call.query["around"])
            older = [m for m in messages if m.id <= around]
            newer = [m for m in messages if m.id > around]
            half = limit // 2
            chosen = older[-(limit - half) :] + newer[:half]
        else:
            if "before" in call.query:
                before = int(call.query["before"])
                messages = [m for m in messages if m.id < before]
            chosen = messages[-limit:]
        return Reply(body=[self.state.message_payload(m) for m in reversed(chosen)])

    async def get_message(self, call: Call) -> Reply:
        """GET one message."""
        channel = self._channel(call)
        self._require(channel, perms.READ_MESSAGE_HISTORY)
        return Reply(body=self.state.message_payload(self._message(call, channel)))

    async def create_message(self, call: Call) -> Reply:
        """POST /channels/{channel_id}/messages (JSON or multipart), with Discord's nonce dedupe."""
        channel = self._channel(call)
        body = call.body()
        if channel.is_dm:
            recipient = self.state.users.get(channel.recipient_ids[0])
            if recipient is None or not recipient.dms_open or recipient.bot:
                raise ApiError(403, 50007, "Cannot send messages to this user")
        elif channel.is_thread:
            if not self._can_see_thread(channel):
                raise MISSING_ACCESS
            self._require(channel, perms.SEND_MESSAGES_IN_THREADS, *([perms.ATTACH_FILES] if call.files else []))
            if channel.locked and not self.state.channel_permissions(self.state.bot_member(), channel) & (
                perms.MANAGE_THREADS
            ):
                raise ApiError(400, 50083, "Thread is archived")
            channel.archived = False  # posting unarchives a thread that is not locked
        else:
            self._require(channel, perms.SEND_MESSAGES, *([perms.ATTACH_FILES] if call.files else []))
        nonce = body.get("nonce")
        if nonce is not None:
            nonce = str(nonce)
            self.state.nonce_counts[nonce] = self.state.nonce_counts.get(nonce, 0) + 1
            if body.get("enforce_nonce"):
                window = timedelta(seconds=self.fake.nonce_window)
                for earlier in self.state.messages_by_nonce.get(nonce, []):
                    if (
                        earlier.channel_id == channel.id
                        and earlier.author.id == self.state.bot_user.id
                        and not earlier.deleted
                        and utcnow() - earlier.created_at <= window
                    ):
                        log.info("Fake Discord: nonce %s deduplicated to message %s", nonce, earlier.id)
                        return Reply(body=self.state.message_payload(earlier))
        message = self._new_message(channel, body, call.files, nonce=nonce)
        await self._announce(message)
        return Reply(body=self.state.message_payload(message))

    def _new_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[RecordedFile],
        *,
        nonce: str | None = None,
        flags: int | None = None,
        message_type: int = 0,
        interaction: InteractionRecord | None = None,
        allow_empty: bool = False,
    ) -> Message:
        self._check_message_body(body, files, allow_empty=allow_empty)
        state = self.state
        ephemeral = bool((flags or 0) & FLAG_EPHEMERAL)
        attachments = self._attachments(body, files, channel.id, [], ephemeral=ephemeral) or []
        reply_to = self._reference(body, channel)
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        users, roles, everyone = state.resolve_mentions(content, allowed, state.bot_user, reply_to)
        value = (int(body.get("flags") or 0) & _SETTABLE_MESSAGE_FLAGS) if flags is None else flags
        message = Message(
            id=state.next_id(),
            channel_id=channel.id,
            author=state.bot_user,
            content=content,
            embeds=copy.deepcopy(body.get("embeds") or []),
            components=_with_component_ids(body.get("components") or []),
            attachments=attachments,
            nonce=nonce,
            allowed_mentions=allowed,
            flags=value,
            type=message_type if reply_to is None else 19,
            guild_id=channel.guild_id,
            tts=bool(body.get("tts")),
            poll=body.get("poll"),
            sticker_ids=[str(s) for s in body.get("sticker_ids") or []],
            mentions=users,
            mention_roles=roles,
            mention_everyone=everyone,
        )
        if reply_to is not None:
            message.message_reference = {
                "type": 0,
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                **({"guild_id": str(reply_to.guild_id)} if reply_to.guild_id else {}),
            }
        if interaction is not None:
            message.webhook_id = state.application_id
            message.application_id = state.application_id
            message.interaction_id = interaction.id
            message.interaction_metadata = self._interaction_metadata(interaction)
        return state.store_message(message)

    def _check_message_body(self, body: dict[str, Any], files: list[RecordedFile], *, allow_empty: bool) -> None:
        content = body.get("content")
        if content is not None and not isinstance(content, str):
            raise form_error("content", "Could not interpret value as string.")
        if self.fake.enforce_limits:
            violations = check_limits(body)
            if violations:
                raise ApiError(400, 50035, "Invalid Form Body", errors_tree(violations))
        if allow_empty:
            return
        has_something = any(
            [
                content,
                body.get("embeds"),
                body.get("components"),
                files,
                body.get("attachments"),
                body.get("sticker_ids"),
                body.get("poll"),
            ]
        )
        if not has_something:
            raise ApiError(400, 50006, "Cannot send an empty message")

    def _reference(self, body: dict[str, Any], channel: Channel) -> Message | None:
        ref = body.get("message_reference")
        if not ref or not ref.get("message_id"):
            return None
        target = self.state.messages.get(int(ref["message_id"]))
        if target is None or target.deleted:
            if ref.get("fail_if_not_exists", True):
                raise form_error("message_reference", "Unknown message", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE")
            return None
        return target

    def _attachments(
        self,
        body: dict[str, Any],
        files: list[RecordedFile],
        channel_id: int,
        existing: list[Attachment],
        *,
        ephemeral: bool,
    ) -> list[Attachment] | None:
        """Resolve the attachments list: new uploads by files[n] index, kept ones by id; None = unchanged."""
        uploads: dict[int, RecordedFile] = {}
        for position, upload in enumerate(files):
            found = _FILE_FIELD.fullmatch(upload.field)
            uploads[int(found.group(1)) if found else position] = upload
        specs = body.get("attachments")
        if specs is None:
            if not uploads:
                return None
            specs = [{"id": index} for index in sorted(uploads)]
            result = list(existing)
        else:
            result = []
        used: set[int] = set()
        by_id = {a.id: a for a in existing}
        for index, spec in enumerate(specs):
            sid = int(spec.get("id", -1))
            if sid in uploads and sid not in by_id:
                upload = uploads[sid]
                used.add(sid)
                filename = spec.get("filename") or upload.filename
                result.append(self._store_upload(upload, filename, channel_id, spec.get("description"), ephemeral))
            elif sid in by_id:
                result.append(by_id[sid])
            elif sid in self.state.attachments:
                result.append(self.state.attachments[sid])
            else:
                raise form_error(f"attachments.{index}.id", "Unknown attachment")
        for index in sorted(set(uploads) - used):
            result.append(self._store_upload(uploads[index], uploads[index].filename, channel_id, None, ephemeral))
        return result

    def _store_upload(
        self, upload: RecordedFile, filename: str, channel_id: int, description: str | None, ephemeral: bool
    ) -> Attachment:
        content_type = upload.content_type
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(filename)[0] or content_type
        return self.state.attachment_for(
            upload.data, filename, self.fake.base_url, channel_id, content_type, description, ephemeral
        )

    async def _announce(self, message: Message) -> None:
        if not message.ephemeral:
            await self.fake.dispatch("MESSAGE_CREATE", self.state.message_payload(message, gateway=True))

    async def _apply_edit(
        self, message: Message, body: dict[str, Any], files: list[RecordedFile], *, clear_loading: bool = False
    ) -> None:
        if message.author.id != self.state.bot_user.id and set(body) - {"flags"}:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._check_message_body(body, files, allow_empty=True)
        before = {
            "content": message.content,
            "embeds": copy.deepcopy(message.embeds),
            "components": copy.deepcopy(message.components),
            "attachments": [a.id for a in message.attachments],
            "flags": message.flags,
        }
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = copy.deepcopy(body["embeds"] or [])
        if "components" in body:
            message.components = _with_component_ids(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        if "flags" in body and body["flags"] is not None:
            keep = message.flags & (FLAG_EPHEMERAL | FLAG_LOADING)
            message.flags = keep | (int(body["flags"]) & _SETTABLE_MESSAGE_FLAGS)
        attachments = self._attachments(
            body, files, message.channel_id, message.attachments, ephemeral=message.ephemeral
        )
        if attachments is not None:
            message.attachments = attachments
        was_loading = message.loading
        if clear_loading:
            message.flags &= ~FLAG_LOADING
        if "content" in body:
            users, roles, everyone = self.state.resolve_mentions(
                message.content, message.allowed_mentions, message.author
            )
            if was_loading:
                message.mentions, message.mention_roles, message.mention_everyone = users, roles, everyone
            else:
                # Edits never notify new mentions; keep only those that already pinged.
                message.mentions = [u for u in users if u in message.mentions]
                message.mention_roles = [r for r in roles if r in message.mention_roles]
        if not was_loading:
            message.edited_at = utcnow()
        message.edits.append(MessageEdit(utcnow(), copy.deepcopy(body), before))
        if not message.ephemeral:
            await self.fake.dispatch("MESSAGE_UPDATE", self.state.message_payload(message, gateway=True))

    async def edit_message(self, call: Call) -> Reply:
        """PATCH a channel message."""
        channel = self._channel(call)
        self._require(channel)
        message = self._message(call, channel)
        await self._apply_edit(message, call.body(), call.files)
        return Reply(body=self.state.message_payload(message))

    async def _delete(self, message: Message) -> None:
        message.deleted = True
        if not message.ephemeral:
            payload = {"id": str(message.id), "channel_id": str(message.channel_id)}
            if message.guild_id:
                payload["guild_id"] = str(message.guild_id)
            await self.fake.dispatch("MESSAGE_DELETE", payload)

    async def delete_message(self, call: Call) -> Reply:
        """DELETE a channel message (own messages, or any with MANAGE_MESSAGES)."""
        channel = self._channel(call)
        message = self._message(call, channel)
        if message.author.id != self.state.bot_user.id:
            self._require(channel, perms.MANAGE_MESSAGES)
        await self._delete(message)
        return Reply(body=None)

    async def bulk_delete(self, call: Call) -> Reply:
        """POST bulk-delete (2 to 100 messages)."""
        channel = self._channel(call)
        self._require(channel, perms.MANAGE_MESSAGES)
        ids = [int(i) for i in call.body().get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise form_error("messages", "Must be between 2 and 100 in length.")
        found = [self.state.messages[i] for i in ids if i in self.state.messages]
        for message in found:
            message.deleted = True
        await self.fake.dispatch(
            "MESSAGE_DELETE_BULK",
            {"ids": [str(m.id) for m in found], "channel_id": str(channel.id), "guild_id": str(self.state.guild.id)},
        )
        return Reply(body=None)

    async def list_pins(self, call: Call) -> Reply:
        """GET /channels/{channel_id}/messages/pins."""
        channel = self._channel(call)
        self._require(channel, perms.READ_MESSAGE_HISTORY)
        items = [
            {"pinned_at": iso(m.created_at), "message": self.state.message_payload(m)}
            for m in reversed(self.state.channel_messages(channel.id))
            if m.pinned
        ]
        return Reply(body={"items": items, "has_more": False})

    async def _set_pin(self, call: Call, pinned: bool) -> Reply:
        channel = self._channel(call)
        self._require(channel, perms.PIN_MESSAGES)
        message = self._message(call, channel)
        message.pinned = pinned
        await self.fake.dispatch(
            "CHANNEL_PINS_UPDATE",
            {"guild_id": str(self.state.guild.id), "channel_id": str(channel.id), "last_pin_timestamp": iso(utcnow())},
        )
        return Reply(body=None)

    async def pin(self, call: Call) -> Reply:
        """PUT a pin."""
        return await self._set_pin(call, True)

    async def unpin(self, call: Call) -> Reply:
        """DELETE a pin."""
        return await self._set_pin(call, False)

    # -- reactions ---------------------------------------------------------------------------------------------

    def _emoji(self, call: Call) -> tuple[str, dict[str, Any]]:
        raw = call.params["emoji_name"]
        if ":" in raw:
            name, _, emoji_id = raw.partition(":")
            return raw, {"id": emoji_id, "name": name, "animated": False}
        return raw, {"id": None, "name": raw}

    async def _reaction_event(self, event: str, message: Message, user_id: int, emoji: dict[str, Any]) -> None:
        payload: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "emoji": emoji,
            "burst": False,
            "type": 0,
        }
        if message.guild_id:
            payload["guild_id"] = str(message.guild_id)
            member = self.state.guild.members.get(user_id)
            if event == "MESSAGE_REACTION_ADD" and member is not None:
                payload["member"] = member.payload()
        if event == "MESSAGE_REACTION_ADD":
            payload["message_author_id"] = str(message.author.id)
            payload["burst_colors"] = []
        await self.fake.dispatch(event, payload)

    async def add_own_reaction(self, call: Call) -> Reply:
        """PUT a reaction as the bot."""
        channel = self._channel(call)
        self._require(channel, perms.ADD_REACTIONS, perms.READ_MESSAGE_HISTORY)
        message = self._message(call, channel)
        key, emoji = self._emoji(call)
        await self.fake.add_reaction(message, key, emoji, self.state.bot_user.id)
        return Reply(body=None)

    async def delete_own_reaction(self, call: Call) -> Reply:
        """DELETE the bot's reaction."""
        channel = self._channel(call)
        message = self._message(call, channel)
        key, emoji = self._emoji(call)
        await self.fake.remove_reaction(message, key, emoji, self.state.bot_user.id)
        return Reply(body=None)

    async def delete_user_reaction(self, call: Call) -> Reply:
        """DELETE another user's reaction (needs MANAGE_MESSAGES)."""
        channel = self._channel(call)
        self._require(channel, perms.MANAGE_MESSAGES)
        message = self._message(call, channel)
        key, emoji = self._emoji(call)
        await self.fake.remove_reaction(message, key, emoji, call.snowflake("user_id"))
        return Reply(body=None)

    async def list_reactions(self, call: Call) -> Reply:
        """GET the users who reacted with an emoji."""
        channel = self._channel(call)
        message = self._message(call, channel)
        key, _ = self._emoji(call)
        after = int(call.query.get("after", 0))
        limit = max(1, min(100, int(call.query.get("limit", 25))))
        users = sorted(u for u in message.reactions.get(key, []) if u > after)[:limit]
        return Reply(body=[self.state.users[u].payload() for u in users])

    async def clear_reactions(self, call: Call) -> Reply:
        """DELETE all reactions."""
        channel = self._channel(call)
        self._require(channel, perms.MANAGE_MESSAGES)
        message = self._message(call, channel)
        message.reactions.clear()
        payload = {"channel_id": str(channel.id), "message_id": str(message.id), "guild_id": str(self.state.guild.id)}
        await self.fake.dispatch("MESSAGE_REACTION_REMOVE_ALL", payload)
        return Reply(body=None)

    async def clear_emoji_reactions(self, call: Call) -> Reply:
        """DELETE all reactions of one emoji."""
        channel = self._channel(call)
        self._require(channel, perms.MANAGE_MESSAGES)
        message = self._message(call, channel)
        key, emoji = self._emoji(call)
        message.reactions.pop(key, None)
        payload = {
            "channel_id": str(channel.id),
            "message_id": str(message.id),
            "guild_id": str(self.state.guild.id),
            "emoji": emoji,
        }
        await self.fake.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", payload)
        return Reply(body=None)

    # -- guild -------------------------------------------------------------------------------------------------

    async def get_guild(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}."""
        self._guild(call)
        body = self.state.guild_payload()
        if call.query.get("with_counts") in ("true", "1", "True"):
            body["approximate_member_count"] = len(self.state.guild.members)
            body["approximate_presence_count"] = 0
        return Reply(body=body)

    async def guild_channels(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}/channels."""
        self._guild(call)
        channels = sorted(self.state.guild.channels.values(), key=lambda c: c.position)
        return Reply(body=[self.state.channel_payload(c) for c in channels])

    async def create_guild_channel(self, call: Call) -> Reply:
        """POST /guilds/{guild_id}/channels: a text, voice or category channel (Manage Channels; in a category too)."""
        self._guild(call)
        body = call.body()
        kind = int(body.get("type", CHANNEL_TEXT))
        if kind not in (CHANNEL_TEXT, CHANNEL_VOICE, CHANNEL_CATEGORY):
            raise form_error("type", "Value must be one of {0, 2, 4}.", "BASE_TYPE_CHOICES")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise form_error("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        parent = None
        if body.get("parent_id") is not None:
            parent = self.state.channels.get(int(body["parent_id"]))
            if parent is None or parent.type != CHANNEL_CATEGORY:
                raise form_error("parent_id", "Category does not exist.", "CHANNEL_PARENT_INVALID")
        self._require(parent, perms.MANAGE_CHANNELS)
        channel = Channel(
            self.state.next_id(),
            kind,
            name,
            self.state.guild.id,
            len(self.state.guild.channels),
            parent_id=parent.id if parent else None,
            overwrites=list(parent.overwrites) if parent else [],
        )
        self.state.add_channel(channel)
        payload = self.state.channel_payload(channel)
        await self.fake.dispatch("CHANNEL_CREATE", payload)
        return Reply(status=201, body=payload)

    async def delete_channel(self, call: Call) -> Reply:
        """DELETE /channels/{channel_id} (Manage Channels; a thread: Manage Threads)."""
        channel = self._channel(call)
        if channel.is_dm:
            raise ApiError(403, 50003, "Cannot execute action on a DM channel")
        self._require(channel, perms.MANAGE_THREADS if channel.is_thread else perms.MANAGE_CHANNELS)
        payload = self.state.channel_payload(channel)
        del self.state.channels[channel.id]
        self.state.guild.channels.pop(channel.id, None)
        await self.fake.dispatch("THREAD_DELETE" if channel.is_thread else "CHANNEL_DELETE", payload)
        return Reply(body=payload)

    async def guild_roles(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}/roles."""
        self._guild(call)
        return Reply(body=[r.payload() for r in sorted(self.state.guild.roles.values(), key=lambda r: r.position)])

    async def list_members(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}/members with limit (1-1000, default 1) and after."""
        self._guild(call)
        limit = max(1, min(1000, int(call.query.get("limit", 1))))
        after = int(call.query.get("after", 0))
        members = sorted((m for m in self.state.guild.members.values() if m.id > after), key=lambda m: m.id)
        return Reply(body=[m.payload() for m in members[:limit]])

    async def search_members(self, call: Call) -> Reply:
        """GET /guilds/{guild_id}/members/search by username/nick prefix."""
        self._guild(call)
        query = call.query.get("query", "").lower()
        limit = max(1, min(1000, int(call.query.get("limit", 1))))
        found = [
            m
            for m in self.state.guild.members.values()
            if m.name.lower().startswith(query) or (m.nick or "").lower().startswith(query)
        ]
        return Reply(body=[m.payload() for m in found[:limit]])

    async def get_member(self, call: Call) -> Reply:
        """GET one guild member."""
        self._guild(call)
        return Reply(body=self._member(call).payload())

    def _check_role_assignable(self, role_id: int) -> None:
        role = self.state.guild.roles.get(role_id)
        if role is None:
            raise unknown("Role", 10011)
        self._require_any(perms.MANAGE_ROLES)
        bot = self.state.bot_member()
        top = max((self.state.guild.roles[r].position for r in bot.roles if r in self.state.guild.roles), default=0)
        if role.managed or role.id == self.state.guild.id or role.position >= top:
            raise MISSING_PERMISSIONS

    async def _member_updated(self, member: Member) -> None:
        await self.fake.dispatch("GUILD_MEMBER_UPDATE", member.payload() | {"guild_id": str(self.state.guild.id)})

    async def edit_member(self, call: Call) -> Reply:
        """PATCH a guild member (roles, nick)."""
        self._guild(call)
        member = self._member(call)
        body = call.body()
        if "roles" in body:
            wanted = [int(r) for r in body["roles"] or []]
            for role_id in set(wanted) ^ set(member.roles):
                self._check_role_assignable(role_id)
            member.roles = wanted
        if "nick" in body:
            self._require_any(perms.MANAGE_NICKNAMES)
            member.nick = body["nick"]
        await self._member_updated(member)
        return Reply(body=member.payload())

    async def add_member_role(self, call: Call) -> Reply:
        """PUT a role on a member."""
        self._guild(call)
        member = self._member(call)
        role_id = call.snowflake("role_id", unknown("Role", 10011))
        self._check_role_assignable(role_id)
        if role_id not in member.roles:
            member.roles.append(role_id)
            await self._member_updated(member)
        return Reply(body=None)

    async def remove_member_role(self, call: Call) -> Reply:
        """DELETE a role from a member."""
        self._guild(call)
        member = self._member(call)
        role_id = call.snowflake("role_id", unknown("Role", 10011))
        self._check_role_assignable(role_id)
        if role_id in member.roles:
            member.roles.remove(role_id)
            await self._member_updated(member)
        return Reply(body=None)

    async def create_dm(self, call: Call) -> Reply:
        """POST /users/@me/channels: open (or return) the DM channel with a user."""
        recipient = call.body().get("recipient_id")
        user = self.state.users.get(int(recipient)) if recipient is not None and str(recipient).isdigit() else None
        if user is None:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        return Reply(body=self.state.channel_payload(self.state.dm_channel_for(user.id)))

    # -- scheduled events --------------------------------------------------------------------------------------

    def _event(self, call: Call) -> ScheduledEvent:
        self._guild(call)
        error = unknown("Guild Scheduled Event", 10070)
        event = self.state.guild.scheduled_events.get(call.snowflake("guild_scheduled_event_id", error))
        if event is None or event.deleted:
            raise error
        return event

    async def list_events(self, call: Call) -> Reply:
        """GET scheduled events."""
        self._guild(call)
        with_count = call.query.get("with_user_count") in ("1", "true", "True")
        events = [e for e in self.state.guild.scheduled_events.values() if not e.deleted]
        return Reply(body=[self.state.scheduled_event_payload(e, with_user_count=with_count) for e in events])

    async def get_event(self, call: Call) -> Reply:
        """GET one scheduled event."""
        with_count = call.query.get("with_user_count") in ("1", "true", "True")
        return Reply(body=self.state.scheduled_event_payload(self._event(call), with_user_count=with_count))

    def _check_event_fields(self, fields: dict[str, Any], *, creating: bool) -> None:
        if creating:
            for name in ("name", "privacy_level", "scheduled_start_time", "entity_type"):
                if fields.get(name) is None:
                    raise form_error(name, "This field is required", "BASE_TYPE_REQUIRED")
        name = fields.get("name")
        if name is not None and not 1 <= len(name) <= 100:
            raise form_error("name", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        description = fields.get("description")
        if description is not None and len(description) > 1000:
            raise form_error("description", "Must be 1000 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if fields.get(key) is not None:
                fields[key] = _normalise_time(fields[key], key)
        entity_type = int(fields.get("entity_type") or 0)
        start = fields.get("scheduled_start_time")
        end = fields.get("scheduled_end_time")
        if creating and start is not None and datetime.fromisoformat(start) < utcnow() - timedelta(seconds=5):
            raise form_error(
                "scheduled_start_time", "Cannot schedule event in the past.", "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST"
            )
        if start is not None and end is not None and datetime.fromisoformat(end) <= datetime.fromisoformat(start):
            raise form_error(
                "scheduled_end_time",
                "Cannot schedule event to end before starting.",
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
            )
        if entity_type == 3:
            location = (fields.get("entity_metadata") or {}).get("location")
            if not location or len(location) > 100:
                raise form_error("entity_metadata.location", "This field is required", "BASE_TYPE_REQUIRED")
            if end is None:
                raise form_error("scheduled_end_time", "This field is required", "BASE_TYPE_REQUIRED")
            if fields.get("channel_id") is not None:
                raise form_error("channel_id", "Must be null for external events")
        elif entity_type in (1, 2):
            channel_id = fields.get("channel_id")
            channel = self.state.channels.get(int(channel_id)) if channel_id is not None else None
            want = CHANNEL_STAGE if entity_type == 1 else CHANNEL_VOICE
            if channel is None or channel.type != want:
                raise form_error(
                    "channel_id", "Channel does not match the entity type", "GUILD_SCHEDULED_EVENT_INVALID_CHANNEL"
                )

    async def create_event(self, call: Call) -> Reply:
        """POST a scheduled event (needs CREATE_EVENTS or MANAGE_EVENTS)."""
        self._guild(call)
        body = dict(call.body())
        self._check_event_fields(body, creating=True)
        self._require_event_permissions(int(body["entity_type"]), body.get("channel_id"), creating=True)
        event = ScheduledEvent(
            id=self.state.next_id(),
            guild_id=self.state.guild.id,
            name=body["name"],
            scheduled_start_time=body["scheduled_start_time"],
            entity_type=int(body["entity_type"]),
            privacy_level=int(body.get("privacy_level", 2)),
            description=body.get("description"),
            scheduled_end_time=body.get("scheduled_end_time"),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            entity_metadata=body.get("entity_metadata"),
            creator_id=self.state.bot_user.id,
            image=body.get("image"),
            recurrence_rule=body.get("recurrence_rule"),
        )
        self.state.guild.scheduled_events[event.id] = event
        payload = self.state.scheduled_event_payload(event)
        await self.fake.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payload)
        return Reply(body=payload)

    async def edit_event(self, call: Call) -> Reply:
        """PATCH a scheduled event, enforcing Discord's status transitions."""
        event = self._event(call)
        self._require_event_permissions(
            event.entity_type, event.channel_id, creating=False, creator_id=event.creator_id
        )
        body = dict(call.body())
        merged = {
            "name": event.name,
            "scheduled_start_time": event.scheduled_start_time,
            "scheduled_end_time": event.scheduled_end_time,
            "entity_type": event.entity_type,
            "entity_metadata": event.entity_metadata,
            "channel_id": event.channel_id,
            **body,
        }
        if "entity_type" in body and int(body["entity_type"]) == 3 and "channel_id" not in body:
            merged["channel_id"] = None
        self._check_event_fields(merged, creating=False)
        self._require_event_permissions(
            int(merged["entity_type"]), merged.get("channel_id"), creating=False, creator_id=event.creator_id
        )
        if "status" in body:
            new = int(body["status"])
            allowed = {1: {2, 4}, 2: {3}}.get(event.status, set())
            if new != event.status and new not in allowed:
                raise form_error(
                    "status",
                    "Invalid Guild Scheduled Event Status Transition",
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                )
            event.status = new
        event.history.append(copy.deepcopy(body))
        for key in (
            "name",
            "description",
            "scheduled_start_time",
            "scheduled_end_time",
            "entity_metadata",
            "image",
            "recurrence_rule",
        ):
            if key in body:
                setattr(event, key, merged[key])
        if "entity_type" in body:
            event.entity_type = int(body["entity_type"])
        if "privacy_level" in body:
            event.privacy_level = int(body["privacy_level"])
        if "channel_id" in merged:
            event.channel_id = int(merged["channel_id"]) if merged["channel_id"] else None
        payload = self.state.scheduled_event_payload(event)
        await self.fake.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payload)
        return Reply(body=payload)

    async def delete_event(self, call: Call) -> Reply:
        """DELETE a scheduled event."""
        event = self._event(call)
        self._require_event_permissions(
            event.entity_type, event.channel_id, creating=False, creator_id=event.creator_id
        )
        event.deleted = True
        await self.fake.dispatch("GUILD_SCHEDULED_EVENT_DELETE", self.state.scheduled_event_payload(event))
        return Reply(body=None)

    async def event_users(self, call: Call) -> Reply:
        """GET the users interested in an event (always empty)."""
        self._event(call)
        return Reply(body=[])

    # -- interactions and followups ----------------------------------------------------------------------------

    def _interaction_metadata(self, record: InteractionRecord) -> dict[str, Any]:
        user = self.state.users[record.user_id]
        data: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user.payload(),
            "authorizing_integration_owners": {"0": str(record.guild_id)} if record.guild_id else {"1": str(user.id)},
        }
        if record.type == 2:
            data["name"] = record.payload.get("data", {}).get("name")
            data["command_type"] = record.payload.get("data", {}).get("type", 1)
        if record.original_message_id is not None:
            data["original_response_message_id"] = str(record.original_message_id)
        if record.source_message_id is not None:
            data["interacted_message_id"] = str(record.source_message_id)
        return data

    def _record_for_callback(self, call: Call) -> InteractionRecord:
        error = ApiError(404, 10062, "Unknown interaction")
        record = self.state.interactions.get(call.snowflake("interaction_id", error))
        if record is None or record.token != call.params.get("interaction_token"):
            raise error
        timeout = self.fake.interaction_ack_timeout
        if timeout is not None and time.monotonic() - record.created > timeout:
            log.warning(
                "Fake Discord: interaction %s answered after %.1fs (limit %.1fs)",
                record.id,
                time.monotonic() - record.created,
                timeout,
            )
            raise error
        return record

    async def interaction_callback(self, call: Call) -> Reply:
        """POST /interactions/{id}/{token}/callback: the initial response (types 1, 4-9)."""
        record = self._record_for_callback(call)
        if record.acknowledged:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = call.body()
        ctype = int(body.get("type") or 0)
        data = body.get("data") or {}
        valid = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(record.type, set())
        if ctype in (6, 7) and record.source_message_id is None:
            valid = valid - {6, 7}
        if ctype not in valid:
            raise form_error(
                "type",
                f"Interaction response type {ctype} is invalid for interaction type {record.type}",
                "INTERACTION_RESPONSE_TYPE_INVALID",
            )
        if self.fake.enforce_limits:
            violations: list[Violation] = check_limits(body)
            if violations:
                raise ApiError(400, 50035, "Invalid Form Body", errors_tree(violations))
        channel = self.state.channels[record.channel_id]
        message: Message | None = None
        if ctype == 4:
            flags = int(data.get("flags") or 0) & (_SETTABLE_MESSAGE_FLAGS | FLAG_EPHEMERAL)
            message = self._new_message(
                channel, data, call.files, flags=flags, message_type=20 if record.type == 2 else 0, interaction=record
            )
        elif ctype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._new_message(
                channel,
                {},
                [],
                flags=flags,
                message_type=20 if record.type == 2 else 0,
                interaction=record,
                allow_empty=True,
            )
        elif ctype in (6, 7):
            message = self.state.messages.get(record.source_message_id or 0)
            if ctype == 7 and message is not None:
                await self._apply_edit(message, data, call.files)
        elif ctype == 9 and not (data.get("custom_id") and data.get("title") and data.get("components")):
            raise form_error("data", "Modal needs custom_id, title and components", "BASE_TYPE_REQUIRED")
        record.callback = CallbackRecord(
            ctype, copy.deepcopy(data) if data else None, list(call.files), time.monotonic()
        )
        if message is not None:
            record.original_message_id = message.id
            if ctype in (4, 5):
                message.interaction_metadata = self._interaction_metadata(record)
                await self._announce(message)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return Reply(body=None)
        response: dict[str, Any] = {"interaction": {"id": str(record.id), "type": record.type}}
        if message is not None and ctype in (4, 5, 7):
            response["interaction"].update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
        if message is not None and ctype in (4, 7):
            response["resource"] = {"type": ctype, "message": self.state.message_payload(message)}
        return Reply(body=response)

    def _record_for_webhook(self, call: Call) -> InteractionRecord:
        token = call.params.get("webhook_token")
        invalid = ApiError(401, 50027, "Invalid Webhook Token")
        if call.params.get("webhook_id") != str(self.state.application_id):
            raise unknown("Webhook", 10015)
        record = self.state.interaction_by_token.get(token or "")
        if record is None or time.monotonic() - record.created > self.fake.interaction_token_lifetime:
            raise invalid
        return record

    def _webhook_message(self, call: Call, record: InteractionRecord) -> Message:
        error = unknown("Message", 10008)
        if "message_id" not in call.params or call.params["message_id"] == "@original":
            if not record.acknowledged:
                raise unknown("Webhook", 10015)
            message_id = record.original_message_id
        else:
            message_id = call.snowflake("message_id", error)
            if message_id not in (*record.followup_ids, record.original_message_id):
                raise error
        message = self.state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise error
        return message

    async def execute_webhook(self, call: Call) -> Reply:
        """POST a followup; the first followup after a "thinking" defer replaces the loading message."""
        record = self._record_for_webhook(call)
        if not record.acknowledged:
            raise unknown("Webhook", 10015)
        body = call.body()
        original = self.state.messages.get(record.original_message_id or 0)
        if original is not None and original.loading and not original.deleted:
            self._check_message_body(body, call.files, allow_empty=False)
            await self._apply_edit(original, body, call.files, clear_loading=True)
            message = original
            if message.id not in record.followup_ids:
                record.followup_ids.append(message.id)
        else:
            channel = self.state.channels[record.channel_id]
            flags = int(body.get("flags") or 0) & (_SETTABLE_MESSAGE_FLAGS | FLAG_EPHEMERAL)
            message = self._new_message(
                channel, body, call.files, flags=flags, message_type=20 if record.type == 2 else 0, interaction=record
            )
            record.followup_ids.append(message.id)
            await self._announce(message)
        if call.query.get("wait") in ("1", "true", "True"):
            return Reply(body=self.state.message_payload(message))
        return Reply(body=None)

    async def get_webhook_message(self, call: Call) -> Reply:
        """GET @original or a followup."""
        record = self._record_for_webhook(call)
        return Reply(body=self.state.message_payload(self._webhook_message(call, record)))

    async def edit_webhook_message(self, call: Call) -> Reply:
        """PATCH @original or a followup."""
        record = self._record_for_webhook(call)
        message = self._webhook_message(call, record)
        await self._apply_edit(message, call.body(), call.files, clear_loading=True)
        return Reply(body=self.state.message_payload(message))

    async def delete_webhook_message(self, call: Call) -> Reply:
        """DELETE @original or a followup."""
        record = self._record_for_webhook(call)
        await self._delete(self._webhook_message(call, record))
        return Reply(body=None)


# -- helpers ---------------------------------------------------------------------------------------------------


async def _read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    """Parse a JSON body, or a multipart body into (payload_json, files)."""
    if not request.can_read_body:
        return None, []
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        payload: Any = None
        files: list[RecordedFile] = []
        async for part in reader:
            if not hasattr(part, "read"):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            elif part.filename is not None:
                data = bytes(await part.read())
                files.append(RecordedFile(part.name or "", part.filename, data, part.headers.get("Content-Type")))
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    return json.loads(raw), []


def _with_component_ids(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy components and number those without an id, as Discord does."""
    result = copy.deepcopy(components)
    every = list(walk_components(result))
    used = {c["id"] for c in every if isinstance(c.get("id"), int)}
    counter = 1
    for component in every:
        if component.get("id") is None:
            while counter in used:
                counter += 1
            component["id"] = counter
            used.add(counter)
    return result


def _normalise_time(value: Any, field_name: str) -> str:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise form_error(field_name, "Could not parse ISO8601 timestamp.", "DATE_TIME_TYPE_PARSE") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _validate_command(definition: dict[str, Any], index: str) -> None:
    """Reject command definitions Discord would reject (names, descriptions, option counts and order)."""
    prefix = f"{index}." if index else ""
    name = definition.get("name")
    ctype = int(definition.get("type") or 1)
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        raise form_error(f"{prefix}name", "Must be between 1 and 32 in length.", "BASE_TYPE_BAD_LENGTH")
    if ctype == 1:
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(f"{prefix}name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
        description = definition.get("description") or ""
        if not 1 <= len(description) <= 100:
            raise form_error(f"{prefix}description", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
    _validate_options(definition.get("options") or [], f"{prefix}options", depth=0)


def _validate_options(options: list[dict[str, Any]], path: str, depth: int) -> None:
    if len(options) > 25:
        raise form_error(path, "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        here = f"{path}.{index}"
        name = option.get("name") or ""
        if not _COMMAND_NAME.match(name) or name != name.lower():
            raise form_error(f"{here}.name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME")
        if name in names:
            raise form_error(
                f"{here}.name", "Option names must be unique", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS"
            )
        names.add(name)
        if not 1 <= len(option.get("description") or "") <= 100:
            raise form_error(f"{here}.description", "Must be between 1 and 100 in length.", "BASE_TYPE_BAD_LENGTH")
        otype = int(option.get("type") or 0)
        if otype in (1, 2):
            if depth >= (1 if otype == 2 else 2):
                raise form_error(f"{here}.type", "Sub-command groups nested too deep", "APPLICATION_COMMAND_TOO_DEEP")
            _validate_options(option.get("options") or [], f"{here}.options", depth + 1)
            continue
        if option.get("required"):
            if seen_optional:
                raise form_error(
                    path,
                    "Required options must be placed before non-required options",
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > 25:
            raise form_error(f"{here}.choices", "Must be 25 or fewer in length.", "BASE_TYPE_MAX_LENGTH")
        if choices and option.get("autocomplete"):
            raise form_error(
                f"{here}.autocomplete",
                "Autocomplete cannot be set with choices",
                "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
            )
