"""State the fake Discord keeps (application, guild, channels, roles, members, messages, commands) and its payloads."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import permissions as perms
from .ids import SnowflakeFactory, iso, snowflake_time, utcnow

CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_VOICE = 2
CHANNEL_CATEGORY = 4
CHANNEL_STAGE = 13
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
THREAD_TYPES = (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass(eq=False)
class User:
    """A Discord user account (the bot, a human, or a benchmark filler)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    @property
    def name(self) -> str:
        """Return the username."""
        return self.username

    @property
    def mention(self) -> str:
        """Return the mention markup for this user."""
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """Return the user object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    tags: dict[str, Any] | None = None

    @property
    def mention(self) -> str:
        """Return the mention markup for this role."""
        return f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        """Return the role object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.tags is not None:
            data["tags"] = self.tags
        return data


@dataclass(eq=False)
class Member:
    """A guild member; the handle tests pass around as ``user=`` (has ``id``, ``name`` and ``roles``)."""

    user: User
    guild_id: int
    roles: list[int]
    joined_at: datetime
    nick: str | None = None

    @property
    def id(self) -> int:
        """Return the user id."""
        return self.user.id

    @property
    def name(self) -> str:
        """Return the username."""
        return self.user.username

    @property
    def display_name(self) -> str:
        """Return the nickname, global name or username, as Discord clients show it."""
        return self.nick or self.user.global_name or self.user.username

    @property
    def mention(self) -> str:
        """Return the mention markup for this member."""
        return self.user.mention

    @property
    def bot(self) -> bool:
        """Return whether the member is a bot."""
        return self.user.bot

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        """Return the guild member object as Discord sends it."""
        data: dict[str, Any] = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite (type 0 role, 1 member)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        """Return the overwrite object as Discord sends it."""
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(eq=False)
class Channel:
    """A guild channel or a DM channel."""

    id: int
    type: int
    name: str | None
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_ids: list[int] = field(default_factory=list)
    last_message_id: int | None = None
    # Threads only: who made it, who is in it, and its thread_metadata.
    owner_id: int | None = None
    thread_members: dict[int, datetime] = field(default_factory=dict)
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 10080
    archive_timestamp: datetime | None = None
    created_at: datetime | None = None

    @property
    def is_thread(self) -> bool:
        """Return whether this is a public or private thread."""
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        """Return whether this is a DM channel."""
        return self.type == CHANNEL_DM

    @property
    def mention(self) -> str:
        """Return the mention markup for this channel."""
        return f"<#{self.id}>"


@dataclass(eq=False)
class Attachment:
    """An uploaded file; its bytes are served by the fake at ``url``."""

    id: int
    filename: str
    data: bytes = field(repr=False)
    url: str
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)

    def payload(self) -> dict[str, Any]:
        """Return the attachment object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
        }
        if self.description is not None:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data


@dataclass
class MessageEdit:
    """One PATCH applied to a message: the fields sent and what they replaced."""

    at: datetime
    changes: dict[str, Any]
    before: dict[str, Any]


@dataclass(eq=False)
class Message:
    """A message in a guild or DM channel, including interaction replies (ephemeral ones too)."""

    id: int
    channel_id: int
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    nonce: str | None = None
    allowed_mentions: dict[str, Any] | None = None
    flags: int = 0
    type: int = 0
    guild_id: int | None = None
    tts: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None
    sticker_ids: list[str] = field(default_factory=list)
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    edited_at: datetime | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    reactions: dict[str, list[int]] = field(default_factory=dict)
    reaction_emojis: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: bool = False
    pinned: bool = False

    @property
    def created_at(self) -> datetime:
        """Return the creation time derived from the snowflake."""
        return snowflake_time(self.id)

    @property
    def ephemeral(self) -> bool:
        """Return whether only the interacting user can see the message."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Return whether this is a deferred "thinking" placeholder."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def pings(self) -> bool:
        """Return whether the message notified anyone (users, roles or everyone)."""
        return bool(self.mentions or self.mention_roles or self.mention_everyone)

    def embed_text(self) -> str:
        """Return the visible text of the embeds (author, title, description, fields, footer)."""
        parts: list[str] = []
        for embed in self.embeds:
            author = (embed.get("author") or {}).get("name")
            for piece in (author, embed.get("title"), embed.get("description")):
                if piece:
                    parts.append(str(piece))
            for item in embed.get("fields") or []:
                parts.append(f"{item.get('name', '')}\n{item.get('value', '')}")
            footer = (embed.get("footer") or {}).get("text")
            if footer:
                parts.append(str(footer))
        return "\n".join(parts)

    def text(self) -> str:
        """Return content plus embed text plus text-display components, joined by newlines."""
        parts = [self.content] if self.content else []
        embedded = self.embed_text()
        if embedded:
            parts.append(embedded)
        parts.extend(_component_texts(self.components))
        return "\n".join(parts)

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        """Return the component with this custom_id anywhere in the message's component tree."""
        for component in walk_components(self.components):
            if component.get("custom_id") == custom_id:
                return component
        return None

    def reaction_count(self, emoji: str) -> int:
        """Return how many users reacted with this emoji."""
        return len(self.reactions.get(emoji, []))


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every component in a (possibly nested, components v2) tree, depth first."""
    for component in components:
        yield component
        children = list(component.get("components") or [])
        if component.get("component"):
            children.append(component["component"])
        if component.get("accessory"):
            children.append(component["accessory"])
        yield from walk_components(children)


def _component_texts(components: list[dict[str, Any]]) -> list[str]:
    return [c["content"] for c in walk_components(components) if c.get("type") == 10 and c.get("content")]


@dataclass
class VoiceState:
    """A member's presence in a voice or stage channel."""

    user_id: int
    channel_id: int | None
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False
    suppress: bool = False


@dataclass(eq=False)
class ScheduledEvent:
    """A guild scheduled event, stored as the fields Discord returns."""

    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    entity_type: int
    privacy_level: int = 2
    status: int = 1
    description: str | None = None
    scheduled_end_time: str | None = None
    channel_id: int | None = None
    entity_metadata: dict[str, Any] | None = None
    creator_id: int | None = None
    image: str | None = None
    recurrence_rule: dict[str, Any] | None = None
    user_count: int = 0
    deleted: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        """Return the external location, if any."""
        return (self.entity_metadata or {}).get("location")


@dataclass(eq=False)
class ApplicationCommand:
    """A registered application command (global when guild_id is None)."""

    id: int
    application_id: int
    name: str
    type: int
    guild_id: int | None
    definition: dict[str, Any]
    version: int

    def payload(self) -> dict[str, Any]:
        """Return the command object as Discord returns it."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
            "type": self.type,
            "name": self.name,
            "description": self.definition.get("description", ""),
            "options": self.definition.get("options") or [],
            "default_member_permissions": self.definition.get("default_member_permissions"),
            "nsfw": self.definition.get("nsfw", False),
            "contexts": self.definition.get("contexts"),
            "integration_types": self.definition.get("integration_types") or [0],
        }
        for key in ("name_localizations", "description_localizations", "dm_permission", "handler"):
            if key in self.definition:
                data[key] = self.definition[key]
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass
class RecordedFile:
    """A file part of a multipart request."""

    field: str
    filename: str
    data: bytes = field(repr=False)
    content_type: str | None = None

    @property
    def name(self) -> str:
        """Return the filename."""
        return self.filename

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)


@dataclass
class RecordedRequest:
    """One REST request as the fake saw it; tokens are redacted in ``path`` and ``params``."""

    seq: int
    method: str
    path: str
    route: str | None
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    status: int
    time: float
    content_type: str | None = None
    injected: str | None = None
    duration: float = 0.0
    response: Any = field(default=None, repr=False)
    raw_path: str = field(default="", repr=False)
    authorization: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """Return "METHOD route" (or the path for unknown routes)."""
        return f"{self.method} {self.route or self.path}"


@dataclass
class CallbackRecord:
    """An interaction callback the bot sent (type 4, 5, 6, 7, 8 or 9)."""

    type: int
    data: dict[str, Any] | None
    files: list[RecordedFile]
    at: float


@dataclass(eq=False)
class InteractionRecord:
    """An interaction the fake dispatched and everything the bot answered to it."""

    id: int
    token: str = field(repr=False)
    type: int = 2
    payload: dict[str, Any] = field(default_factory=dict, repr=False)
    user_id: int = 0
    channel_id: int = 0
    guild_id: int | None = None
    created: float = 0.0
    callback: CallbackRecord | None = None
    original_message_id: int | None = None
    source_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """Return whether the initial callback has been received."""
        return self.callback is not None


@dataclass(eq=False)
class Guild:
    """The one guild the fake serves."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    preferred_locale: str = "en-GB"


class FakeState:
    """Everything the fake Discord knows, plus helpers to render it as Discord JSON."""

    def __init__(
        self,
        *,
        guild_id: int | None = None,
        application_id: int | None = None,
        guild_name: str = "Blether Test Guild",
        bot_name: str = "Blether",
        bot_permissions: int = perms.BOT_DEFAULT,
    ) -> None:
        self.snowflakes = SnowflakeFactory()
        created = utcnow() - timedelta(days=30)
        self.application_id = application_id or self.snowflakes.next(created)
        self.application_flags = (1 << 19) | (1 << 23)  # GATEWAY_MESSAGE_CONTENT_LIMITED, APPLICATION_COMMAND_BADGE
        self.bot_user = User(self.application_id, bot_name, None, bot=True)
        gid = guild_id or self.snowflakes.next(created)
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_message_ids: dict[int, list[int]] = {}
        self.dm_channel_by_user: dict[int, int] = {}
        self.attachments: dict[int, Attachment] = {}
        self.commands: dict[int, ApplicationCommand] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.interaction_by_token: dict[str, InteractionRecord] = {}
        self.nonce_counts: dict[str, int] = {}
        self.messages_by_nonce: dict[str, list[Message]] = {}
        self.named_users: dict[str, Member] = {}
        self.named_roles: dict[str, Role] = {}
        self.named_channels: dict[str, Channel] = {}

        everyone = Role(gid, "@everyone", perms.EVERYONE_DEFAULT, 0)
        participant = Role(self.snowflakes.next(created), "Participant", 0, 1, color=0x3498DB, mentionable=True)
        facilitator = Role(
            self.snowflakes.next(created),
            "Facilitator",
            perms.FACILITATOR_DEFAULT,
            2,
            color=0x2ECC71,
            hoist=True,
            mentionable=True,
        )
        bot_role = Role(
            self.snowflakes.next(created),
            bot_name,
            bot_permissions,
            3,
            managed=True,
            tags={"bot_id": str(self.application_id)},
        )
        owner = User(self.snowflakes.next(created), "owen", "Owen (owner)")
        self.guild = Guild(id=gid, name=guild_name, owner_id=owner.id)
        for key, role in (
            ("everyone", everyone),
            ("participant", participant),
            ("facilitator", facilitator),
            ("bot", bot_role),
        ):
            self.guild.roles[role.id] = role
            self.named_roles[key] = role

        hidden = [
            Overwrite(gid, 0, deny=perms.VIEW_CHANNEL),
            Overwrite(facilitator.id, 0, allow=perms.VIEW_CHANNEL),
            Overwrite(bot_role.id, 0, allow=perms.VIEW_CHANNEL),
        ]
        layout: list[tuple[str, str, int, list[Overwrite]]] = [
            ("general", "general", CHANNEL_TEXT, []),
            ("announcements", "announcements", CHANNEL_TEXT, []),
            ("reflections", "reflections", CHANNEL_TEXT, []),
            ("flash_reports", "flash-reports", CHANNEL_TEXT, []),
            ("facilitators", "facilitators", CHANNEL_TEXT, hidden),
            ("session_room", "Session Room", CHANNEL_VOICE, []),
            ("stage", "Stage", CHANNEL_STAGE, []),
        ]
        for position, (key, name, kind, overwrites) in enumerate(layout):
            channel = Channel(self.snowflakes.next(created), kind, name, gid, position, overwrites=list(overwrites))
            self.add_channel(channel)
            self.named_channels[key] = channel

        self.named_users["bot"] = self.add_member(self.bot_user, [bot_role.id], joined_at=created)
        self.named_users["owner"] = self.add_member(owner, [], joined_at=created)
        for key, display, role in (
            ("fran", "Fran", facilitator),
            ("pat", "Pat", participant),
            ("sam", "Sam", participant),
            ("nora", "Nora", None),
        ):
            user = User(self.snowflakes.next(created), key, display)
            self.named_users[key] = self.add_member(user, [role.id] if role else [], joined_at=created)

    # -- mutation helpers -------------------------------------------------------------------------------------

    def next_id(self) -> int:
        """Return a fresh snowflake."""
        return self.snowflakes.next()

    def add_channel(self, channel: Channel) -> Channel:
        """Register a channel (guild or DM)."""
        self.channels[channel.id] = channel
        self.channel_message_ids.setdefault(channel.id, [])
        if channel.guild_id is not None:
            self.guild.channels[channel.id] = channel
        return channel

    def add_user(self, username: str, global_name: str | None = None, *, bot: bool = False) -> User:
        """Create a user account that is not (yet) a guild member."""
        user = User(self.next_id(), username, global_name, bot=bot)
        self.users[user.id] = user
        return user

    def add_member(self, user: User, roles: list[int], *, joined_at: datetime | None = None) -> Member:
        """Add a user to the guild with these role ids."""
        self.users[user.id] = user
        member = Member(user, self.guild.id, list(roles), joined_at or utcnow())
        self.guild.members[user.id] = member
        return member

    def dm_channel_for(self, user_id: int) -> Channel:
        """Return the DM channel with a user, creating it the first time."""
        existing = self.dm_channel_by_user.get(user_id)
        if existing is not None:
            return self.channels[existing]
        channel = self.add_channel(Channel(self.next_id(), CHANNEL_DM, None, recipient_ids=[user_id]))
        self.dm_channel_by_user[user_id] = channel.id
        return channel

    def store_message(self, message: Message) -> Message:
        """Insert a message and make it the channel's last message."""
        self.messages[message.id] = message
        self.channel_message_ids.setdefault(message.channel_id, []).append(message.id)
        channel = self.channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            channel.last_message_id = message.id
        if message.nonce is not None:
            self.messages_by_nonce.setdefault(message.nonce, []).append(message)
        return message

    def channel_messages(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        """Return a channel's messages oldest first."""
        result = []
        for mid in self.channel_message_ids.get(channel_id, []):
            message = self.messages[mid]
            if message.deleted and not include_deleted:
                continue
            if message.ephemeral and not include_ephemeral:
                continue
            result.append(message)
        return result

    # -- permissions -------------------------------------------------------------------------------------------

    def base_permissions(self, member: Member) -> int:
        """Return a member's guild-level permissions."""
        if member.id == self.guild.owner_id:
            return perms.ALL
        value = self.guild.roles[self.guild.id].permissions
        for role_id in member.roles:
            role = self.guild.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        if value & perms.ADMINISTRATOR:
            return perms.ALL
        return value

    def channel_permissions(self, member: Member, channel: Channel | None) -> int:
        """Return a member's permissions in a channel, overwrites applied (a thread uses its parent's)."""
        if channel is not None and channel.is_thread and channel.parent_id is not None:
            channel = self.channels.get(channel.parent_id, channel)
        base = self.base_permissions(member)
        if channel is None or channel.guild_id is None or base == perms.ALL:
            return base
        overwrites = [(o.id, o.type, o.allow, o.deny) for o in channel.overwrites]
        return perms.apply_overwrites(base, overwrites, self.guild.id, member.id, member.roles)

    def bot_member(self) -> Member:
        """Return the bot's guild member."""
        return self.guild.members[self.bot_user.id]

    # -- mentions ----------------------------------------------------------------------------------------------

    def resolve_mentions(
        self, content: str, allowed: dict[str, Any] | None, author: User, reply_to: Message | None = None
    ) -> tuple[list[int], list[int], bool]:
        """Return (user ids, role ids, everyone) that this content would actually ping."""
        parse = ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        users: list[int] = []
        for raw in _USER_MENTION.findall(content or ""):
            uid = int(raw)
            if uid in self.users and uid not in users and ("users" in parse or uid in allowed_users):
                users.append(uid)
        ping_reply = reply_to is not None and (allowed is None or allowed.get("replied_user", True))
        if ping_reply and reply_to.author.id not in users and reply_to.author.id != author.id:
            users.append(reply_to.author.id)
        author_member = self.guild.members.get(author.id)
        can_everyone = author_member is not None and bool(self.base_permissions(author_member) & perms.MENTION_EVERYONE)
        roles: list[int] = []
        for raw in _ROLE_MENTION.findall(content or ""):
            rid = int(raw)
            role = self.guild.roles.get(rid)
            if role is None or rid in roles or not ("roles" in parse or rid in allowed_roles):
                continue
            if role.mentionable or can_everyone:
                roles.append(rid)
        everyone = (
            ("@everyone" in (content or "") or "@here" in (content or "")) and "everyone" in parse and can_everyone
        )
        return users, roles, everyone

    # -- payloads ----------------------------------------------------------------------------------------------

    def channel_payload(self, channel: Channel) -> dict[str, Any]:
        """Return a channel object as Discord sends it."""
        if channel.is_dm:
            return {
                "id": str(channel.id),
                "type": CHANNEL_DM,
                "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
                "flags": 0,
                "recipients": [self.users[uid].payload() for uid in channel.recipient_ids],
            }
        data: dict[str, Any] = {
            "id": str(channel.id),
            "type": channel.type,
            "guild_id": str(channel.guild_id),
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": [o.payload() for o in channel.overwrites],
            "parent_id": str(channel.parent_id) if channel.parent_id else None,
            "nsfw": False,
            "flags": 0,
        }
        if channel.type in (CHANNEL_TEXT, CHANNEL_VOICE, CHANNEL_STAGE):
            data["last_message_id"] = str(channel.last_message_id) if channel.last_message_id else None
            data["rate_limit_per_user"] = 0
        if channel.type == CHANNEL_TEXT:
            data["topic"] = channel.topic
        if channel.type in (CHANNEL_VOICE, CHANNEL_STAGE):
            data.update({"bitrate": 64000, "user_limit": 0, "rtc_region": None, "video_quality_mode": 1})
            if channel.type == CHANNEL_STAGE:
                data["topic"] = channel.topic
        if channel.is_thread:
            del data["permission_overwrites"], data["position"]
            created = channel.created_at or utcnow()
            data.update(
                {
                    "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
                    "rate_limit_per_user": 0,
                    "owner_id": str(channel.owner_id) if channel.owner_id else None,
                    "member_count": min(len(channel.thread_members), 50),
                    "message_count": len(self.channel_message_ids.get(channel.id, [])),
                    "total_message_sent": len(self.channel_message_ids.get(channel.id, [])),
                    "thread_metadata": {
                        "archived": channel.archived,
                        "auto_archive_duration": channel.auto_archive_duration,
                        "archive_timestamp": iso(channel.archive_timestamp or created),
                        "locked": channel.locked,
                        "invitable": channel.invitable,
                        "create_timestamp": iso(created),
                    },
                }
            )
        return data

    def thread_member_payload(self, thread: Channel, user_id: int) -> dict[str, Any]:
        """Return a thread member object as Discord sends it."""
        return {
            "id": str(thread.id),
            "user_id": str(user_id),
            "join_timestamp": iso(thread.thread_members.get(user_id, utcnow())),
            "flags": 0,
        }

    def threads_of(self, parent_id: int | None = None, *, active_only: bool = True) -> list[Channel]:
        """Return the guild's threads (of one parent), oldest first."""
        return [
            c
            for c in self.channels.values()
            if c.is_thread and (parent_id is None or c.parent_id == parent_id) and not (active_only and c.archived)
        ]

    def voice_state_payload(self, state: VoiceState, *, with_member: bool = True) -> dict[str, Any]:
        """Return a voice state object as Discord sends it."""
        data: dict[str, Any] = {
            "guild_id": str(self.guild.id),
            "channel_id": str(state.channel_id) if state.channel_id else None,
            "user_id": str(state.user_id),
            "session_id": state.session_id,
            "deaf": False,
            "mute": False,
            "self_deaf": state.self_deaf,
            "self_mute": state.self_mute,
            "self_video": False,
            "self_stream": False,
            "suppress": state.suppress,
            "request_to_speak_timestamp": None,
        }
        member = self.guild.members.get(state.user_id)
        if with_member and member is not None:
            data["member"] = member.payload()
        return data

    def scheduled_event_payload(self, event: ScheduledEvent, *, with_user_count: bool = False) -> dict[str, Any]:
        """Return a guild scheduled event object as Discord sends it."""
        data: dict[str, Any] = {
            "id": str(event.id),
            "guild_id": str(event.guild_id),
            "channel_id": str(event.channel_id) if event.channel_id else None,
            "creator_id": str(event.creator_id) if event.creator_id else None,
            "name": event.name,
            "description": event.description,
            "scheduled_start_time": event.scheduled_start_time,
            "scheduled_end_time": event.scheduled_end_time,
            "privacy_level": event.privacy_level,
            "status": event.status,
            "entity_type": event.entity_type,
            "entity_id": None,
            "entity_metadata": event.entity_metadata,
            "image": event.image,
            "recurrence_rule": event.recurrence_rule,
            "auto_start": False,
        }
        creator = self.users.get(event.creator_id or 0)
        if creator is not None:
            data["creator"] = creator.payload()
        if with_user_count:
            data["user_count"] = event.user_count
        return data

    def guild_payload(
        self, *, members: list[Member] | None = None, gateway: bool = False, large: bool = False
    ) -> dict[str, Any]:
        """Return the guild object; with gateway=True the full GUILD_CREATE payload."""
        guild = self.guild
        roles = sorted(guild.roles.values(), key=lambda r: r.position)
        data: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [r.payload() for r in roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.named_channels["general"].id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.preferred_locale,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "nsfw_level": 0,
            "nsfw": False,
            "premium_progress_bar_enabled": False,
            "incidents_data": None,
            "region": "deprecated",
        }
        if gateway:
            bot_member = guild.members.get(self.bot_user.id)
            data.update(
                {
                    "joined_at": iso(bot_member.joined_at if bot_member else utcnow()),
                    "large": large,
                    "unavailable": False,
                    "lazy": True,
                    "member_count": len(guild.members),
                    "voice_states": [
                        self.voice_state_payload(v, with_member=False)
                        for v in guild.voice_states.values()
                        if v.channel_id is not None
                    ],
                    "members": [m.payload() for m in (members if members is not None else guild.members.values())],
                    "channels": [
                        {k: v for k, v in self.channel_payload(c).items() if k != "guild_id"}
                        for c in sorted(guild.channels.values(), key=lambda c: c.position)
                    ],
                    "threads": [
                        {k: v for k, v in self.channel_payload(c).items() if k != "guild_id"}
                        for c in self.threads_of()
                        if self.bot_user.id in c.thread_members
                        or self.channel_permissions(self.bot_member(), c) & perms.MANAGE_THREADS
                    ],
                    "presences": [],
                    "stage_instances": [],
                    "guild_scheduled_events": [
                        self.scheduled_event_payload(e) for e in guild.scheduled_events.values() if not e.deleted
                    ],
                    "soundboard_sounds": [],
                    "embedded_activities": [],
                    "activity_instances": [],
                    "version": int(utcnow().timestamp() * 1000),
                }
            )
        return data

    def attachment_for(
        self,
        data: bytes,
        filename: str,
        base_url: str,
        channel_id: int,
        content_type: str | None = None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> Attachment:
        """Store uploaded bytes and return the attachment served at the fake's CDN URL."""
        aid = self.next_id()
        url = f"{base_url}/attachments/{channel_id}/{aid}/{filename}"
        attachment = Attachment(aid, filename, data, url, content_type, description, ephemeral)
        self.attachments[aid] = attachment
        return attachment

    def message_payload(self, message: Message, *, gateway: bool = False) -> dict[str, Any]:
        """Return a message object; with gateway=True add guild_id and member as MESSAGE_CREATE does."""
        data: dict[str, Any] = {
            "id": str(message.id),
            "type": message.type,
            "content": message.content,
            "channel_id": str(message.channel_id),
            "author": message.author.payload(),
            "attachments": [a.payload() for a in message.attachments],
            "embeds": message.embeds,
            "mentions": [self.users[u].payload() for u in message.mentions if u in self.users],
            "mention_roles": [str(r) for r in message.mention_roles],
            "mention_everyone": message.mention_everyone,
            "pinned": message.pinned,
            "tts": message.tts,
            "timestamp": iso(message.created_at),
            "edited_timestamp": iso(message.edited_at),
            "flags": message.flags,
            "components": message.components,
        }
        if message.nonce is not None:
            data["nonce"] = message.nonce
        if message.webhook_id is not None:
            data["webhook_id"] = str(message.webhook_id)
        if message.application_id is not None:
            data["application_id"] = str(message.application_id)
        if message.interaction_metadata is not None:
            data["interaction_metadata"] = message.interaction_metadata
        if message.poll is not None:
            data["poll"] = message.poll
        if message.message_reference is not None:
            data["message_reference"] = message.message_reference
            ref_id = message.message_reference.get("message_id")
            referenced = self.messages.get(int(ref_id)) if ref_id else None
            if referenced is not None:
                data["referenced_message"] = None if referenced.deleted else self.message_payload(referenced)
        if message.reactions:
            data["reactions"] = [
                {
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "me": self.bot_user.id in users,
                    "me_burst": False,
                    "burst_colors": [],
                    "emoji": message.reaction_emojis[key],
                }
                for key, users in message.reactions.items()
                if users
            ]
        if gateway and message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            member = self.guild.members.get(message.author.id)
            if member is not None and message.webhook_id is None:
                data["member"] = member.payload(with_user=False)
        return data
