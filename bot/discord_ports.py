"""Discord implementations of the core's ports: posting messages, DMs and Scheduled Events."""

import asyncio
import io
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypedDict, cast

import aiohttp
import discord

from bot.core.delivery.limiter import RateLimiter
from bot.core.messages import ButtonStyle, Embed, OutboundMessage, SentMessage
from bot.core.ports import (
    EventSpec,
    MessageGoneError,
    PermanentSendError,
    RecipientUnreachableError,
    ThreadInfo,
    TransientSendError,
)
from bot.core.programme.domain import ChannelKind
from bot.discord_render import RenderedEmbed, render_embed, render_message

if TYPE_CHECKING:  # discord.types is for type checkers only (importing it at run time is circular)
    from discord.types.threads import ThreadArchiveDuration

log = logging.getLogger(__name__)

# The channels whose messages can be reached by id (Messageable itself has no get_partial_message).
_MESSAGE_CHANNELS = (
    discord.TextChannel,
    discord.VoiceChannel,
    discord.StageChannel,
    discord.Thread,
    discord.DMChannel,
    discord.PartialMessageable,
)

_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
    ButtonStyle.LINK: discord.ButtonStyle.link,
}


def discord_embed(rendered: RenderedEmbed) -> discord.Embed:
    """Build discord.py's embed from one the Discord renderer wrote."""
    result = discord.Embed(
        title=rendered.title,
        description=rendered.description,
        url=rendered.url,
        colour=rendered.colour,
        timestamp=rendered.timestamp,
    )
    for item in rendered.fields:
        result.add_field(name=item.name, value=item.value, inline=item.inline)
    if rendered.footer:
        result.set_footer(text=rendered.footer)
    return result


def to_discord_embed(embed: Embed) -> discord.Embed:
    """Render a core embed for Discord (escaping, markup, limits) as discord.py's embed."""
    return discord_embed(render_embed(embed))


def to_discord_view(message: OutboundMessage) -> discord.ui.View | None:
    """Build a stopped view (so discord.py does not track it); clicks are routed by DynamicItems."""
    if not message.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for spec in message.buttons[:25]:
        view.add_item(
            discord.ui.Button(
                label=spec.label[:80],
                custom_id=None if spec.url else spec.custom_id,
                url=spec.url,
                style=_STYLES[ButtonStyle.LINK if spec.url else spec.style],
                disabled=spec.disabled,
                emoji=spec.emoji,
            )
        )
    view.stop()
    return view


class MessageKwargs(TypedDict, total=False):
    """Keyword arguments of Messageable.send and interaction replies for one OutboundMessage."""

    content: str
    embeds: list[discord.Embed]
    view: discord.ui.View
    files: list[discord.File]
    allowed_mentions: discord.AllowedMentions


def message_kwargs(message: OutboundMessage) -> MessageKwargs:
    """Render an OutboundMessage as keyword arguments for Messageable.send / interaction replies."""
    kwargs: MessageKwargs = {
        "allowed_mentions": discord.AllowedMentions(
            everyone=False, users=False, replied_user=False, roles=[discord.Object(r) for r in message.mention_role_ids]
        )
        if message.mention_role_ids
        else discord.AllowedMentions.none(),
    }
    rendered = render_message(message)
    if rendered.content:
        kwargs["content"] = rendered.content
    if rendered.embeds:
        kwargs["embeds"] = [discord_embed(e) for e in rendered.embeds]
    view = to_discord_view(message)
    if view is not None:
        kwargs["view"] = view
    if message.files:
        kwargs["files"] = [
            discord.File(io.BytesIO(f.data), filename=f.filename, description=f.description) for f in message.files
        ]
    return kwargs


def _classify(error: Exception, what: str) -> Exception:
    if isinstance(error, discord.Forbidden):
        return PermanentSendError(
            f"Blether is not allowed to {what} (missing access). Give its role View Channel, Send Messages, "
            "Embed Links and Attach Files there, or choose another channel with /programme setup."
        )
    if isinstance(error, discord.NotFound):
        return PermanentSendError(f"Could not {what}: the channel or message no longer exists.")
    if isinstance(error, discord.DiscordServerError | aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return TransientSendError(f"Discord did not answer while trying to {what}: {type(error).__name__}")
    if isinstance(error, discord.HTTPException):
        if error.status >= 500 or error.status == 429:
            return TransientSendError(f"Discord error {error.status} while trying to {what}")
        return PermanentSendError(f"Discord refused to {what}: {error.status} {error.text[:200]}")
    return error


class DiscordSender:
    """Post and edit messages through discord.py (implements bot.core.ports.Sender).

    Every request first takes a slot from the shared RateLimiter (≤ 40 requests/s, DMs ≤ 1/s), so a
    fan-out of reminders stays under Discord's global limit instead of collecting 429s. DMs are sent one
    at a time, each taking its DM slot just before the message create.
    """

    def __init__(self, client: discord.Client, limiter: RateLimiter | None = None) -> None:
        self._client = client
        self._limiter = limiter
        self._dm_lock = asyncio.Lock()

    async def _slot(self, *, dm: bool = False) -> None:
        if self._limiter is not None:
            await self._limiter.acquire(dm=dm)

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self._client.get_channel(channel_id)
        if channel is None:
            channel = await self._client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise PermanentSendError(f"Channel {channel_id} cannot receive messages; choose a text channel.")
        return channel

    async def post(self, channel_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Post to a channel with a nonce Discord uses to drop a duplicate create."""
        try:
            channel = await self._channel(channel_id)
            kwargs = message_kwargs(message)
            await self._slot()
            sent = await (channel.send(**kwargs, nonce=nonce) if nonce else channel.send(**kwargs))
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"post in channel {channel_id}") from error
        return SentMessage(message_id=sent.id, channel_id=sent.channel.id)

    async def send_dm(self, user_id: int, message: OutboundMessage, *, nonce: str | None = None) -> SentMessage:
        """Send a direct message; a user who closed DMs is a permanent failure for that row only."""
        try:
            kwargs = message_kwargs(message)
            # One DM at a time: its DM channel is opened after the previous DM went out, so opens keep
            # the DM pace too, and the DM slot is taken right before the create so the pace is exact.
            async with self._dm_lock:
                user = self._client.get_user(user_id)
                if user is None:
                    await self._slot()
                    user = await self._client.fetch_user(user_id)
                channel = user.dm_channel
                if channel is None:
                    await self._slot()  # opening the DM channel is a request of its own
                    channel = await user.create_dm()
                await self._slot(dm=True)
                sent = await (channel.send(**kwargs, nonce=nonce) if nonce else channel.send(**kwargs))
        except discord.Forbidden as error:
            raise RecipientUnreachableError("This person does not accept direct messages from Blether.") from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "send a direct message") from error
        return SentMessage(message_id=sent.id, channel_id=sent.channel.id)

    async def edit(self, channel_id: int, message_id: int, message: OutboundMessage) -> None:
        """Edit one of Blether's messages."""
        try:
            channel = await self._channel(channel_id)
            if not isinstance(channel, _MESSAGE_CHANNELS):
                raise PermanentSendError(f"Channel {channel_id} holds no messages Blether can edit.")
            partial = channel.get_partial_message(message_id)
            kwargs = message_kwargs(message)  # its files are not sent again: an edit keeps the attachments
            await self._slot()
            await partial.edit(
                content=kwargs.get("content"),
                embeds=kwargs.get("embeds", []),
                view=kwargs.get("view"),
                allowed_mentions=kwargs["allowed_mentions"],
            )
        except discord.NotFound as error:
            raise MessageGoneError(f"The message to edit in channel {channel_id} no longer exists.") from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"edit a message in channel {channel_id}") from error

    async def find_recent(self, channel_id: int, marker: str, *, limit: int = 50) -> SentMessage | None:
        """Look through recent messages for one of ours whose footer or content carries marker."""
        me = self._client.user
        try:
            channel = await self._channel(channel_id)
            async for found in channel.history(limit=limit):
                if me is not None and found.author.id != me.id:
                    continue
                texts = [found.content or ""] + [e.footer.text or "" for e in found.embeds if e.footer]
                if any(marker in text for text in texts):
                    return SentMessage(message_id=found.id, channel_id=channel_id)
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"read recent messages in channel {channel_id}") from error
        return None


class _EventFields(TypedDict):
    """What every scheduled event of a session states, wherever it takes place."""

    name: str
    description: str
    start_time: datetime
    end_time: datetime
    privacy_level: discord.PrivacyLevel


def _event_fields(spec: EventSpec) -> _EventFields:
    return {
        "name": spec.name[:100],
        "description": spec.description[:1000],
        "start_time": spec.starts_at,
        "end_time": spec.ends_at,
        "privacy_level": discord.PrivacyLevel.guild_only,
    }


def _event_location(spec: EventSpec) -> str:
    return (spec.location_url or "Online")[:100]


def _channel_event_type(spec: EventSpec) -> Literal[discord.EntityType.stage_instance, discord.EntityType.voice]:
    return discord.EntityType.stage_instance if spec.is_stage else discord.EntityType.voice


class DiscordEventMirror:
    """Mirror sessions as Discord Scheduled Events (implements bot.core.ports.EventMirror)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise PermanentSendError("Blether is not in that server any more.")
        return guild

    def _channel(self, guild: discord.Guild, spec: EventSpec) -> discord.abc.GuildChannel | None:
        """Return the session's voice or stage channel, or None for an external (online or in-person) event."""
        if spec.channel_id is None:
            return None
        channel = guild.get_channel(spec.channel_id)
        if channel is None:
            raise PermanentSendError("The session's voice or stage channel no longer exists.")
        return channel

    async def create(self, guild_id: int, spec: EventSpec) -> int:
        """Create a scheduled event."""
        guild = self._guild(guild_id)
        try:
            channel = self._channel(guild, spec)
            if channel is None:
                event = await guild.create_scheduled_event(
                    **_event_fields(spec), entity_type=discord.EntityType.external, location=_event_location(spec)
                )
            else:
                event = await guild.create_scheduled_event(
                    **_event_fields(spec), channel=channel, entity_type=_channel_event_type(spec)
                )
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "create the Scheduled Event (needs Manage Events)") from error
        return event.id

    async def update(self, guild_id: int, event_id: int, spec: EventSpec) -> None:
        """Update a scheduled event."""
        guild = self._guild(guild_id)
        try:
            event = await guild.fetch_scheduled_event(event_id)
            channel = self._channel(guild, spec)
            if channel is None:
                await event.edit(
                    **_event_fields(spec), entity_type=discord.EntityType.external, location=_event_location(spec)
                )
            else:
                await event.edit(**_event_fields(spec), channel=channel, entity_type=_channel_event_type(spec))
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "update the Scheduled Event (needs Manage Events)") from error

    async def cancel(self, guild_id: int, event_id: int) -> None:
        """Cancel a scheduled event (delete it when it cannot be cancelled)."""
        guild = self._guild(guild_id)
        try:
            event = await guild.fetch_scheduled_event(event_id)
            try:
                await event.cancel()
            except (discord.HTTPException, ValueError):
                await event.delete()
        except discord.NotFound:
            return
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "cancel the Scheduled Event (needs Manage Events)") from error


class DiscordChannelDirectory:
    """Tell the core what kind of channel an id is (implements programme.domain.ChannelDirectory)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def channel_kind(self, guild_id: int, channel_id: int) -> ChannelKind | None:
        """Return text, voice, stage or other; None when the server has no such channel."""
        guild = self._client.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None else None
        if channel is None:
            return None
        if isinstance(channel, discord.StageChannel):
            return ChannelKind.STAGE
        if isinstance(channel, discord.VoiceChannel):
            return ChannelKind.VOICE
        if isinstance(channel, discord.TextChannel):
            return ChannelKind.TEXT
        return ChannelKind.OTHER


THREAD_PERMISSIONS = "View Channel, Send Messages, Create Private Threads, Send Messages in Threads and Manage Threads"


class DiscordThreads:
    """Private group threads through discord.py (implements bot.core.ports.Threads).

    Threads are private (type 12) and not invitable, so nobody joins one unless Blether adds them.
    """

    def __init__(self, client: discord.Client, limiter: RateLimiter | None = None) -> None:
        self._client = client
        self._limiter = limiter

    async def _slot(self) -> None:
        if self._limiter is not None:
            await self._limiter.acquire()

    def _forbidden(self, what: str, channel_id: int) -> PermanentSendError:
        return PermanentSendError(
            f"Blether is not allowed to {what} in <#{channel_id}>. Give its role {THREAD_PERMISSIONS} in the "
            "groups channel, or choose another with /programme setup groups_channel:."
        )

    async def _thread(self, thread_id: int) -> discord.Thread:
        channel = self._client.get_channel(thread_id)
        if channel is None:
            await self._slot()
            channel = await self._client.fetch_channel(thread_id)
        if not isinstance(channel, discord.Thread):
            raise PermanentSendError(f"Channel {thread_id} is not a thread.")
        return channel

    async def create_private_thread(self, channel_id: int, name: str, *, auto_archive_minutes: int = 10080) -> int:
        """Create a private, non-invitable thread in a text channel; return its id."""
        try:
            channel = self._client.get_channel(channel_id)
            if channel is None:
                await self._slot()
                channel = await self._client.fetch_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                raise PermanentSendError(
                    f"<#{channel_id}> is not a text channel, so group threads cannot be made there. Choose a text "
                    "channel with /programme setup groups_channel:."
                )
            await self._slot()
            thread = await channel.create_thread(
                name=name[:100],
                type=discord.ChannelType.private_thread,
                invitable=False,
                # One of Discord's durations (the port's default, a week); another is refused by Discord below.
                auto_archive_duration=cast("ThreadArchiveDuration", auto_archive_minutes),
            )
        except discord.Forbidden as error:
            raise self._forbidden("create private threads", channel_id) from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"create a thread in channel {channel_id}") from error
        return thread.id

    async def find_thread(self, guild_id: int, channel_id: int, name: str) -> ThreadInfo | None:
        """Look through the server's active threads for one in channel_id with exactly this name."""
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise PermanentSendError("Blether is not in that server any more.")
        try:
            await self._slot()
            threads = await guild.active_threads()
        except discord.Forbidden as error:
            raise self._forbidden("list threads", channel_id) from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "list the server's threads") from error
        for thread in threads:
            if thread.parent_id == channel_id and thread.name == name[:100]:
                return ThreadInfo(thread.id, channel_id, thread.name, bool(thread.archived))
        return None

    async def add_member(self, thread_id: int, user_id: int) -> None:
        """Add someone to a thread."""
        try:
            thread = await self._thread(thread_id)
            await self._slot()
            await thread.add_user(discord.Object(user_id))
        except discord.Forbidden as error:
            raise self._forbidden("add people to a group thread", thread_id) from error
        except discord.NotFound:
            log.info("User %s could not be added to thread %s (not in the server any more)", user_id, thread_id)
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"add someone to thread {thread_id}") from error

    async def remove_member(self, thread_id: int, user_id: int) -> None:
        """Remove someone from a thread."""
        try:
            thread = await self._thread(thread_id)
            await self._slot()
            await thread.remove_user(discord.Object(user_id))
        except discord.NotFound:
            return
        except discord.Forbidden as error:
            raise self._forbidden("remove people from a group thread", thread_id) from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"remove someone from thread {thread_id}") from error

    async def archive(self, thread_id: int, *, locked: bool = True) -> None:
        """Archive and lock a thread (a thread already gone is fine)."""
        try:
            thread = await self._thread(thread_id)
            await self._slot()
            await thread.edit(archived=True, locked=locked)
        except discord.NotFound:
            return
        except discord.Forbidden as error:
            raise self._forbidden("archive group threads", thread_id) from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"archive thread {thread_id}") from error

    async def voice_room(self, guild_id: int, category_id: int, name: str) -> int:
        """Return the category's voice channel with this name, creating it when there is none (a retry finds it)."""
        guild = self._client.get_guild(guild_id)
        category = guild.get_channel(category_id) if guild is not None else None
        if guild is None or not isinstance(category, discord.CategoryChannel):
            raise PermanentSendError(
                "The groups voice category is gone; choose another with /programme setup groups_voice_category:."
            )
        for channel in category.voice_channels:
            if channel.name == name[:100]:
                return channel.id
        try:
            await self._slot()
            created = await guild.create_voice_channel(name[:100], category=category)
        except discord.Forbidden as error:
            raise PermanentSendError(
                f"Blether is not allowed to make voice channels in <#{category_id}>. Give its role Manage Channels "
                "there, or clear groups_voice_category with /programme setup."
            ) from error
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, "make a group's voice channel") from error
        return created.id

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel Blether made (one already gone is fine)."""
        try:
            channel = self._client.get_channel(channel_id)
            if channel is None:
                await self._slot()
                channel = await self._client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
                raise PermanentSendError(f"Channel {channel_id} is not a server channel Blether can delete.")
            await self._slot()
            await channel.delete()
        except discord.NotFound:
            return
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise _classify(error, f"remove channel {channel_id}") from error


class DiscordRoleMembers:
    """Tell who holds a role from the member cache (implements bot.core.ports.RoleMembers)."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def role_members(self, guild_id: int, role_id: int) -> frozenset[int]:
        """Return the ids of the role's members (the members intent keeps the cache complete)."""
        guild = self._client.get_guild(guild_id)
        role = guild.get_role(role_id) if guild is not None else None
        return frozenset(m.id for m in role.members) if role is not None else frozenset()


class DiscordMemberDirectory:
    """Tell whether someone is still in a server (implements bot.core.ports.MemberDirectory).

    Members the bot has seen come from its cache; anyone else costs one GET of the member (404 means gone).
    The members intent keeps the cache right as people join and leave.
    """

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def is_member(self, guild_id: int, user_id: int) -> bool | None:
        """Return True or False; None when Blether is not in that server or Discord did not answer."""
        guild = self._client.get_guild(guild_id)
        if guild is None:
            return None
        if guild.get_member(user_id) is not None:
            return True
        try:
            await guild.fetch_member(user_id)
        except discord.NotFound:
            return False
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as error:
            log.warning("Could not look up a member of server %s: %s", guild_id, type(error).__name__)
            return None
        return True
