"""The core's Sender on Matrix: idempotent posts (txnId = the delivery nonce), HTML bodies, opted-in pings only."""

import logging
import secrets
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from mautrix.api import HTTPAPI, MediaPath, Method, Path

from bot.core.clock import Clock
from bot.core.messages import FileAttachment, OutboundMessage, SentMessage
from bot.core.ports import PermanentSendError
from bot.core.programme.ids import parse_rsvp_button_id
from bot.core.reflections.ids import parse_reflect_button_id
from bot.matrix.http import call
from bot.matrix.ids import EVENT, ROOM, USER, MatrixIds, MatrixState
from bot.matrix.render import Names, mentioned_numbers, message_blocks, split_events

log = logging.getLogger(__name__)

REF_KEY = "org.blether.ref"  # our delivery reference inside the event content (find_recent looks for it)
BUTTONS_KEY = "org.blether.buttons"  # the custom_ids of the message's buttons, for reactions standing in for them
DIRECT_NOTICE = (
    "This is a direct room Blether created for you. It is not end-to-end encrypted: the homeserver's "
    "operators can read it, as they can read the programme's rooms."
)

RSVP_HINT = "React ✅ to say you'll be there, ❌ to take it back."
REFLECT_HINT = "React 📝 (or type !blether reflect and the session's number) to answer in a direct room with Blether."

RoleMembers = Callable[[int], Awaitable[list[str]]]
ZoneOf = Callable[[], Awaitable[ZoneInfo]]


async def _nobody(_role_id: int) -> list[str]:
    return []


class MatrixSender:
    """Post, direct-message, edit and find Blether's own messages in Matrix rooms (bot.core.ports.Sender)."""

    def __init__(
        self,
        api: HTTPAPI,
        ids: MatrixIds,
        state: MatrixState,
        clock: Clock,
        *,
        user_id: str,
        zone: ZoneOf,
        role_members: RoleMembers = _nobody,
        msgtype: str = "m.text",
    ) -> None:
        self._api = api
        self._ids = ids
        self._state = state
        self._clock = clock
        self._user_id = user_id
        self._zone = zone
        self._role_members = role_members
        self._msgtype = msgtype

    async def _names(self, message: OutboundMessage) -> Names:
        users, rooms = mentioned_numbers(message)
        return Names(
            zone=await self._zone(),
            users=await self._ids.externals(users),
            rooms=await self._ids.externals(rooms),
            now=self._clock.now(),
        )

    async def _room(self, channel_id: int) -> str:
        room = await self._ids.external(channel_id)
        if room is None:
            raise PermanentSendError(f"room {channel_id} is not known to Blether: run `!blether setup` again.")
        return room

    async def _send_event(self, room: str, event_type: str, content: dict, txn_id: str, what: str) -> str:
        path = Path.v3.rooms[room].send[event_type][txn_id]
        answer = await call(what, lambda: self._api.request(Method.PUT, path, content))
        return answer["event_id"]

    async def contents(self, message: OutboundMessage) -> list[dict]:
        """Return the event contents a message becomes (split to fit), each with its HTML and mentions."""
        names = await self._names(message)
        pinged: list[str] = []
        for role_id in message.mention_role_ids:
            pinged.extend(u for u in await self._role_members(role_id) if u not in pinged)
        contents = []
        blocks = message_blocks(message, names)
        if any(b.custom_id and parse_rsvp_button_id(b.custom_id) for b in message.buttons):
            blocks.append((RSVP_HINT, f"<p><em>{RSVP_HINT}</em></p>"))
        if any(b.custom_id and parse_reflect_button_id(b.custom_id) for b in message.buttons):
            blocks.append((REFLECT_HINT, f"<p><em>{REFLECT_HINT}</em></p>"))
        for index, (body, rich) in enumerate(split_events(blocks) or [("", "")]):
            content = {
                "msgtype": self._msgtype,
                "body": body or " ",
                "format": "org.matrix.custom.html",
                "formatted_body": rich or " ",
                # Nobody is pinged by the text; only the first event names those who opted in.
                "m.mentions": {"user_ids": pinged} if index == 0 and pinged else {},
            }
            contents.append(content)
        return contents

    async def post_to_room(self, room: str, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a room by Matrix id; a retry with the same nonce reuses the same txnIds."""
        base = nonce or f"blether-{secrets.token_hex(8)}"
        first: str | None = None
        actions = [b.custom_id for b in message.buttons if b.custom_id and b.custom_id.startswith("blether:")]
        for index, content in enumerate(await self.contents(message)):
            if nonce:
                content[REF_KEY] = nonce
            if index == 0 and actions:  # a reaction to this event stands for these buttons (bot.matrix.bot)
                content[BUTTONS_KEY] = actions
            event_id = await self._send_event(room, "m.room.message", content, f"{base}.{index}", "post a message")
            first = first or event_id
        for index, attachment in enumerate(message.files):
            await self._send_file(room, attachment, f"{base}.file{index}")
        assert first is not None
        return SentMessage(
            message_id=await self._ids.number(EVENT, first), channel_id=await self._ids.number(ROOM, room)
        )

    async def _send_file(self, room: str, attachment: FileAttachment, txn_id: str) -> str:
        mime = _mime(attachment.filename)

        async def upload() -> dict:
            return await self._api.request(
                Method.POST,
                MediaPath.v3.upload,
                attachment.data,
                headers={"Content-Type": mime},
                query_params={"filename": attachment.filename},
            )

        uri = (await call("upload a file", upload))["content_uri"]
        content = {
            "msgtype": "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            "url": uri,
            "info": {"mimetype": mime, "size": len(attachment.data)},
        }
        return await self._send_event(room, "m.room.message", content, txn_id, "send a file")

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a room (by its number)."""
        return await self.post_to_room(await self._room(channel_id), message, nonce=nonce)

    async def direct_room(self, user_id: str) -> str:
        """Return the direct room with a user, creating it (unencrypted, said so in it) the first time."""
        key = f"dm.{user_id}"
        room = await self._state.get(key)
        if room is not None:
            return room
        body = {
            "preset": "trusted_private_chat",
            "is_direct": True,
            "invite": [user_id],
            "name": "Blether",
            "topic": "Reflections and reminders from Blether (not end-to-end encrypted)",
        }
        answer = await call("create a direct room", lambda: self._api.request(Method.POST, Path.v3.createRoom, body))
        room = answer["room_id"]
        await self._state.set(key, room, now=self._clock.now())
        notice = {"msgtype": "m.notice", "body": DIRECT_NOTICE, "m.mentions": {}}
        await self._send_event(room, "m.room.message", notice, f"dm-notice-{secrets.token_hex(4)}", "greet")
        return room

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a message in the direct room with a user (by the user's number)."""
        mxid = await self._ids.external(user_id)
        if mxid is None:
            raise PermanentSendError(f"user {user_id} is not known to Blether")
        return await self.post_to_room(await self.direct_room(mxid), message, nonce=nonce)

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Replace a message's text (m.replace); a long message keeps its first part's place."""
        room = await self._room(channel_id)
        event_id = await self._ids.external(message_id)
        if event_id is None:
            raise PermanentSendError("that message is not known to Blether")
        new = (await self.contents(message))[0]
        content = {
            "msgtype": new["msgtype"],
            "body": f"* {new['body']}",
            "format": new["format"],
            "formatted_body": new["formatted_body"],
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
            "m.mentions": {},
        }
        await self._send_event(room, "m.room.message", content, f"edit-{secrets.token_hex(8)}", "edit a message")

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Find one of our recent messages in a room whose reference or text carries marker."""
        room = await self._room(channel_id)
        query = {"dir": "b", "limit": str(limit)}
        answer = await call(
            "read recent messages",
            lambda: self._api.request(Method.GET, Path.v3.rooms[room].messages, query_params=query),
        )
        for event in answer.get("chunk", []):
            content = event.get("content") or {}
            if event.get("sender") != self._user_id or event.get("type") != "m.room.message":
                continue
            if marker == content.get(REF_KEY) or marker in str(content.get("body", "")):
                return SentMessage(message_id=await self._ids.number(EVENT, event["event_id"]), channel_id=channel_id)
        return None

    async def user_number(self, mxid: str) -> int:
        """Return the number of a Matrix user (stored on first sight)."""
        return await self._ids.number(USER, mxid)


def _mime(filename: str) -> str:
    lowered = filename.lower()
    for suffix, mime in (
        (".ics", "text/calendar"),
        (".zip", "application/zip"),
        (".csv", "text/csv"),
        (".png", "image/png"),
        (".html", "text/html"),
        (".json", "application/json"),
    ):
        if lowered.endswith(suffix):
            return mime
    return "application/octet-stream"
