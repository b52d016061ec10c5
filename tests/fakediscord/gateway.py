"""The fake gateway websocket: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, chunks and drops."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .driver import FakeDiscord
    from .state import Member

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_VOICE_STATES = 1 << 7
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16

_GUILD_EVENT_INTENTS: dict[str, int] = {
    "GUILD_UPDATE": INTENT_GUILDS,
    "GUILD_DELETE": INTENT_GUILDS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": INTENT_GUILDS,
    "GUILD_ROLE_DELETE": INTENT_GUILDS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_UPDATE": INTENT_GUILDS,
    "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_CREATE": INTENT_GUILDS,
    "THREAD_UPDATE": INTENT_GUILDS,
    "THREAD_DELETE": INTENT_GUILDS,
    "THREAD_MEMBERS_UPDATE": INTENT_GUILDS,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": INTENT_GUILD_MEMBERS,
    "VOICE_STATE_UPDATE": INTENT_GUILD_VOICE_STATES,
    "PRESENCE_UPDATE": INTENT_GUILD_PRESENCES,
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_ADD": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": INTENT_GUILD_SCHEDULED_EVENTS,
}
_MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
_REACTION_EVENTS = {
    "MESSAGE_REACTION_ADD",
    "MESSAGE_REACTION_REMOVE",
    "MESSAGE_REACTION_REMOVE_ALL",
    "MESSAGE_REACTION_REMOVE_EMOJI",
}


def event_allowed(intents: int, event: str, data: dict[str, Any]) -> bool:
    """Return whether a session with these intents receives this dispatch."""
    in_guild = bool(data.get("guild_id"))
    if event in _MESSAGE_EVENTS:
        needed = INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES
    elif event in _REACTION_EVENTS:
        needed = INTENT_GUILD_MESSAGE_REACTIONS if in_guild else INTENT_DIRECT_MESSAGE_REACTIONS
    else:
        needed = _GUILD_EVENT_INTENTS.get(event, 0)
    return not needed or bool(intents & needed)


@dataclass(eq=False)
class GatewayConnection:
    """One websocket connection from the client."""

    ws: web.WebSocketResponse
    request: web.Request
    compressor: Any = None
    session: GatewaySession | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    heartbeats: int = 0

    @property
    def open(self) -> bool:
        """Return whether frames can still be sent."""
        return not self.ws.closed

    async def send(self, frame: dict[str, Any]) -> bool:
        """Send one frame (zlib-stream compressed when the client asked for it); return False if it failed."""
        text = json.dumps(frame, separators=(",", ":"))
        async with self.lock:
            if self.ws.closed:
                return False
            try:
                if self.compressor is not None:
                    data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("Gateway send failed: %r", exc)
                return False
        return True


@dataclass(eq=False)
class GatewaySession:
    """A gateway session: sequence numbers and a replay buffer that survive reconnects."""

    session_id: str
    intents: int
    shard: tuple[int, int] | None
    large_threshold: int
    seq: int = 0
    buffer: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=5000), repr=False)
    connection: GatewayConnection | None = None
    invalid: bool = False
    presence: dict[str, Any] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Assign the next sequence number, buffer the frame and send it if connected."""
        async with self.lock:
            self.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
            self.buffer.append(frame)
            connection = self.connection
            if connection is not None and connection.open:
                await connection.send(frame)
            return self.seq


class Gateway:
    """Serve /gateway for the fake and fan dispatches out to identified sessions."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self.received: list[dict[str, Any]] = []
        self.dispatched: list[tuple[str, dict[str, Any]]] = []  # tokens redacted
        self.closed_codes: list[int | None] = []

    # -- websocket handling ------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Run one websocket connection until it closes."""
        ws = web.WebSocketResponse(max_msg_size=0, compress=False)
        await ws.prepare(request)
        wants_zlib = request.query.get("compress") == "zlib-stream" and self.fake.gateway_compress
        connection = GatewayConnection(ws, request, zlib.compressobj() if wants_zlib else None)
        self.connections.append(connection)
        log.debug("Gateway connection opened (zlib=%s)", wants_zlib)
        await connection.send(
            {
                "op": OP_HELLO,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": int(self.fake.heartbeat_interval * 1000), "_trace": ["fake-gateway"]},
            }
        )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(connection, json.loads(msg.data))
                elif msg.type == WSMsgType.BINARY:
                    await self._on_frame(connection, json.loads(msg.data.decode()))
                elif msg.type == WSMsgType.ERROR:
                    break
        except (ConnectionError, asyncio.CancelledError):
            log.debug("Gateway connection ended abruptly")
        finally:
            self.closed_codes.append(ws.close_code)
            session = connection.session
            if session is not None and session.connection is connection:
                session.connection = None
            if connection in self.connections:
                self.connections.remove(connection)
            self.fake.notify()
        return ws

    async def _on_frame(self, connection: GatewayConnection, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        data = frame.get("d")
        self.received.append(_redact_frame(frame))
        if op == OP_HEARTBEAT:
            connection.heartbeats += 1
            await connection.send({"op": OP_HEARTBEAT_ACK, "s": None, "t": None, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(connection, data or {})
        elif op == OP_RESUME:
            await self._resume(connection, data or {})
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(connection, data or {})
        elif op == OP_PRESENCE:
            if connection.session is not None:
                connection.session.presence = data
        elif op == OP_VOICE_STATE:
            await self.fake.bot_voice_state(data or {})
        else:
            log.warning("Gateway got unknown op %s; closing with 4001", op)
            await connection.ws.close(code=4001, message=b"Unknown opcode.")
        self.fake.notify()

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            await connection.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self.fake.token:
            log.warning("Gateway IDENTIFY with a wrong token; closing with 4004")
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_data = data.get("shard")
        shard = (int(shard_data[0]), int(shard_data[1])) if shard_data else None
        if shard is not None and (shard[1] < 1 or shard[0] >= shard[1]):
            await connection.ws.close(code=4010, message=b"Invalid shard.")
            return
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=int(data.get("intents", 0)),
            shard=shard,
            large_threshold=int(data.get("large_threshold", 50)),
            presence=data.get("presence"),
        )
        self.sessions[session.session_id] = session
        session.connection = connection
        connection.session = session
        self.identify_count += 1
        state = self.fake.state
        guild_id = state.guild.id
        in_shard = shard is None or (guild_id >> 22) % shard[1] == shard[0]
        me = state.bot_user.payload() | {"verified": True, "mfa_enabled": False, "email": None, "bio": ""}
        ready: dict[str, Any] = {
            "v": 10,
            "user": me,
            "user_settings": {},
            "guilds": [{"id": str(guild_id), "unavailable": True}] if in_shard else [],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.fake.gateway_url,
            "application": {"id": str(state.application_id), "flags": state.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["london", "rotterdam"],
            "auth": {},
            "_trace": ["fake-gateway"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await session.dispatch("READY", ready)
        if in_shard:
            await session.dispatch("GUILD_CREATE", self.guild_create_payload(session))
        self.fake.mark_ready()
        log.info("Gateway session %s identified (intents=%s)", session.session_id[:8], session.intents)

    def guild_create_payload(self, session: GatewaySession) -> dict[str, Any]:
        """Build GUILD_CREATE as this session would see it (members depend on intents and size)."""
        state = self.fake.state
        guild = state.guild
        large = len(guild.members) > session.large_threshold
        members: list[Member]
        if session.intents & INTENT_GUILD_MEMBERS and not large:
            members = list(guild.members.values())
        else:
            wanted = {state.bot_user.id} | {v.user_id for v in guild.voice_states.values() if v.channel_id}
            members = [m for uid, m in guild.members.items() if uid in wanted]
        return state.guild_payload(members=members, gateway=True, large=large)

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalid or data.get("token") != self.fake.token:
            self.invalid_session_count += 1
            await connection.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
            return
        seq = int(data.get("seq") or 0)
        async with session.lock:
            old = session.connection
            session.connection = connection
            connection.session = session
            for frame in list(session.buffer):
                if frame["s"] > seq:
                    await connection.send(frame)
            session.seq += 1
            frame = {"op": OP_DISPATCH, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["fake-gateway"]}}
            session.buffer.append(frame)
            await connection.send(frame)
        if old is not None and old is not connection and old.open:
            await old.ws.close(code=4000)
        self.resume_count += 1
        log.info("Gateway session %s resumed from seq %s", session.session_id[:8], seq)

    async def _request_members(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        session = connection.session
        if session is None:
            return
        state = self.fake.state
        members = list(state.guild.members.values())
        user_ids = data.get("user_ids")
        not_found: list[str] = []
        if user_ids is not None:
            ids = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            members = [m for m in members if m.id in ids]
            not_found = [str(i) for i in ids if i not in state.guild.members]
        else:
            query = str(data.get("query") or "").lower()
            if query:
                members = [m for m in members if m.name.lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
            if not query and not limit and not session.intents & INTENT_GUILD_MEMBERS:
                members = []
        chunks = [members[i : i + 1000] for i in range(0, len(members), 1000)] or [[]]
        for index, chunk in enumerate(chunks):
            payload: dict[str, Any] = {
                "guild_id": str(state.guild.id),
                "members": [m.payload() for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": not_found if index == 0 else [],
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            if data.get("presences"):
                payload["presences"] = []
            await session.dispatch("GUILD_MEMBERS_CHUNK", payload)

    # -- dispatching -------------------------------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        """Return the sessions that still receive events (connected or resumable)."""
        return [s for s in self.sessions.values() if not s.invalid]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch to every live session whose intents allow it."""
        self.dispatched.append((event, {**data, "token": "<redacted>"} if "token" in data else data))
        for session in self.live_sessions():
            if not event_allowed(session.intents, event, data):
                continue
            await session.dispatch(event, self._filter_content(session, event, data))

    def _filter_content(self, session: GatewaySession, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Blank message content for sessions without the MESSAGE_CONTENT intent, as Discord does."""
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or session.intents & INTENT_MESSAGE_CONTENT:
            return data
        if not data.get("guild_id"):
            return data
        me = str(self.fake.state.bot_user.id)
        author = (data.get("author") or {}).get("id")
        if author == me or any(m.get("id") == me for m in data.get("mentions") or []):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    async def drop(self, *, resume: bool = True, abrupt: bool = False) -> None:
        """Disconnect the client: close 4000 / abort (it resumes) or invalidate the session (it re-identifies)."""
        for connection in list(self.connections):
            session = connection.session
            if not resume and session is not None:
                session.invalid = True
                await connection.send({"op": OP_INVALID_SESSION, "s": None, "t": None, "d": False})
                continue
            if abrupt:
                transport = connection.request.transport
                if transport is not None:
                    transport.abort()
                with contextlib.suppress(Exception):
                    await connection.ws.close(code=1006)
            else:
                await connection.ws.close(code=4000, message=b"Unknown error.")
        self.fake.notify()

    async def reconnect_request(self) -> None:
        """Send op 7 RECONNECT so the client closes and resumes."""
        for connection in list(self.connections):
            await connection.send({"op": OP_RECONNECT, "s": None, "t": None, "d": None})

    async def close_all(self) -> None:
        """Close every connection (server shutdown)."""
        for connection in list(self.connections):
            with contextlib.suppress(Exception):
                await connection.ws.close(code=1001, message=b"Server shutting down.")


def _redact_frame(frame: dict[str, Any]) -> dict[str, Any]:
    data = frame.get("d")
    if isinstance(data, dict) and "token" in data:
        return {**frame, "d": {**data, "token": "<redacted>"}}
    return frame
