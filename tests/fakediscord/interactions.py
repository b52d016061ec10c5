"""Build interaction payloads (slash, autocomplete, components, modal submits) and the handle tests await on."""

# The test-facing API takes timeout= arguments on purpose (as the brief's driver API specifies).

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .state import (
    CHANNEL_DM,
    Attachment,
    CallbackRecord,
    Channel,
    InteractionRecord,
    Member,
    Message,
    Role,
    User,
)

if TYPE_CHECKING:
    from .driver import FakeDiscord

OPTION_SUB_COMMAND = 1
OPTION_SUB_COMMAND_GROUP = 2
OPTION_STRING = 3
OPTION_INTEGER = 4
OPTION_BOOLEAN = 5
OPTION_USER = 6
OPTION_CHANNEL = 7
OPTION_ROLE = 8
OPTION_MENTIONABLE = 9
OPTION_NUMBER = 10
OPTION_ATTACHMENT = 11

AttachmentInput = bytes | tuple[str, bytes] | tuple[str, bytes, str] | Path | Attachment


class InteractionHandle:
    """What a test holds after dispatching an interaction: await the bot's response, followups and text."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    def __repr__(self) -> str:
        kind = {2: "command", 3: "component", 4: "autocomplete", 5: "modal_submit"}.get(self.record.type, "?")
        cb = self.record.callback.type if self.record.callback else None
        return f"<InteractionHandle id={self.record.id} type={kind} callback={cb} followups={len(self.followups)}>"

    @property
    def id(self) -> int:
        """Return the interaction id."""
        return self.record.id

    @property
    def token(self) -> str:
        """Return the interaction token (never printed by repr)."""
        return self.record.token

    @property
    def payload(self) -> dict[str, Any]:
        """Return the INTERACTION_CREATE data the fake sent."""
        return self.record.payload

    @property
    def callback(self) -> CallbackRecord | None:
        """Return the initial response, if any yet."""
        return self.record.callback

    async def response(self, timeout: float = 5.0) -> CallbackRecord:
        """Wait for the initial callback (type 4, 5, 6, 7, 8 or 9) and return it."""
        await self._fake.wait_until(lambda: self.record.callback, timeout, f"a callback to {self!r}")
        assert self.record.callback is not None
        return self.record.callback

    @property
    def response_type(self) -> int | None:
        """Return the callback type, or None before the bot answered."""
        return self.record.callback.type if self.record.callback else None

    @property
    def ephemeral(self) -> bool:
        """Return whether the initial response (message or defer) is ephemeral."""
        original = self.original
        if original is not None and self.response_type in (4, 5):
            return original.ephemeral
        callback = self.record.callback
        return bool(callback and callback.data and int(callback.data.get("flags") or 0) & 64)

    @property
    def original(self) -> Message | None:
        """Return the @original message (created by type 4/5, or the component's message for 6/7)."""
        mid = self.record.original_message_id
        return self._fake.state.messages.get(mid) if mid else None

    @property
    def followups(self) -> list[Message]:
        """Return the followup messages in order (the first may be the replaced "thinking" message)."""
        return [self._fake.state.messages[mid] for mid in self.record.followup_ids]

    async def followup(self, index: int = 0, timeout: float = 5.0) -> Message:
        """Wait until followup number ``index`` exists and return it."""
        await self._fake.wait_until(
            lambda: len(self.record.followup_ids) > index, timeout, f"followup #{index} of {self!r}"
        )
        return self.followups[index]

    @property
    def modal(self) -> dict[str, Any] | None:
        """Return the modal (custom_id, title, components) the bot opened, if it answered with type 9."""
        callback = self.record.callback
        return callback.data if callback and callback.type == 9 else None

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Return the autocomplete choices (type 8) the bot answered with."""
        callback = self.record.callback
        if callback is None or callback.type != 8 or not callback.data:
            return []
        return list(callback.data.get("choices") or [])

    def messages(self) -> list[Message]:
        """Return the visible replies (original unless still loading, then followups), not deleted."""
        found: list[Message] = []
        original = self.original
        if original is not None and not original.deleted and not original.loading:
            found.append(original)
        for message in self.followups:
            if not message.deleted and message not in found:
                found.append(message)
        return found

    def last_reply(self) -> Message | None:
        """Return the reply that changed most recently."""
        replies = self.messages()
        if not replies:
            return None
        return max(replies, key=lambda m: (m.edits[-1].at if m.edits else m.created_at, m.id))

    def final_text(self) -> str:
        """Return the text (content + embeds + text displays) of the last visible reply, or ""."""
        reply = self.last_reply()
        return reply.text() if reply is not None else ""

    async def settle(self, timeout: float = 5.0, quiet: float = 0.15) -> str:
        """Wait until the bot answered, nothing is loading and nothing changed for ``quiet`` s; return final_text."""
        deadline = time.monotonic() + timeout
        await self.response(timeout)

        def snapshot() -> tuple[Any, ...]:
            replies = self.messages()
            return tuple((m.id, len(m.edits), m.deleted) for m in replies), len(self.record.followup_ids)

        while True:
            before = snapshot()
            loading = self.original is not None and self.original.loading and self.record.callback.type == 5
            await asyncio.sleep(quiet)
            if not loading and snapshot() == before:
                return self.final_text()
            if time.monotonic() > deadline:
                raise self._fake.timeout_error(f"{self!r} to settle", timeout)


# -- option building -------------------------------------------------------------------------------------------


def _choice_values(option: Mapping[str, Any]) -> list[Any]:
    return [c["value"] for c in option.get("choices") or []]


class OptionBuilder:
    """Turn test-friendly option values into Discord's interaction data options plus ``resolved``."""

    def __init__(self, fake: FakeDiscord, invoker: Member | User, channel: Channel, *, strict: bool) -> None:
        self.fake = fake
        self.invoker = invoker
        self.channel = channel
        self.strict = strict
        self.resolved: dict[str, dict[str, Any]] = {}

    def build(
        self, definition: Mapping[str, Any], path: Sequence[str], values: Mapping[str, Any], focused: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the options list for the (sub)command definition, descending into path."""
        defined: list[dict[str, Any]] = list(definition.get("options") or [])
        if path:
            name = path[0]
            sub = next((o for o in defined if o["name"] == name and o.get("type") in (1, 2)), None)
            if sub is None:
                names = [o["name"] for o in defined if o.get("type") in (1, 2)]
                raise ValueError(f"/{definition.get('name')} has no subcommand {name!r} (has {names})")
            return [{"type": sub["type"], "name": name, "options": self.build(sub, path[1:], values, focused)}]
        if any(o.get("type") in (1, 2) for o in defined):
            names = [o["name"] for o in defined]
            raise ValueError(f"/{definition.get('name')} needs a subcommand (one of {names})")
        by_name = {o["name"]: o for o in defined}
        result: list[dict[str, Any]] = []
        for name, value in values.items():
            option = by_name.get(name)
            if option is None:
                raise ValueError(f"/{definition.get('name')} has no option {name!r} (has {sorted(by_name)})")
            if value is None:
                continue
            if name == focused:
                result.append({"type": option["type"], "name": name, "value": str(value), "focused": True})
                continue
            result.append({"type": option["type"], "name": name, "value": self._convert(option, value)})
        if self.strict and focused is None:
            given = {o["name"] for o in result}
            missing = [o["name"] for o in defined if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"/{definition.get('name')} is missing required options {missing}")
        return result

    def _convert(self, option: Mapping[str, Any], value: Any) -> Any:
        otype = option["type"]
        name = option["name"]
        if otype == OPTION_STRING:
            value = str(value)
            if self.strict:
                low, high = option.get("min_length"), option.get("max_length")
                if (low is not None and len(value) < low) or (high is not None and len(value) > high):
                    raise ValueError(f"option {name!r}: length {len(value)} outside [{low}, {high}]")
        elif otype in (OPTION_INTEGER, OPTION_NUMBER):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(f"option {name!r} needs a number, got {value!r}")
            value = int(value) if otype == OPTION_INTEGER else float(value)
            if self.strict:
                low, high = option.get("min_value"), option.get("max_value")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise ValueError(f"option {name!r}: {value} outside [{low}, {high}]")
        elif otype == OPTION_BOOLEAN:
            value = bool(value)
        elif otype == OPTION_USER:
            return str(self._resolve_user(value))
        elif otype == OPTION_CHANNEL:
            channel = self._channel(value)
            types = option.get("channel_types")
            if self.strict and types and channel.type not in types:
                raise ValueError(f"option {name!r}: channel type {channel.type} not in {types}")
            self._resolve_channel(channel)
            return str(channel.id)
        elif otype == OPTION_ROLE:
            return str(self._resolve_role(value))
        elif otype == OPTION_MENTIONABLE:
            if isinstance(value, Role):
                return str(self._resolve_role(value))
            return str(self._resolve_user(value))
        elif otype == OPTION_ATTACHMENT:
            attachment = self.fake.make_attachment(value, self.channel.id)
            self.resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.payload()
            return str(attachment.id)
        choices = _choice_values(option)
        if self.strict and choices and value not in choices:
            raise ValueError(f"option {name!r}: {value!r} is not one of the choices {choices}")
        return value

    def _resolve_user(self, value: Any) -> int:
        state = self.fake.state
        uid = value.id if isinstance(value, Member | User) else int(value)
        user = state.users.get(uid)
        if user is None:
            raise ValueError(f"unknown user {value!r}")
        self.resolved.setdefault("users", {})[str(uid)] = user.payload()
        member = state.guild.members.get(uid)
        if member is not None and not self.channel.is_dm:
            data = member.payload(with_user=False)
            data["permissions"] = str(state.channel_permissions(member, self.channel))
            self.resolved.setdefault("members", {})[str(uid)] = data
        return uid

    def _resolve_role(self, value: Any) -> int:
        rid = value.id if isinstance(value, Role) else int(value)
        role = self.fake.state.guild.roles.get(rid)
        if role is None:
            raise ValueError(f"unknown role {value!r}")
        self.resolved.setdefault("roles", {})[str(rid)] = role.payload()
        return rid

    def _channel(self, value: Any) -> Channel:
        cid = value.id if isinstance(value, Channel) else int(value)
        channel = self.fake.state.channels.get(cid)
        if channel is None:
            raise ValueError(f"unknown channel {value!r}")
        return channel

    def _resolve_channel(self, channel: Channel) -> None:
        state = self.fake.state
        member = state.guild.members.get(self.invoker.id)
        allowed = state.channel_permissions(member, channel) if member is not None else 0
        data: dict[str, Any] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(allowed),
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "position": channel.position,
            "flags": 0,
            "nsfw": False,
            "guild_id": str(channel.guild_id),
        }
        if channel.topic is not None:
            data["topic"] = channel.topic
        self.resolved.setdefault("channels", {})[str(channel.id)] = data


# -- modal submits ---------------------------------------------------------------------------------------------


def modal_submit_components(
    components: list[dict[str, Any]],
    values: Mapping[str, Any],
    fake: FakeDiscord,
    channel_id: int,
    *,
    strict: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Mirror the modal the bot sent into the submit payload (Label/TextInput/RadioGroup/Checkbox...)."""
    numbered = _number_components(components)
    resolved: dict[str, Any] = {}
    used: set[str] = set()

    def field(component: dict[str, Any]) -> dict[str, Any]:
        ctype = component.get("type")
        custom_id = component.get("custom_id")
        base = {"type": ctype, "id": component["id"], "custom_id": custom_id}
        present = custom_id in values
        if present:
            used.add(custom_id)
        value = values.get(custom_id)
        if ctype == 4:
            text = str(value) if present and value is not None else str(component.get("value") or "")
            if strict:
                if component.get("required", True) and not text:
                    raise ValueError(f"text input {custom_id!r} is required")
                low, high = component.get("min_length"), component.get("max_length")
                if text and ((low and len(text) < low) or (high and len(text) > high)):
                    raise ValueError(f"text input {custom_id!r}: length {len(text)} outside [{low}, {high}]")
            return base | {"value": text}
        if ctype == 21:
            options = [o["value"] for o in component.get("options") or []]
            chosen = (
                value
                if present
                else next((o["value"] for o in component.get("options") or [] if o.get("default")), None)
            )
            if strict and chosen is not None and chosen not in options:
                raise ValueError(f"radio group {custom_id!r}: {chosen!r} not in {options}")
            if strict and chosen is None and component.get("required", True):
                raise ValueError(f"radio group {custom_id!r} is required")
            return base | {"value": chosen}
        if ctype == 22:
            options = [o["value"] for o in component.get("options") or []]
            chosen = (
                list(value)
                if present and value is not None
                else [o["value"] for o in component.get("options") or [] if o.get("default")]
            )
            if strict and any(v not in options for v in chosen):
                raise ValueError(f"checkbox group {custom_id!r}: {chosen!r} not all in {options}")
            return base | {"values": chosen}
        if ctype == 23:
            return base | {"value": bool(value) if present else bool(component.get("default", False))}
        if ctype in (3, 5, 6, 7, 8):
            chosen = [] if value is None else ([value] if isinstance(value, str | int) else list(value))
            return base | {"values": [str(getattr(v, "id", v)) for v in chosen]}
        if ctype == 19:
            chosen = [] if value is None else (list(value) if isinstance(value, list) else [value])
            ids = []
            for item in chosen:
                attachment = fake.make_attachment(item, channel_id)
                resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.payload()
                ids.append(str(attachment.id))
            return base | {"values": ids}
        return base

    submitted: list[dict[str, Any]] = []
    for top in numbered:
        ttype = top.get("type")
        if ttype == 18:
            submitted.append({"type": 18, "id": top["id"], "component": field(top["component"])})
        elif ttype == 1:
            submitted.append({"type": 1, "id": top["id"], "components": [field(c) for c in top.get("components", [])]})
        elif ttype == 10:
            submitted.append({"type": 10, "id": top["id"], "content": top.get("content", "")})
    unknown = set(values) - used
    if strict and unknown:
        raise ValueError(f"modal has no fields {sorted(unknown)}")
    return submitted, resolved


def _number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy the modal's components and give every one an id the way Discord does (depth-first from 1)."""
    import copy

    from .state import walk_components

    result = copy.deepcopy(components)
    used = {c["id"] for c in walk_components(result) if isinstance(c.get("id"), int)}
    counter = 1
    for component in walk_components(result):
        if component.get("id") is None:
            while counter in used:
                counter += 1
            component["id"] = counter
            used.add(counter)
    return result


def select_values(component: dict[str, Any], values: Sequence[Any], *, strict: bool = True) -> list[str]:
    """Validate select values against the component (options, min/max) and return them as strings."""
    chosen = [str(getattr(v, "id", v)) for v in values]
    if strict:
        if component.get("type") == 3:
            options = [o["value"] for o in component.get("options") or []]
            bad = [v for v in chosen if v not in options]
            if bad:
                raise ValueError(f"select {component.get('custom_id')!r}: {bad} not in options {options}")
        low = component.get("min_values", 1)
        high = component.get("max_values", 1)
        if (low is not None and len(chosen) < low) or (high is not None and len(chosen) > high):
            raise ValueError(f"select {component.get('custom_id')!r}: {len(chosen)} values outside [{low}, {high}]")
    return chosen


def channel_type_context(channel: Channel) -> int:
    """Return the interaction context type (0 guild, 1 bot DM)."""
    return 1 if channel.type == CHANNEL_DM else 0
